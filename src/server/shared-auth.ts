import type pg from 'pg';
import { fileAuthState, fileTokenCache, seedTokenCache, sharedTokenCache, type AuthState, type SeedOutcome, type SharedAuthStorage } from '../auth/index.js';
import type { SecretStore } from '../secrets/index.js';
import { loadPostgresStore, type PgLocation } from '../store/index.js';

/**
 * The sign-in the instances share on PostgreSQL (issue 16.5), for the composition: pass the result
 * as `sharedAuth` to openGraphConnection / openAuthSession. It lives in server, not in
 * store/postgres, because the layer rule (eslint-rules/layers.js) lets the store import no auth:
 * this is where the store's table (PgTokenCaches) meets the auth layer's ports.
 */
export interface OpenSharedAuthOptions {
  /** The home whose auth-state.json goes with a seeded cache. */
  home: string;
  /** This instance's name (token_caches.updated_by). */
  instance: string;
  /** The store's URL, for messages (password masked). */
  location: PgLocation;
  /** This instance's SecretStore: seals the cache for the row, and holds the home's file cache to seed from. */
  secrets: SecretStore;
  /** Waiting for another instance's lock (default 15 s). */
  lockTimeoutMs?: number;
}

export interface OpenedSharedAuth extends SharedAuthStorage {
  /** What the once-only copy of the home's file cache into the row did (for the start-up log). */
  seeded: SeedOutcome;
}

export async function openSharedAuth(pool: pg.Pool, options: OpenSharedAuthOptions): Promise<OpenedSharedAuth> {
  const { PgTokenCaches } = await loadPostgresStore();
  const caches = new PgTokenCaches(pool, { instance: options.instance, location: options.location, lockTimeoutMs: options.lockTimeoutMs });
  const tokenCache = sharedTokenCache(caches.cache(), options.secrets);
  // An installation moving from SQLite keeps its sign-in: the file's cache, only while the row has none.
  const seeded = await seedTokenCache(fileTokenCache(options.secrets), tokenCache);
  const authState = caches.state<AuthState>();
  if (seeded === 'copied') {
    // With the cache goes who signed in and when (status, the 90-day clock), unless the row already says.
    const local = await fileAuthState(options.home).read();
    await authState.update((shared) => (shared.account ? shared : local));
  }
  return {
    tokenCache,
    authState,
    clear: () => caches.clear(),
    seeded,
  };
}
