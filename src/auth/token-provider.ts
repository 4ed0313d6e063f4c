import { InteractionRequiredAuthError, type AccountInfo, type AuthenticationResult } from '@azure/msal-node';
import { APP_ONLY_SCOPES, DELEGATED_SCOPES } from '../config/index.js';
import type { Diagnosis } from '../diagnose/index.js';
import type { AccessTokenResult, TokenProvider } from '../graph/index.js';
import type { AuthState } from './auth-state.js';
import { authError, SignInError } from './errors.js';
import type { AuthSession } from './session.js';
import { TokenEndpointPause } from './token-pause.js';

/** Tokens this close to expiry are renewed before use. */
const RENEW_BEFORE_EXPIRY_MS = 5 * 60_000;

export const NOT_SIGNED_IN: Diagnosis = {
  code: 'NotSignedIn',
  title: 'Not signed in',
  cause: 'No Microsoft 365 account is signed in on this machine (or the sign-in was removed with `o365-notify logout`).',
  fix: 'Run `o365-notify login` (or `o365-notify login --device-code` on a server without a browser) and sign in with the mailbox that sends the notifications.',
  guideStep: 'sign-in-again',
  known: true,
};

export interface SessionTokenProvider extends TokenProvider {
  /** Calls that reached the token endpoint (not answered from a cache). */
  readonly tokenEndpointCalls: number;
}

/**
 * The mail client's TokenProvider on top of msal-node: answers from memory while the token is
 * valid, then from msal's (encrypted, shared) cache, and only near expiry from the token
 * endpoint. Every refresh is recorded (its rotated refresh token restarts the 90-day clock);
 * a refresh that needs the administrator is recorded as a problem with its diagnosis.
 */
export function createTokenProvider(session: AuthSession): SessionTokenProvider {
  const appOnly = session.settings.account.auth === 'app-only';
  let current: AccessTokenResult | undefined;
  let pending: Promise<AccessTokenResult> | undefined;
  let endpointCalls = 0;
  const pause = new TokenEndpointPause();

  /** The signed-in account (the one auth-state names, else the cache's only one): one cache read. */
  async function delegatedAccount(state: AuthState): Promise<AccountInfo> {
    const accounts = await session.publicClient().getTokenCache().getAllAccounts();
    const account = accounts.find((a) => a.homeAccountId === state.account?.homeAccountId) ?? accounts[0];
    if (!account) throw new SignInError('Not signed in.', NOT_SIGNED_IN);
    return account;
  }

  /**
   * Shared sign-in (issue 16.5): another instance may have signed out or been told to sign in again;
   * then this one must not go on with the access token it holds in memory. One read of the shared
   * state per send; one machine keeps the token (the service watches auth-state.json instead).
   */
  async function stillSignedIn(): Promise<boolean> {
    if (!session.sharedAuth || appOnly) return true;
    const state = await session.authState.read();
    return Boolean(state.account) && !state.problem?.signInRequired;
  }

  async function acquire(forceRefresh: boolean): Promise<AuthenticationResult> {
    if (appOnly) {
      const client = await session.confidentialClient();
      if (!client) throw new SignInError('App-only mode needs the client secret (or a certificate from `o365-notify certificate create`), and none is stored.', NOT_SIGNED_IN);
      const result = await client.acquireTokenByClientCredential({ scopes: [...APP_ONLY_SCOPES], skipCache: forceRefresh });
      if (!result) throw new SignInError('The token endpoint returned no token.');
      return result;
    }
    const state = await session.authState.read();
    const client = state.clientKind === 'confidential' ? ((await session.confidentialClient()) ?? session.publicClient()) : session.publicClient();
    return client.acquireTokenSilent({ account: await delegatedAccount(state), scopes: [...DELEGATED_SCOPES], forceRefresh });
  }

  async function fetchToken(forceRefresh: boolean): Promise<AccessTokenResult> {
    let result: AuthenticationResult;
    // Throttled: the token endpoint is not asked again until Retry-After has passed.
    const blocked = pause.blocked();
    if (blocked) throw blocked;
    session.errors.clear();
    try {
      result = await acquire(forceRefresh);
    } catch (err) {
      const error = pause.afterFailure(err instanceof SignInError ? err : authError(session, 'Could not get an access token.', err), session.errors.latest());
      const throttled = error.diagnosis?.guideStep === 'throttling';
      const signInRequired =
        (err instanceof InteractionRequiredAuthError && !throttled) ||
        error.diagnosis?.guideStep === 'sign-in-again' ||
        error.diagnosis?.guideStep === 'admin-consent' ||
        // AADSTS70043 (sign-in frequency) comes as invalid_grant + token_expired, which msal does not
        // call interaction required; every Conditional Access answer needs a new sign-in (issue 13.1).
        error.diagnosis?.guideStep === 'conditional-access';
      if (error.diagnosis && error.diagnosis.guideStep !== 'throttling' && error.diagnosis.guideStep !== 'request') {
        await session.authState.update((s) =>
          // "Not signed in" says less than the refusal that kept the sign-in from happening
          // (AADSTS7000218 at login): that one, with its portal fix, stays the problem shown.
          error.diagnosis?.code === NOT_SIGNED_IN.code && s.problem && !s.account
            ? s
            : { ...s, problem: { since: s.problem?.since ?? new Date().toISOString(), reason: error.message, signInRequired, diagnosis: error.diagnosis ?? undefined } },
        );
      }
      throw error;
    }
    pause.clear();
    if (!result.fromCache) {
      endpointCalls += 1;
      const now = new Date().toISOString();
      await session.authState.update((s) => ({
        ...s,
        lastRefreshAt: appOnly ? s.lastRefreshAt : now,
        lastTokenAt: now,
        accessTokenExpiresAt: result.expiresOn?.toISOString(),
        problem: undefined,
      }));
    }
    return {
      accessToken: result.accessToken,
      expiresOn: result.expiresOn ?? new Date(Date.now() + 60_000),
      scopes: result.scopes,
      account: result.account?.username,
    };
  }

  return {
    get tokenEndpointCalls() {
      return endpointCalls;
    },
    async getAccessToken(options = {}) {
      if (!options.forceRefresh && current && current.expiresOn.getTime() - Date.now() > RENEW_BEFORE_EXPIRY_MS) {
        if (await stillSignedIn()) return current;
        current = undefined;
      }
      // One request at a time: a burst of sends shares one refresh.
      pending ??= fetchToken(options.forceRefresh ?? false).finally(() => {
        pending = undefined;
      });
      current = await pending;
      return current;
    },
  };
}
