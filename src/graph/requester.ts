import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.js';
import type { DiagnoseContext } from '../diagnose/index.js';
import { diagnoseFailure } from './diagnosis.js';
import { GraphSendError, parseGraphError } from './errors.js';
import type { HttpResponse, HttpTransport } from './http.js';
import type { MailboxPacer } from './pacing.js';
import { decideRetry, tokenFailureRetry, parseRetryAfter, type Outcome, type RetryOptions } from './retry.js';
import type { HeldToken, TokenSource } from './token-source.js';

/**
 * One Graph call with everything around it: the token, the mailbox's pacing slot, a
 * client-request-id, the timeout, cancellation, and the retry decision. Fails only with
 * GraphSendError.
 *
 * Who retries: with `retries: 'internal'` (direct sends: `send`, `test`, doctor) this loop waits and
 * tries again as retry.ts decides. With `retries: 'caller'` (the outbox worker, the one owner of
 * retries for queued e-mails) a retryable answer ends the call at once, carrying how long Graph
 * asked to wait; only the one token refresh after a 401 is done here (nothing was accepted then).
 */

export interface GraphCall {
  /** What this call does, for error messages ("sendMail", "create the draft"). */
  step: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  body?: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  /** False for the pre-authenticated upload URL: Graph says to send no Authorization header there. */
  authenticated: boolean;
  /** Takes a token from the messages-per-minute budget (the request that sends the message). */
  countsAsMessage?: boolean;
  /** Statuses that mean success. */
  okStatuses: number[];
  /** A failure answer the caller handles itself (upload resync), returned instead of retried. */
  accept?: (res: HttpResponse) => boolean;
  /** Overrides the attempt bound (best-effort cleanup tries fewer times). */
  maxAttempts?: number;
}

/** Everything recorded while sending one message. */
export interface SendTrace {
  startedAt: number;
  requestIds: string[];
  /** The one forced token refresh a message may use. */
  refreshedToken: boolean;
  /** Time in HTTP exchanges (network + Graph), in pacing waits, in retry waits. */
  httpMs: number;
  pacingWaitMs: number;
  retryWaitMs: number;
  requests: number;
  /** The caller's cancellation (the worker's send timeout), passed down to every HTTP request. */
  signal?: AbortSignal;
}

export function newTrace(now: number, signal?: AbortSignal): SendTrace {
  return { startedAt: now, requestIds: [], refreshedToken: false, httpMs: 0, pacingWaitMs: 0, retryWaitMs: 0, requests: 0, signal };
}

export interface ClientCounters {
  requests: number;
  retries: number;
  throttled: number;
  serverErrors: number;
  networkErrors: number;
  forcedTokenRefreshes: number;
}

export interface RequesterDeps {
  transport: HttpTransport;
  clock: Clock;
  tokens: TokenSource;
  retry: RetryOptions;
  random: () => number;
  requestTimeoutMs: number;
  counters: ClientCounters;
  diagnoseContext: DiagnoseContext;
  retries: RetryOwner;
}

/** Who waits and tries again after a retryable answer: this client, or the caller (the outbox worker). */
export type RetryOwner = 'internal' | 'caller';

/**
 * The caller gave up (the worker's send timeout): what is known about the request when it stopped.
 * `pausedUntil`: it was still waiting for the mailbox's Retry-After pause with no request made for
 * this message - a local hold until then, not a failed try (the worker re-queues it for then).
 */
function cancelledError(step: string, trace: SendTrace, attempts: number, sent: boolean, reason: unknown, pausedUntil?: { ms: number; now: number }): GraphSendError {
  const why = reason instanceof Error ? reason.message : 'the send was cancelled';
  if (!sent && trace.requests === 0 && pausedUntil && pausedUntil.ms > pausedUntil.now) {
    return new GraphSendError({
      status: 0,
      code: 'MailboxPaused',
      message:
        `${step}: not sent yet: Microsoft Graph asked this mailbox to wait (Retry-After) until ${new Date(pausedUntil.ms).toISOString()}, ` +
        'and no request was made for this e-mail; it goes then. If this keeps happening, lower mail.messagesPerMinute or mail.requestsPer10Minutes.',
      requestIds: [...trace.requestIds],
      attempts: 0,
      retryable: true,
      retryAfterMs: Math.ceil(pausedUntil.ms - pausedUntil.now),
      requests: 0,
      heldLocally: true,
    });
  }
  return new GraphSendError({
    status: 0,
    code: 'Cancelled',
    message: sent
      ? `${step}: stopped waiting for Graph's answer (${why}); Microsoft 365 may still have accepted the message`
      : `${step}: cancelled before the request was sent (${why})`,
    requestIds: [...trace.requestIds],
    attempts,
    retryable: true,
    requests: trace.requests,
  });
}

/** Waits for `promise` unless `signal` aborts first; `onLate` gets what arrives after an abort. */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, onLate: (value: T) => void): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.then(onLate, () => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const onAbort = () => {
      if (done) return;
      done = true;
      promise.then(onLate, () => undefined);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        if (done) return;
        done = true;
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (done) return;
        done = true;
        reject(e);
      },
    );
  });
}

export class GraphRequester {
  constructor(private readonly deps: RequesterDeps) {}

  async execute(call: GraphCall, pacer: MailboxPacer, trace: SendTrace): Promise<{ response: HttpResponse; attempts: number }> {
    const { clock, counters } = this.deps;
    const { signal } = trace;
    const retry = call.maxAttempts === undefined ? this.deps.retry : { ...this.deps.retry, maxAttempts: call.maxAttempts };
    // Every attempt of a sending request takes its own turn in the messages budget: a retry
    // sent on an old turn would sit closer to the next messages than the limit allows.
    const countsAsMessage = call.countsAsMessage ?? false;
    let held: HeldToken | undefined;
    let rejected = false;

    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw cancelledError(call.step, trace, attempt - 1, false, signal.reason);
      let slot: Awaited<ReturnType<MailboxPacer['begin']>>;
      try {
        // A slot granted after the caller gave up is handed back at once.
        slot = await unlessAborted(pacer.begin({ countsAsMessage }), signal, (late) => late.release());
      } catch (err) {
        if (signal?.aborted) throw cancelledError(call.step, trace, attempt - 1, false, signal.reason, { ms: pacer.pausedUntilMs, now: clock.now() });
        throw err;
      }
      trace.pacingWaitMs += slot.waitedMs;
      // The token is asked for right before sending: a long wait for the pace must not leave an expired one.
      if (call.authenticated) {
        try {
          held = await this.token(rejected ? held : undefined, call.step, attempt - 1, trace);
        } catch (err) {
          slot.release();
          throw err;
        }
        rejected = false;
      }

      const headers: Record<string, string> = { accept: 'application/json', 'client-request-id': randomUUID(), ...call.headers };
      if (call.contentType) headers['content-type'] = call.contentType;
      if (held) headers.authorization = `Bearer ${held.token.accessToken}`;

      let response: HttpResponse | undefined;
      let networkError: (Error & { code?: string }) | undefined;
      const sentAt = clock.now();
      counters.requests += 1;
      trace.requests += 1;
      try {
        response = await this.deps.transport.request({ method: call.method, url: call.url, headers, body: call.body, timeoutMs: this.deps.requestTimeoutMs, signal });
      } catch (err) {
        networkError = err as Error & { code?: string };
      } finally {
        slot.release();
        trace.httpMs += clock.now() - sentAt;
      }

      let outcome: Outcome;
      let requestId: string | undefined;
      let graphError: ReturnType<typeof parseGraphError>;
      if (response) {
        requestId = headerValue(response, 'request-id');
        if (requestId) trace.requestIds.push(requestId);
        if (call.okStatuses.includes(response.status) || call.accept?.(response)) return { response, attempts: attempt };
        graphError = parseGraphError(response.body.toString('utf8'));
        requestId ??= graphError?.requestId;
        const retryAfterMs = parseRetryAfter(response.headers['retry-after'], clock.now());
        if (response.status === 429) counters.throttled += 1;
        if (response.status >= 500) counters.serverErrors += 1;
        if (retryAfterMs !== undefined && [429, 503, 504].includes(response.status)) pacer.pauseUntil(clock.now() + retryAfterMs);
        outcome = { kind: 'response', status: response.status, code: graphError?.code, retryAfterMs };
      } else {
        if (signal?.aborted) throw cancelledError(call.step, trace, attempt, true, signal.reason);
        counters.networkErrors += 1;
        outcome = { kind: 'network', code: networkError?.code, message: networkError?.message ?? 'unknown network error' };
      }

      const decision = decideRetry(outcome, { attempt, startedAt: trace.startedAt, now: clock.now(), refreshedToken: trace.refreshedToken }, retry, this.deps.random);
      if (decision.action === 'retry' && this.deps.retries === 'internal') {
        counters.retries += 1;
        trace.retryWaitMs += decision.delayMs;
        await unlessAborted(clock.sleep(decision.delayMs), signal, () => undefined).catch(() => {
          throw cancelledError(call.step, trace, attempt, false, signal?.reason);
        });
        continue;
      }
      if (decision.action === 'refresh-token' && held) {
        counters.retries += 1;
        trace.refreshedToken = true;
        rejected = true;
        continue;
      }
      // The caller owns retries: hand back the decision (retry, and how long Graph asked to wait).
      const reason = decision.action === 'retry' ? `${decision.reason}; the caller tries again` : decision.reason;
      const retryable = decision.action === 'retry' || (decision.action === 'fail' && decision.retryable);
      const retryAfterMs = decision.action === 'retry' && outcome.kind === 'response' ? outcome.retryAfterMs : undefined;
      if (response) {
        const code = graphError?.code ?? `HTTP${response.status}`;
        const detail = graphError?.message ? `: ${graphError.message}` : '';
        const error = new GraphSendError({
          status: response.status,
          code,
          message: `${call.step} failed with HTTP ${response.status} ${code}${detail} (${reason})`,
          requestId,
          requestIds: [...trace.requestIds],
          attempts: attempt,
          retryable,
          retryAfterMs,
          requests: trace.requests,
        });
        const raw = { status: response.status, body: response.body.toString('utf8'), headers: { ...response.headers } };
        error.diagnosis = diagnoseFailure(error, raw, this.deps.diagnoseContext);
        throw error;
      }
      const error = new GraphSendError({
        status: 0,
        code: networkCode(networkError),
        message: `${call.step} failed: ${networkError?.message ?? 'network error'}${networkError?.code ? ` (${networkError.code})` : ''} (${reason})`,
        requestIds: [...trace.requestIds],
        attempts: attempt,
        retryable,
        requests: trace.requests,
        cause: networkError,
      });
      error.diagnosis = diagnoseFailure(error, { cause: networkError }, this.deps.diagnoseContext);
      throw error;
    }
  }

  /** The token for the next attempt; after a 401, a refreshed one (`rejected`: the refused token). */
  private async token(rejected: HeldToken | undefined, step: string, attemptsSoFar: number, trace: SendTrace): Promise<HeldToken> {
    const { tokens } = this.deps;
    try {
      if (rejected === undefined) return await tokens.get();
      const before = tokens.forcedRefreshes;
      const fresh = await tokens.refreshAfterRejection(rejected.generation);
      this.deps.counters.forcedTokenRefreshes += tokens.forcedRefreshes - before;
      return fresh;
    } catch (err) {
      const e = err as Error & { code?: string };
      const error = new GraphSendError({
        status: 0,
        code: 'TokenAcquisitionFailed',
        message: `${step}: no access token could be obtained${rejected ? ' after Graph refused the cached one' : ''}: ${e?.message ?? String(err)}`,
        requestIds: [...trace.requestIds],
        attempts: attemptsSoFar,
        ...tokenFailureRetry(err),
        requests: trace.requests,
        cause: err,
      });
      error.diagnosis = diagnoseFailure(error, { cause: err }, this.deps.diagnoseContext);
      throw error;
    }
  }
}

function headerValue(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const TLS_CODES = /^(?:ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_SSL_)/;

function networkCode(err: (Error & { code?: string }) | undefined): string {
  if (!err) return 'NetworkError';
  if (err.name === 'RequestTimeoutError') return 'Timeout';
  if (err.code && TLS_CODES.test(err.code)) return 'TlsError';
  return 'NetworkError';
}
