import type { Importance, StoredDiagnosis } from '../store/index.js';

/**
 * The only thing the notification service needs from the mail client (src/graph): send one
 * rendered e-mail. Wiring adapts `createMailClient(...)` to this; tests use a fake.
 */
export interface OutgoingEmail {
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  html: string;
  text: string;
  importance: Importance;
  /** Internet message headers; every name starts with `x-` as Graph requires. */
  headers: Record<string, string>;
}

export interface SendResult {
  messageId?: string;
}

export interface MailSender {
  send(email: OutgoingEmail): Promise<SendResult>;
}

/** The header that names the outbox row: a duplicate after a crash is recognisable by it. */
export const NOTIFY_ID_HEADER = 'x-o365-notify-id';
export const NOTIFY_KIND_HEADER = 'x-o365-notify-kind';

/**
 * What the mail client's errors carry (all optional, read defensively): `retryable`, a
 * `diagnosis` {code, title, cause, fix, guideStep}, an HTTP `status`/`statusCode`, a `code`, and
 * `retryAfterMs` (or `retryAfterSeconds`) from Retry-After.
 */
export interface SendFailure {
  message: string;
  retryable: boolean;
  diagnosis: StoredDiagnosis | null;
  statusCode: number | null;
  code: string | null;
  retryAfterMs: number | null;
}

/** Guide steps that only a person can fix by signing in or changing the app registration. */
export const SIGN_IN_GUIDE_STEPS: readonly string[] = ['sign-in-again', 'admin-consent', 'client-secret'];

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
    guideStep: guideStep ?? '',
  };
}

/**
 * Reads whatever the sender threw. An error that does not say whether it is retryable (a network
 * failure, a bug in an adapter) is retried: the outbox's retry limit bounds it.
 */
export function describeSendError(err: unknown): SendFailure {
  const e = (err !== null && typeof err === 'object' ? err : {}) as Record<string, unknown>;
  const message = (err instanceof Error ? err.message : str(e.message) ?? String(err)).slice(0, 2000);
  const retryAfterSeconds = num(e.retryAfterSeconds);
  return {
    message,
    retryable: typeof e.retryable === 'boolean' ? e.retryable : true,
    diagnosis: readDiagnosis(e.diagnosis),
    statusCode: num(e.statusCode) ?? num(e.status),
    code: str(e.code, 200) ?? readDiagnosis(e.diagnosis)?.code ?? null,
    retryAfterMs: num(e.retryAfterMs) ?? (retryAfterSeconds === null ? null : retryAfterSeconds * 1000),
  };
}

export function needsSignIn(failure: SendFailure): boolean {
  return failure.diagnosis !== null && SIGN_IN_GUIDE_STEPS.includes(failure.diagnosis.guideStep);
}
