/**
 * Retry decisions, kept pure so every rule is unit-tested: Retry-After on 429/503/504,
 * exponential backoff with jitter on other 5xx and network errors, one token refresh on
 * 401 InvalidAuthenticationToken, bounded attempts and total time, no retry on other 4xx.
 */

export interface RetryOptions {
  /** HTTP attempts per request, the first included. */
  maxAttempts: number;
  /** Time one message may take, waits included. */
  maxTotalMs: number;
  /** First backoff step (doubles per attempt). */
  baseDelayMs: number;
  /** Longest backoff step (Retry-After may ask for longer; it is honoured). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 6, maxTotalMs: 10 * 60_000, baseDelayMs: 500, maxDelayMs: 30_000 };

export type Outcome =
  | { kind: 'response'; status: number; code?: string; retryAfterMs?: number }
  | { kind: 'network'; code?: string; message: string };

export type Decision =
  | { action: 'retry'; delayMs: number; reason: string }
  | { action: 'refresh-token'; reason: string }
  | { action: 'fail'; retryable: boolean; reason: string };

export interface AttemptState {
  /** Attempts made so far, the one just answered included. */
  attempt: number;
  startedAt: number;
  now: number;
  /** A forced token refresh was already used for this message. */
  refreshedToken: boolean;
}

/** Node/OpenSSL codes of transient network failures (the connection dropped or never answered). */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

export function isTransientNetworkError(code: string | undefined, message = ''): boolean {
  if (code && TRANSIENT_NETWORK_CODES.has(code)) return true;
  return /socket hang up|ECONNRESET|timed? ?out/i.test(message);
}

/**
 * Whether a failure to get an access token is worth another try, and when: a network failure is, and
 * so is a throttled token endpoint, whose error says how long to wait (`retryAfterSeconds` on the
 * sign-in module's errors, issue 13.11). Anything else (consent, sign-in) is not retried here.
 */
export function tokenFailureRetry(err: unknown): { retryable: boolean; retryAfterMs: number | undefined } {
  // The sign-in module wraps what failed under it (`cause`): a shared token cache whose database
  // is unreachable says how long to wait from two levels down (issue 16).
  for (let e = err as { code?: string; message?: string; retryAfterSeconds?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    const seconds = typeof e.retryAfterSeconds === 'number' && Number.isFinite(e.retryAfterSeconds) ? e.retryAfterSeconds : undefined;
    if (seconds !== undefined) return { retryable: true, retryAfterMs: seconds * 1000 };
  }
  const e = (err ?? {}) as { code?: string; message?: string };
  return { retryable: isTransientNetworkError(e.code, e.message), retryAfterMs: undefined };
}

/** 429/503/504 carry Retry-After when Graph knows how long to wait. */
const RETRY_AFTER_STATUSES = new Set([429, 503, 504]);

export function backoffDelay(attempt: number, options: RetryOptions, random: () => number): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  // "Equal jitter": at least half the step, so waits still grow, spread so clients don't retry in step.
  return Math.round(step / 2 + (step / 2) * random());
}

/** What to do after an attempt that did not succeed. */
export function decideRetry(outcome: Outcome, state: AttemptState, options: RetryOptions, random: () => number = Math.random): Decision {
  const withinBudget = (delayMs: number): Decision | undefined => {
    if (state.attempt >= options.maxAttempts) {
      return { action: 'fail', retryable: true, reason: `gave up after ${state.attempt} attempts` };
    }
    if (state.now + delayMs - state.startedAt > options.maxTotalMs) {
      return { action: 'fail', retryable: true, reason: `gave up: the next try would end after the ${Math.round(options.maxTotalMs / 1000)} s allowed per message` };
    }
    return undefined;
  };

  if (outcome.kind === 'network') {
    if (!isTransientNetworkError(outcome.code, outcome.message)) {
      return { action: 'fail', retryable: false, reason: `network error ${outcome.code ?? ''} is not transient`.replace('  ', ' ') };
    }
    const delayMs = backoffDelay(state.attempt, options, random);
    return withinBudget(delayMs) ?? { action: 'retry', delayMs, reason: `network error ${outcome.code ?? outcome.message}` };
  }

  const { status } = outcome;
  if (status === 401 && (outcome.code === undefined || outcome.code === 'InvalidAuthenticationToken')) {
    if (state.refreshedToken) return { action: 'fail', retryable: false, reason: 'the access token was refused again after a refresh' };
    return withinBudget(0) ?? { action: 'refresh-token', reason: 'the access token was refused (expired or revoked)' };
  }
  if (RETRY_AFTER_STATUSES.has(status) && outcome.retryAfterMs !== undefined) {
    // Never earlier than asked; a little later so clients told the same don't return together.
    const delayMs = outcome.retryAfterMs + Math.round(Math.min(1_000, outcome.retryAfterMs * 0.1) * random());
    return withinBudget(delayMs) ?? { action: 'retry', delayMs, reason: `HTTP ${status}, Retry-After ${outcome.retryAfterMs} ms` };
  }
  if (status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505)) {
    const delayMs = backoffDelay(state.attempt, options, random);
    return withinBudget(delayMs) ?? { action: 'retry', delayMs, reason: `HTTP ${status}` };
  }
  return { action: 'fail', retryable: false, reason: `HTTP ${status} is permanent` };
}

/** `Retry-After`: delay-seconds or an HTTP-date (RFC 9110); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
