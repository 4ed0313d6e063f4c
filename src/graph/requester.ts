import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.js';
import type { DiagnoseContext } from '../diagnose/index.js';
import { diagnoseFailure } from './diagnosis.js';
import { GraphSendError, parseGraphError } from './errors.js';
import type { HttpResponse, HttpTransport } from './http.js';
import type { MailboxPacer } from './pacing.js';
import { decideRetry, isTransientNetworkError, parseRetryAfter, type Outcome, type RetryOptions } from './retry.js';
import type { HeldToken, TokenSource } from './token-source.js';

/**
 * One Graph call with everything around it: the token, the mailbox's pacing slot, a
 * client-request-id, the timeout, and the retry loop. Fails only with GraphSendError.
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
}

export function newTrace(now: number): SendTrace {
  return { startedAt: now, requestIds: [], refreshedToken: false, httpMs: 0, pacingWaitMs: 0, retryWaitMs: 0, requests: 0 };
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
}

export class GraphRequester {
  constructor(private readonly deps: RequesterDeps) {}

  async execute(call: GraphCall, pacer: MailboxPacer, trace: SendTrace): Promise<{ response: HttpResponse; attempts: number }> {
    const { clock, counters } = this.deps;
    const retry = call.maxAttempts === undefined ? this.deps.retry : { ...this.deps.retry, maxAttempts: call.maxAttempts };
    // Every attempt of a sending request takes its own turn in the messages budget: a retry
    // sent on an old turn would sit closer to the next messages than the limit allows.
    const countsAsMessage = call.countsAsMessage ?? false;
    let held: HeldToken | undefined;
    let rejected = false;

    for (let attempt = 1; ; attempt++) {
      const slot = await pacer.begin({ countsAsMessage });
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
        response = await this.deps.transport.request({ method: call.method, url: call.url, headers, body: call.body, timeoutMs: this.deps.requestTimeoutMs });
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
        counters.networkErrors += 1;
        outcome = { kind: 'network', code: networkError?.code, message: networkError?.message ?? 'unknown network error' };
      }

      const decision = decideRetry(outcome, { attempt, startedAt: trace.startedAt, now: clock.now(), refreshedToken: trace.refreshedToken }, retry, this.deps.random);
      if (decision.action === 'retry') {
        counters.retries += 1;
        trace.retryWaitMs += decision.delayMs;
        await clock.sleep(decision.delayMs);
        continue;
      }
      if (decision.action === 'refresh-token' && held) {
        counters.retries += 1;
        trace.refreshedToken = true;
        rejected = true;
        continue;
      }
      const reason = decision.reason;
      const retryable = decision.action === 'fail' && decision.retryable;
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
        retryable: isTransientNetworkError(e?.code, e?.message),
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
