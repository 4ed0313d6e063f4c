import { readAuthState, refreshTokenIssuedAt } from './auth-state.js';
import type { AuthStateStore } from './token-cache-port.js';
import type { SessionTokenProvider } from './token-provider.js';

export interface KeepAliveOptions {
  home: string;
  provider: SessionTokenProvider;
  /** The session's sign-in state (session.authState); default: <home>/auth-state.json. */
  authState?: AuthStateStore;
  /** Refresh when the refresh token is this old (well inside Entra's 90-day inactivity limit). */
  refreshAfterDays?: number;
  /** How often to look. */
  checkEveryMs?: number;
  onResult?: (result: { refreshed: boolean; error?: Error }) => void;
}

export const DEFAULT_REFRESH_AFTER_DAYS = 7;

/**
 * Keeps a quiet site signed in: Entra ends a refresh token unused for 90 days, so once a week
 * (by default) a silent refresh rotates it, and msal persists the new one.
 * Returns a function that stops it.
 */
export function startKeepAlive(options: KeepAliveOptions): () => void {
  const refreshAfterMs = (options.refreshAfterDays ?? DEFAULT_REFRESH_AFTER_DAYS) * 86_400_000;
  let running = false;
  const check = async () => {
    if (running) return;
    running = true;
    try {
      const state = options.authState ? await options.authState.read() : await readAuthState(options.home);
      const issued = refreshTokenIssuedAt(state);
      if (!state.account?.homeAccountId || !issued || Date.now() - issued.getTime() < refreshAfterMs) {
        options.onResult?.({ refreshed: false });
        return;
      }
      await options.provider.getAccessToken({ forceRefresh: true });
      options.onResult?.({ refreshed: true });
    } catch (err) {
      // The provider has recorded the problem with its diagnosis; status and the service show it.
      options.onResult?.({ refreshed: false, error: err as Error });
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void check(), options.checkEveryMs ?? 3_600_000);
  timer.unref();
  void check();
  return () => clearInterval(timer);
}
