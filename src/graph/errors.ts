import type { Diagnosis } from '../diagnose/index.js';

export type { Diagnosis } from '../diagnose/index.js';

/**
 * The one error type of the mail client. Whatever went wrong - bad input, a refused token,
 * Graph saying no, the network, running out of retries - the caller gets a GraphSendError and
 * knows nothing was accepted by Graph for this message.
 */

export interface GraphSendErrorFields {
  /** HTTP status of the final answer; 0 when none came (validation, network, token). */
  status: number;
  /** Graph's `error.code`, or ours: InvalidMessage, MailReadWriteRequired, NetworkError, Timeout, TlsError, TokenAcquisitionFailed, Cancelled. */
  code: string;
  message: string;
  /** Graph's `request-id` of the final answer. */
  requestId?: string;
  /** Every `request-id` Graph returned while trying (for support cases). */
  requestIds?: string[];
  /** HTTP attempts made for the step that failed (0: failed before sending). */
  attempts: number;
  /** Trying the same message later may succeed (throttling, outage, network). */
  retryable: boolean;
  /** How long Graph asked to wait before the next try (Retry-After), when the caller owns retries. */
  retryAfterMs?: number;
  /** HTTP requests made for this message before it failed (every attempt, token refreshes included). */
  requests?: number;
  diagnosis?: Diagnosis;
  /** Every problem found in the message (InvalidMessage). */
  problems?: string[];
  /**
   * Held back by our own pacing with no request made for it (the daily recipient budget, a
   * mailbox paused by Retry-After): a wait until `retryAfterMs`, not a failed try.
   */
  heldLocally?: boolean;
  cause?: unknown;
}

export class GraphSendError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly requestIds: string[];
  readonly attempts: number;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  requests: number;
  diagnosis: Diagnosis | undefined;
  readonly problems: string[] | undefined;
  readonly heldLocally: boolean;

  constructor(fields: GraphSendErrorFields) {
    super(fields.message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'GraphSendError';
    this.status = fields.status;
    this.code = fields.code;
    this.requestId = fields.requestId;
    this.requestIds = fields.requestIds ?? (fields.requestId ? [fields.requestId] : []);
    this.attempts = fields.attempts;
    this.retryable = fields.retryable;
    this.retryAfterMs = fields.retryAfterMs;
    this.requests = fields.requests ?? fields.attempts;
    this.diagnosis = fields.diagnosis;
    this.problems = fields.problems;
    this.heldLocally = fields.heldLocally ?? false;
  }

  /** Plain data for logs and the delivery log (no token, no message content). */
  toJSON(): Omit<GraphSendErrorFields, 'cause'> {
    return {
      status: this.status,
      code: this.code,
      message: this.message,
      requestId: this.requestId,
      requestIds: this.requestIds,
      attempts: this.attempts,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      requests: this.requests,
      diagnosis: this.diagnosis,
      problems: this.problems,
      heldLocally: this.heldLocally || undefined,
    };
  }
}

/** Graph's error envelope: `{ error: { code, message, innerError: { request-id, date, client-request-id } } }`. */
export interface GraphErrorBody {
  code: string;
  message: string;
  requestId?: string;
  innerCode?: string;
}

export function parseGraphError(text: string): GraphErrorBody | undefined {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; innerError?: Record<string, unknown> } };
    const error = body?.error;
    if (!error || typeof error !== 'object' || typeof error.code !== 'string') return undefined;
    const inner = error.innerError && typeof error.innerError === 'object' ? error.innerError : {};
    return {
      code: error.code,
      message: typeof error.message === 'string' ? error.message : '',
      requestId: typeof inner['request-id'] === 'string' ? inner['request-id'] : undefined,
      innerCode: typeof inner.code === 'string' ? inner.code : undefined,
    };
  } catch {
    return undefined;
  }
}
