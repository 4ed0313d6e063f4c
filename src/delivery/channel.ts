import { isGuideStep, type GuideStep, type StoredDiagnosis } from '../diagnose/index.js';
import type { Importance } from './outbox-types.js';

/**
 * The delivery port: what the outbox worker needs from a way out (today Microsoft Graph). One call
 * per attempt, answered as data, never by throwing: the worker decides what happens next.
 * Modelled on Alertmanager's Notifier ("retry?" with its error).
 */

/** One e-mail as the outbox holds it. */
export interface OutgoingMessage {
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  html: string;
  text: string;
  importance: Importance;
  /** Internet message headers; every name starts with `x-` as Graph requires. */
  headers: Record<string, string>;
  /**
   * Raw MIME (a relayed message, sent as it came); subject/html/text then only describe it for
   * logs and the deliveries view. Absent: the channel builds the message from the fields above.
   */
  mime?: Buffer;
}

/** What went wrong with an attempt: what happened, and the diagnosis (why, the fix, the guide step). */
export interface DeliveryProblem {
  message: string;
  statusCode: number | null;
  code: string | null;
  diagnosis: StoredDiagnosis | null;
}

/** How one attempt ended. `requests`: the HTTP requests it took (each is counted and listed). */
export type DeliveryOutcome =
  | { kind: 'sent'; messageId: string | null; requests: number }
  /** Worth trying again; `afterMs`: how long the far side asked to wait (Retry-After), if it did. */
  | { kind: 'retry'; afterMs: number | null; problem: DeliveryProblem; requests: number }
  | { kind: 'failed'; problem: DeliveryProblem; requests: number }
  /**
   * Not sent and nothing asked of Microsoft: held back here (the daily recipient budget, the
   * mailbox's Retry-After pause) until `afterMs` from this answer. Not an attempt: the worker
   * re-queues it for exactly then, without a retry counted or the retry delay's cap; `problem`
   * says why it waits.
   */
  | { kind: 'deferred'; afterMs: number; problem: DeliveryProblem; requests: 0 }
  /** Only a person can fix it (sign in again, consent, a new secret): every e-mail waits. */
  | { kind: 'needs-sign-in'; problem: DeliveryProblem; requests: number };

export type DeliveryOutcomeKind = DeliveryOutcome['kind'];

export interface DeliveryChannel {
  /**
   * One attempt. `signal` aborts it (the worker's send timeout): the channel stops the request
   * under way and answers `retry` (the message may still have arrived: at-least-once).
   */
  send(message: OutgoingMessage, options: { signal: AbortSignal }): Promise<DeliveryOutcome>;
}

/** The header that names the outbox row: a duplicate after a crash is recognisable by it. */
export const NOTIFY_ID_HEADER = 'x-o365-notify-id';
export const NOTIFY_KIND_HEADER = 'x-o365-notify-kind';

/** Guide steps that only a person can fix by signing in or changing the app registration. */
export const SIGN_IN_GUIDE_STEPS: readonly (GuideStep | '')[] = ['sign-in-again', 'admin-consent', 'client-secret'];

function str(value: unknown, max = 2000): string | null {
  return typeof value === 'string' && value !== '' ? value.slice(0, max) : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function readDiagnosis(value: unknown): StoredDiagnosis | null {
  if (value === null || typeof value !== 'object') return null;
  const d = value as Record<string, unknown>;
  const guideStep = str(d.guideStep, 100);
  const code = str(d.code, 200);
  if (!guideStep && !code) return null;
  return {
    code: code ?? '',
    title: str(d.title) ?? '',
    cause: str(d.cause) ?? '',
    fix: str(d.fix) ?? '',
    // A step the guide does not have is no step (the type says so, and the page looks steps up).
    guideStep: isGuideStep(guideStep) ? guideStep : '',
  };
}

/**
 * Turns whatever a sender threw into an outcome. The fields are read defensively: `retryable`, a
 * `diagnosis`, an HTTP `status`/`statusCode`, a `code`, `retryAfterMs` (or `retryAfterSeconds`),
 * `requests`. An error that does not say whether it is retryable (a network failure, a bug in an
 * adapter) is retried: the worker's attempt limit bounds it.
 */
export function outcomeOfError(err: unknown): Exclude<DeliveryOutcome, { kind: 'sent' }> {
  const e = (err !== null && typeof err === 'object' ? err : {}) as Record<string, unknown>;
  const message = (err instanceof Error ? err.message : str(e.message) ?? String(err)).slice(0, 2000);
  const retryAfterSeconds = num(e.retryAfterSeconds);
  const diagnosis = readDiagnosis(e.diagnosis);
  const problem: DeliveryProblem = {
    message,
    statusCode: num(e.statusCode) ?? num(e.status) ?? null,
    code: str(e.code, 200) ?? diagnosis?.code ?? null,
    diagnosis,
  };
  const requests = Math.max(0, Math.floor(num(e.requests) ?? 1));
  // A hold of our own pacing (no request was made) is a wait, not a failed try.
  const heldMs = num(e.retryAfterMs);
  if (e.heldLocally === true && e.retryable === true && heldMs !== null) return { kind: 'deferred', afterMs: Math.max(0, heldMs), problem, requests: 0 };
  if (diagnosis !== null && SIGN_IN_GUIDE_STEPS.includes(diagnosis.guideStep)) return { kind: 'needs-sign-in', problem, requests };
  const retryable = typeof e.retryable === 'boolean' ? e.retryable : true;
  if (!retryable) return { kind: 'failed', problem, requests };
  const afterMs = num(e.retryAfterMs) ?? (retryAfterSeconds === null ? null : retryAfterSeconds * 1000);
  return { kind: 'retry', afterMs, problem, requests };
}
