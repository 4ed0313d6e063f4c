import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withFileLock, writeFileAtomic } from '../infra/index.js';
import type { Diagnosis } from '../diagnose/index.js';

/**
 * What we know about the sign-in that is not secret: who is signed in, when tokens were last
 * refreshed, and whether the administrator must sign in again (and why). Kept beside the
 * encrypted token cache so `status`, the service and the page read one truth.
 */
export interface AuthState {
  account?: { username: string; name?: string; homeAccountId: string; tenantId: string };
  /** Which client redeemed the sign-in: 'public' (the guide's Mobile and desktop registration) or 'confidential'. */
  clientKind?: 'public' | 'confidential';
  signedInAt?: string;
  /** Last successful refresh (the refresh token rotates then: its 90-day inactivity clock restarts). */
  lastRefreshAt?: string;
  accessTokenExpiresAt?: string;
  /**
   * Last time the token endpoint issued a token (sign-in, refresh or client credentials): the
   * evidence that ends warnings about refusals it answered before (issue 9.12).
   */
  lastTokenAt?: string;
  /**
   * Something the administrator must fix, with the diagnosis. `signInRequired`: silent refresh
   * can no longer work and `o365-notify login` is needed (after fixing the cause).
   */
  problem?: { since: string; reason: string; signInRequired: boolean; diagnosis?: Diagnosis };
  /** Facts worth telling the administrator once, e.g. that the configured secret is not needed. */
  notes?: string[];
}

const AUTH_STATE_FILE = 'auth-state.json';

/** Entra ID ends a refresh token that is not used for 90 days. */
export const REFRESH_TOKEN_INACTIVITY_DAYS = 90;

/** The file sign-ins and token refreshes record their outcome in (the service watches it). */
export function authStatePath(home: string): string {
  return join(home, AUTH_STATE_FILE);
}

export async function readAuthState(home: string): Promise<AuthState> {
  try {
    return JSON.parse(await readFile(join(home, AUTH_STATE_FILE), 'utf8')) as AuthState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    // A damaged state file only loses history, never tokens: start clean rather than fail.
    return {};
  }
}

export async function writeAuthState(home: string, state: AuthState): Promise<void> {
  await writeFileAtomic(join(home, AUTH_STATE_FILE), JSON.stringify(state, null, 2) + '\n');
}

/**
 * Read-modify-write under a file lock: the CLI and the service both update this file (a sign-in
 * and a refresh at the same moment), and without the lock one of the two changes was lost.
 */
export async function updateAuthState(home: string, change: (s: AuthState) => AuthState): Promise<AuthState> {
  return withFileLock(join(home, AUTH_STATE_FILE), async () => {
    const next = change(await readAuthState(home));
    await writeAuthState(home, next);
    return next;
  });
}

/** When the refresh token we hold was issued: the last refresh, else the sign-in. */
export function refreshTokenIssuedAt(state: AuthState): Date | undefined {
  const at = state.lastRefreshAt ?? state.signedInAt;
  return at ? new Date(at) : undefined;
}
