import { randomUUID } from 'node:crypto';
import { CryptoProvider, type AccountInfo, type AuthenticationResult, type DeviceCodeRequest } from '@azure/msal-node';

export type DeviceCodeInfo = Parameters<DeviceCodeRequest['deviceCodeCallback']>[0];
import { DELEGATED_SCOPES, APP_ONLY_SCOPES, MAIL_SEND_SCOPE } from '../config/index.js';
import { authError, codeRedemptionError, diagnoseAuthFailure, hasAadstsCode, SignInError } from './errors.js';
import { startLoopbackListener, type AuthorizationResponse } from './loopback.js';
import type { AuthSession } from './session.js';

/** What a completed sign-in tells the administrator. */
export interface SignInResult {
  account: { username: string; name?: string; homeAccountId: string; tenantId: string };
  scopes: string[];
  expiresOn: Date | null;
  /** Things worth knowing, e.g. that the configured secret is not needed for this registration. */
  notes: string[];
}

export const SECRET_NOT_NEEDED_NOTE =
  'The client secret is not needed for this registration: its redirect URI is under "Mobile and desktop applications", ' +
  'which makes it a public client (AADSTS700025 when a secret is sent). Sign-in used the public client flow. ' +
  'You may remove the secret with `o365-notify setup --clear-secret` unless you use app-only mode.';

const DEFAULT_SIGN_IN_TIMEOUT_MS = 5 * 60_000;

function accountOf(result: AuthenticationResult): SignInResult['account'] {
  const a = result.account as AccountInfo;
  return { username: a.username, name: a.name, homeAccountId: a.homeAccountId, tenantId: a.tenantId };
}

/** Mail.Send must be in the token, or every send will fail with 403 ErrorAccessDenied. */
function requireMailSend(session: AuthSession, result: AuthenticationResult, appOnly: boolean): void {
  const granted = appOnly ? rolesOf(result.accessToken) : result.scopes.map((s) => s.replace(/^https:\/\/graph\.microsoft\.com\//i, ''));
  if (granted.some((s) => s.toLowerCase() === MAIL_SEND_SCOPE.toLowerCase())) return;
  throw new SignInError(
    appOnly
      ? 'Signed in as the application, but its token carries no Mail.Send application permission.'
      : 'Signed in, but the token does not carry the Mail.Send permission.',
    diagnoseAuthFailure(session, { code: appOnly ? 'NoPermissionsInAccessToken' : 'ErrorAccessDenied' }),
  );
}

/** The `roles` claim of an app-only token (we only read our own token, never verify it: Graph does). */
function rolesOf(accessToken: string): string[] {
  try {
    const payload = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { roles?: unknown };
    return Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}

async function recordSignIn(session: AuthSession, result: AuthenticationResult, clientKind: 'public' | 'confidential', notes: string[]): Promise<SignInResult> {
  const account = accountOf(result);
  const now = new Date().toISOString();
  await session.authState.update(() => ({
    account,
    clientKind,
    signedInAt: now,
    lastTokenAt: now,
    accessTokenExpiresAt: result.expiresOn?.toISOString(),
    notes,
  }));
  return { account, scopes: result.scopes, expiresOn: result.expiresOn, notes };
}

/** Records why sign-in failed, so `status` and the service show it with its guide step. */
export async function recordSignInFailure(session: AuthSession, error: SignInError): Promise<void> {
  await session.authState.update((s) => {
    // A failed new attempt says nothing about the sign-in already held: its refresh token still
    // works, so it stays as it was (issue 9.11). Only without one is the failure the state.
    if (s.account && !s.problem) return s;
    return { ...s, problem: { since: new Date().toISOString(), reason: error.message, signInRequired: true, diagnosis: error.diagnosis ?? undefined } };
  });
}

const CANCELLED = 'Sign-in cancelled (Ctrl-C): nothing changed; an existing sign-in stays as it was.';

export interface BrowserSignInOptions {
  /** Opens the authorize URL in a browser (or prints it with --no-open). */
  openBrowser: (url: string) => Promise<void>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * One authorization request of the browser sign-in: the URL to open, and what its answer is
 * checked and redeemed with. The code verifier stays with whoever started the sign-in (the CLI
 * or the service); only `url` goes to the browser.
 */
export interface BrowserSignInRequest {
  url: string;
  state: string;
  /** `http://localhost:PORT`: where Entra sends the answer (form_post). */
  redirectUri: string;
  codeVerifier: string;
  scopes: string[];
  /** True when the code is first redeemed with the client secret (a Web-platform registration needs it). */
  confidential: boolean;
}

/**
 * Authorization code + PKCE (S256), answer by form_post to `redirectUri`. A configured secret is
 * used (a Web-platform registration needs it); completeBrowserSignIn falls back to the public
 * client when Entra answers AADSTS700025.
 */
export async function createBrowserSignInRequest(session: AuthSession, redirectUri: string, state: string = randomUUID()): Promise<BrowserSignInRequest> {
  const scopes = [...DELEGATED_SCOPES];
  const pkce = await new CryptoProvider().generatePkceCodes();
  const confidential = await session.confidentialClient();
  const url = await (confidential ?? session.publicClient()).getAuthCodeUrl({
    scopes,
    redirectUri,
    codeChallenge: pkce.challenge,
    codeChallengeMethod: 'S256',
    state,
    responseMode: 'form_post',
    prompt: 'select_account',
  });
  return { url, state, redirectUri, codeVerifier: pkce.verifier, scopes, confidential: confidential !== undefined };
}

/** Redeems the answer of createBrowserSignInRequest; throws SignInError with the diagnosis. */
async function redeemAuthorizationResponse(session: AuthSession, request: BrowserSignInRequest, response: AuthorizationResponse): Promise<SignInResult> {
  if (response.state !== request.state) {
    throw new SignInError('Sign-in was not completed: the answer does not belong to this sign-in (state mismatch). Start the sign-in again.');
  }
  if (response.error) {
    throw authError(session, `Sign-in was not completed: ${response.error}`, { error: response.error, error_description: response.errorDescription });
  }
  const confidential = request.confidential ? await session.confidentialClient() : undefined;
  const first = confidential ?? session.publicClient();
  const redeem = { code: response.code ?? '', codeVerifier: request.codeVerifier, redirectUri: request.redirectUri, scopes: request.scopes, clientInfo: response.clientInfo };
  let result: AuthenticationResult;
  let clientKind: 'public' | 'confidential' = confidential ? 'confidential' : 'public';
  const notes: string[] = [];
  try {
    result = await first.acquireTokenByCode(redeem);
  } catch (err) {
    if (!confidential || !hasAadstsCode(session, err, 700025)) throw codeRedemptionError(session, err);
    try {
      result = await session.publicClient().acquireTokenByCode(redeem);
    } catch (retryErr) {
      throw codeRedemptionError(session, retryErr);
    }
    clientKind = 'public';
    notes.push(SECRET_NOT_NEEDED_NOTE);
  }
  requireMailSend(session, result, false);
  return recordSignIn(session, result, clientKind, notes);
}

/**
 * Completes a browser sign-in started with createBrowserSignInRequest, from the answer Entra sent
 * to the redirect URI (code and state, or error). A failure is recorded (status, the service and
 * the page show it) and thrown as SignInError.
 */
export async function completeBrowserSignIn(session: AuthSession, request: BrowserSignInRequest, response: AuthorizationResponse): Promise<SignInResult> {
  try {
    return await redeemAuthorizationResponse(session, request, response);
  } catch (err) {
    const error = err instanceof SignInError ? err : authError(session, 'Sign-in failed.', err);
    await recordSignInFailure(session, error);
    throw error;
  }
}

/**
 * Authorization code + PKCE through the loopback redirect `http://localhost[:PORT]`.
 * A configured secret is sent (a Web-platform registration needs it); when Entra answers
 * AADSTS700025 the registration is a public client, so the same code is redeemed again without it.
 */
export async function signInWithBrowser(session: AuthSession, options: BrowserSignInOptions): Promise<SignInResult> {
  session.errors.clear();
  const state = randomUUID();
  const listener = await startLoopbackListener({
    port: session.settings.account.redirectPort,
    expectedState: state,
    timeoutMs: options.timeoutMs ?? DEFAULT_SIGN_IN_TIMEOUT_MS,
    signal: options.signal,
  });
  try {
    const request = await createBrowserSignInRequest(session, listener.redirectUri, state);
    await options.openBrowser(request.url);
    return await redeemAuthorizationResponse(session, request, await listener.response);
  } catch (err) {
    if (options.signal?.aborted) throw new SignInError(CANCELLED);
    const error = err instanceof SignInError ? err : authError(session, 'Sign-in failed.', err);
    await recordSignInFailure(session, error);
    throw error;
  } finally {
    await listener.close();
  }
}

export interface DeviceCodeSignInOptions {
  /** Shows the code and the URL to the administrator (who may be on another machine). */
  onCode: (info: DeviceCodeInfo) => void;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

/** Device code sign-in (guide: Allow public client flows = Yes) for headless servers and remote consoles. */
export async function signInWithDeviceCode(session: AuthSession, options: DeviceCodeSignInOptions): Promise<SignInResult> {
  session.errors.clear();
  // /devicecode refused the request but msal-node hands on an answer without a code (an error body,
  // sent with 400 or even 200 OK): stop before polling and showing "enter the code undefined".
  let refusedAtDeviceCode = false;
  const request = {
    scopes: [...DELEGATED_SCOPES],
    deviceCodeCallback: (info: DeviceCodeInfo) => {
      if (!info.userCode || !info.deviceCode) {
        refusedAtDeviceCode = true;
        request.cancel = true;
        return;
      }
      options.onCode(info);
    },
    timeout: options.timeoutSeconds,
    cancel: false,
  };
  const onAbort = () => {
    request.cancel = true;
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await session.publicClient().acquireTokenByDeviceCode(request);
    if (!result) throw new SignInError('Sign-in returned no token.');
    requireMailSend(session, result, false);
    return await recordSignIn(session, result, 'public', []);
  } catch (err) {
    // Cancelling is the administrator's choice, not a problem: the pending poll's answer
    // (AADSTS70016 authorization_pending) is not an error to diagnose.
    if (options.signal?.aborted) throw new SignInError(CANCELLED);
    const refusal = refusedAtDeviceCode ? session.errors.latest() : undefined;
    const error = err instanceof SignInError ? err : authError(session, 'Sign-in failed.', refusal ? { status: refusal.status, body: refusal.body } : err);
    await recordSignInFailure(session, error);
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** App-only: client credentials with the secret; checks the Mail.Send application permission is granted. */
export async function signInAppOnly(session: AuthSession): Promise<SignInResult> {
  session.errors.clear();
  const client = await session.confidentialClient();
  if (!client) {
    throw new SignInError(
      'App-only mode needs the client secret (or a certificate from `o365-notify certificate create`), and none is stored.',
      diagnoseAuthFailure(session, { code: 'AADSTS7000218' }),
    );
  }
  try {
    // skipCache: `login` is the re-check after a portal change (a permission granted), so it must be
    // a fresh token from Entra, never the cached one issued before the change (issue 9.14).
    const result = await client.acquireTokenByClientCredential({ scopes: [...APP_ONLY_SCOPES], skipCache: true });
    if (!result) throw new SignInError('The token endpoint returned no token.');
    requireMailSend(session, result, true);
    const sender = session.settings.account.sender ?? '';
    const account = { username: sender, homeAccountId: '', tenantId: result.tenantId || session.settings.account.tenantId || '' };
    const now = new Date().toISOString();
    await session.authState.update(() => ({
      account,
      clientKind: 'confidential',
      signedInAt: now,
      lastTokenAt: now,
      accessTokenExpiresAt: result.expiresOn?.toISOString(),
    }));
    return { account, scopes: rolesOf(result.accessToken), expiresOn: result.expiresOn, notes: [] };
  } catch (err) {
    const error = err instanceof SignInError ? err : authError(session, 'App-only sign-in failed.', err);
    await recordSignInFailure(session, error);
    throw error;
  }
}

/** Forgets every account and token (the refresh token is only dropped locally: Entra keeps no session for us). */
export async function signOut(session: AuthSession): Promise<void> {
  const cache = session.publicClient().getTokenCache();
  for (const account of await cache.getAllAccounts()) await cache.removeAccount(account);
  await session.secrets.clearTokenCache();
  // Shared: the row every instance reads, so none goes on with the signed-out account.
  await session.sharedAuth?.clear();
  await session.authState.update(() => ({}));
}
