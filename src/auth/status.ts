import type { Settings } from '../config/index.js';
import type { Diagnosis } from '../diagnose/index.js';
import { refreshTokenIssuedAt, REFRESH_TOKEN_INACTIVITY_DAYS, type AuthState } from './auth-state.js';
import type { AuthStateStore } from './token-cache-port.js';

/** The sign-in's health, as `status`, the API and the page show it. */
export interface AuthStatus {
  mode: Settings['account']['auth'];
  signedIn: boolean;
  account?: string;
  tenantId?: string;
  accessTokenExpiresAt?: string;
  lastRefreshAt?: string;
  signedInAt?: string;
  /** Days since the refresh token we hold was issued (sign-in or last rotation). */
  refreshTokenAgeDays?: number;
  /** When the refresh token stops working if nothing refreshes it (90 days of inactivity). */
  refreshTokenExpiresBy?: string;
  secret: { configured: boolean; expiresOn?: string; daysLeft?: number };
  /** App-only with a certificate (`certificate create`): its own end date. */
  certificate?: { expiresOn: string; daysLeft: number };
  /** "sign in again needed" and why. */
  signInRequired: boolean;
  problem?: { since: string; reason: string; diagnosis?: Diagnosis };
  notes: string[];
}

const DAY_MS = 86_400_000;

/**
 * `from`: the session's sign-in state (session.authState: the home's auth-state.json, or the row the
 * instances share). `credentials`: whether a client secret is stored, and the stored certificate's end date if one is.
 */
export async function readAuthStatus(from: AuthStateStore, settings: Settings, credentials: AuthCredentials, now = new Date()): Promise<AuthStatus> {
  return authStatusOf(await from.read(), settings, credentials, now);
}

type AuthCredentials = { secret: boolean; certificateEnd?: string };

/** readAuthStatus on a state already read (the page reads it once for this and its own use). */
export function authStatusOf(state: AuthState, settings: Settings, credentials: AuthCredentials, now = new Date()): AuthStatus {
  const { secret: secretConfigured, certificateEnd } = credentials;
  const issued = refreshTokenIssuedAt(state);
  const appOnly = settings.account.auth === 'app-only';
  const secretExpires = settings.account.secretExpires;
  const status: AuthStatus = {
    mode: settings.account.auth,
    signedIn: Boolean(state.account) && !state.problem?.signInRequired,
    account: state.account?.username,
    tenantId: state.account?.tenantId,
    accessTokenExpiresAt: state.accessTokenExpiresAt,
    lastRefreshAt: state.lastRefreshAt,
    signedInAt: state.signedInAt,
    secret: {
      configured: secretConfigured,
      expiresOn: secretExpires,
      daysLeft: secretExpires ? Math.floor((Date.parse(secretExpires) - now.getTime()) / DAY_MS) : undefined,
    },
    signInRequired: !state.account || Boolean(state.problem?.signInRequired),
    problem: state.problem,
    notes: state.notes ?? [],
  };
  if (appOnly && certificateEnd) {
    status.certificate = { expiresOn: certificateEnd.slice(0, 10), daysLeft: Math.floor((Date.parse(certificateEnd) - now.getTime()) / DAY_MS) };
  }
  if (issued && !appOnly) {
    status.refreshTokenAgeDays = Math.floor((now.getTime() - issued.getTime()) / DAY_MS);
    status.refreshTokenExpiresBy = new Date(issued.getTime() + REFRESH_TOKEN_INACTIVITY_DAYS * DAY_MS).toISOString();
  }
  return status;
}
