import { authorityHost, type Settings } from '../config/index.js';
import { APP_ONLY_ON_PUBLIC_CLIENT, diagnose, WEB_PLATFORM_CODE_REDEMPTION, type DiagnoseContext, type Diagnosis } from '../diagnose/index.js';
import type { AuthSession } from './session.js';

/** A sign-in or token failure, with the diagnosis that says which guide step to fix. */
export class SignInError extends Error {
  constructor(
    message: string,
    readonly diagnosis: Diagnosis | null = null,
    /** How long to wait before asking again (a throttled token endpoint); the outbox worker reads it. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'SignInError';
  }
}

export function diagnoseContext(settings: Settings): DiagnoseContext {
  return {
    tenantId: settings.account.tenantId,
    clientId: settings.account.clientId,
    authorityHost: authorityHost(settings),
    accountType: settings.account.type,
  };
}

/**
 * Diagnoses an msal-node error. msal keeps the AADSTS code in most messages but not all
 * (device-code polling reports only e.g. `invalid_client`), so the raw body the network
 * client captured is read when the error itself has no known code.
 */
export function diagnoseAuthFailure(session: AuthSession, err: unknown): Diagnosis | null {
  const context = diagnoseContext(session.settings);
  const fromError = diagnose(err, context);
  // A bare OAuth error (lower case, e.g. `invalid_client`) says less than the AADSTS code on the wire.
  if (fromError?.known && /^[A-Z]/.test(fromError.code)) return fromError;
  const raw = session.errors.latestWithCode() ?? session.errors.latest();
  const fromWire = raw ? diagnose({ status: raw.status, body: raw.body }, context) : null;
  return fromWire ?? fromError;
}

export function hasAadstsCode(session: AuthSession, err: unknown, code: number): boolean {
  return diagnoseAuthFailure(session, err)?.code === `AADSTS${code}`;
}

export function authError(session: AuthSession, message: string, err: unknown): SignInError {
  const found = diagnoseAuthFailure(session, err);
  // App-only: 700025 means the registration allows public client flows, not a secret to drop (issue 13.13).
  const diagnosis = found?.code === 'AADSTS700025' && session.settings.account.auth === 'app-only' ? { ...found, ...APP_ONLY_ON_PUBLIC_CLIENT } : found;
  const detail = diagnosis ? ` ${diagnosis.title}` : err instanceof Error ? ` ${err.message}` : '';
  return new SignInError(`${message}${detail}`, diagnosis);
}

/**
 * A failed redemption of a browser sign-in code. AADSTS7000218 there means the redirect URI matched
 * under Web (the code flow with a Mobile and desktop URI needs no secret), so the diagnosis names the
 * platform instead of "Allow public client flows" (issue 13.2).
 */
export function codeRedemptionError(session: AuthSession, err: unknown): SignInError {
  const diagnosis = diagnoseAuthFailure(session, err);
  if (diagnosis?.code !== 'AADSTS7000218') return authError(session, 'Sign-in failed.', err);
  return new SignInError(`Sign-in failed. ${WEB_PLATFORM_CODE_REDEMPTION.title}`, { ...diagnosis, ...WEB_PLATFORM_CODE_REDEMPTION });
}
