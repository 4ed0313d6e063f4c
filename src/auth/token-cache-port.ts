import type { SecretStore } from '../secrets/index.js';
import { readAuthState, updateAuthState, type AuthState } from './auth-state.js';

/**
 * Where msal's token cache lives (issue 16.3): the encrypted file of one machine (SecretStore) or
 * a row that several instances share (store/postgres/token-cache.ts implements the sealed port
 * below, structurally: the auth layer imports no store). The cache plugin takes the lock in
 * beforeCacheAccess and releases it in afterCacheAccess; writes are compare-and-set on a version,
 * so a writer that skipped the lock (an older instance) is detected instead of overwritten.
 */

export type TokenCacheWriteResult =
  | { ok: true; version: number }
  /** Someone wrote since the lock was taken: what is stored now, to merge with and retry. */
  | { ok: false; json: string | undefined; version: number };

/** The cache as the lock holder read it. Plaintext: only the plugin sees it, in memory. */
export interface TokenCacheLease {
  /** The serialized cache when the lock was taken (undefined: nobody signed in yet). */
  readonly json: string | undefined;
  /** Its version; storage without versions (the file under its lock) says 0 and never conflicts. */
  readonly version: number;
  /** Stores `json` if the stored version is still `expected`. */
  write(json: string, expected: number): Promise<TokenCacheWriteResult>;
  /** Ends the lock (always called, also after a failed write). */
  release(): Promise<void>;
}

export interface TokenCacheStorage {
  /** Exclusive across processes and instances until release(); throws a clear error when it cannot. */
  lock(): Promise<TokenCacheLease>;
}

/** The sealed blob's storage: ciphertext in, ciphertext out (the SecretStore's envelope). */
export interface SealedTokenCacheLease {
  readonly sealed: string | undefined;
  readonly version: number;
  write(sealed: string, expected: number): Promise<{ ok: true; version: number } | { ok: false; sealed: string | undefined; version: number }>;
  release(): Promise<void>;
}

export interface SealedTokenCacheStore {
  /** For messages: "the token_caches row 'msal' in PostgreSQL at db:5432". */
  readonly where: string;
  lock(): Promise<SealedTokenCacheLease>;
}

/** The cache in <home>/secrets/token-cache.enc under the cross-process file lock: one machine, as before. */
export function fileTokenCache(store: SecretStore): TokenCacheStorage {
  return {
    async lock(): Promise<TokenCacheLease> {
      let acquired!: () => void;
      const locked = new Promise<void>((resolve) => (acquired = resolve));
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const lockDone = store.withTokenCacheLock(async () => {
        acquired();
        await held;
      });
      // A lock failure (timeout) must surface from lock(), not as an unhandled rejection.
      await Promise.race([locked, lockDone]);
      const unlock = async () => {
        release();
        await lockDone;
      };
      let json: string | undefined;
      try {
        json = await store.readTokenCache();
      } catch (err) {
        await unlock();
        throw err;
      }
      return {
        json,
        version: 0,
        async write(next: string): Promise<TokenCacheWriteResult> {
          await store.writeTokenCache(next);
          return { ok: true, version: 0 };
        },
        release: unlock,
      };
    },
  };
}

/**
 * The cache shared through `sealed` (PostgreSQL), encrypted and decrypted by this instance's
 * SecretStore: the database holds the same envelope the file would, never a token in clear.
 */
export function sharedTokenCache(sealed: SealedTokenCacheStore, secrets: Pick<SecretStore, 'sealTokenCache' | 'openTokenCache'>): TokenCacheStorage {
  const open = (text: string | undefined) => (text === undefined ? Promise.resolve(undefined) : secrets.openTokenCache(text, sealed.where));
  return {
    async lock(): Promise<TokenCacheLease> {
      const lease = await sealed.lock();
      let json: string | undefined;
      try {
        json = await open(lease.sealed);
      } catch (err) {
        await lease.release();
        throw err;
      }
      return {
        json,
        version: lease.version,
        async write(next: string, expected: number): Promise<TokenCacheWriteResult> {
          const result = await lease.write(await secrets.sealTokenCache(next), expected);
          return result.ok ? result : { ok: false, json: await open(result.sealed), version: result.version };
        },
        release: () => lease.release(),
      };
    },
  };
}

/** The sign-in state (who, last refresh, "sign in again" and why): not secret, but every instance must see it. */
export interface AuthStateStore {
  read(): Promise<AuthState>;
  /** Read-modify-write, exclusive: two instances' changes never overwrite each other. */
  update(change: (state: AuthState) => AuthState): Promise<AuthState>;
}

/** <home>/auth-state.json under its file lock (auth-state.ts): one machine. */
export function fileAuthState(home: string): AuthStateStore {
  return { read: () => readAuthState(home), update: (change) => updateAuthState(home, change) };
}

/**
 * The sign-in several instances share (issue 16.5): msal's cache, the sign-in state and the sign-out
 * of both. Given to openAuthSession / openGraphConnection as `sharedAuth`; without it the session
 * keeps the file cache and <home>/auth-state.json, as on one machine.
 */
export interface SharedAuthStorage {
  tokenCache: TokenCacheStorage;
  authState: AuthStateStore;
  /** Forgets the shared cache (sign-out): every instance then needs a new sign-in. */
  clear(): Promise<void>;
}

export type SeedOutcome = 'copied' | 'already-shared' | 'nothing-to-copy';

/**
 * Moving one machine to PostgreSQL: copies the cache of `from` (the file) into `to` (the shared row)
 * once, while `to` holds nothing, so the installation keeps its sign-in. A row that already holds a
 * cache (another instance signed in or seeded first) is never replaced.
 */
export async function seedTokenCache(from: TokenCacheStorage, to: TokenCacheStorage): Promise<SeedOutcome> {
  const target = await to.lock();
  try {
    if (target.json) return 'already-shared';
    const source = await from.lock();
    const json = source.json;
    await source.release();
    if (!json) return 'nothing-to-copy';
    return (await target.write(json, target.version)).ok ? 'copied' : 'already-shared';
  } finally {
    await target.release();
  }
}
