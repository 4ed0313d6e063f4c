import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import type { SecretStore } from '../secrets/index.js';
import { mergeTokenCaches } from './token-cache-merge.js';
import { fileTokenCache, type TokenCacheLease, type TokenCacheStorage } from './token-cache-port.js';

/** Writes that found another writer's version, re-read and merged, before giving up (a writer that keeps skipping the lock). */
const MAX_WRITE_ATTEMPTS = 5;

export interface CachePluginOptions {
  /** Called for each write that found a newer version (tests, metrics). */
  onConflict?: () => void;
}

/** The shared cache was changed by others faster than this instance could merge: nothing was overwritten. */
export class TokenCacheConflictError extends Error {
  constructor(attempts: number) {
    super(
      `The token cache was changed by another o365-notify ${attempts} times while this instance was saving a refreshed token, ` +
        'so the refreshed token was not saved (nothing was overwritten). This happens when an instance of an older version ' +
        'shares the database: update every instance to the same version. The next token request tries again.',
    );
    this.name = 'TokenCacheConflictError';
  }
}

/**
 * msal-node's token cache persisted through a TokenCacheStorage. msal calls before/after in
 * try/finally pairs around each cache access (https://learn.microsoft.com/entra/msal/javascript/node/caching,
 * ICachePlugin / TokenCacheContext.cacheHasChanged), so the storage's lock is held from the read
 * to the write: the CLI, the service and other instances never lose each other's refresh-token
 * rotation. msal-node's DistributedCachePlugin (https://learn.microsoft.com/javascript/api/@azure/msal-node/distributedcacheplugin)
 * does the same get/deserialize, serialize/set, but with no lock, no version and the plaintext
 * cache handed to the client; hence this plugin, which adds those.
 */
export function tokenCachePlugin(storage: TokenCacheStorage, options: CachePluginOptions = {}): ICachePlugin {
  // The lease of each access, by msal's context object (the same one in before and after). msal
  // calls afterCacheAccess even when beforeCacheAccess threw: such a call must release nothing.
  const leases = new WeakMap<TokenCacheContext, TokenCacheLease>();

  async function save(lease: TokenCacheLease, json: string): Promise<void> {
    let base = lease.json;
    let expected = lease.version;
    let next = json;
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const result = await lease.write(next, expected);
      if (result.ok) return;
      options.onConflict?.();
      // Someone wrote without the lock: keep their entities, apply ours on top, try again.
      next = mergeTokenCaches(base, next, result.json);
      base = result.json;
      expected = result.version;
    }
    throw new TokenCacheConflictError(MAX_WRITE_ATTEMPTS);
  }

  return {
    async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
      const lease = await storage.lock();
      try {
        // The storage is the truth: msal's deserialize only adds to its memory, so an entity another
        // process removed (a sign-out, a cleared row) would live on here; start from what is stored.
        // '{}' when nothing is stored: msal's overwriteCache (before every silent lookup) restores the
        // last snapshot deserialized, which must not be the tokens of before the sign-out.
        forgetInMemory(context);
        context.tokenCache.deserialize(lease.json || '{}');
        leases.set(context, lease);
      } catch (err) {
        await lease.release();
        throw err;
      }
    },

    async afterCacheAccess(context: TokenCacheContext): Promise<void> {
      const lease = leases.get(context);
      if (!lease) return;
      leases.delete(context);
      try {
        if (context.cacheHasChanged) await save(lease, context.tokenCache.serialize());
      } finally {
        await lease.release();
      }
    },
  };
}

/** Empties msal-node's in-memory key-value store (TokenCache.getKVStore returns the live map). */
function forgetInMemory(context: TokenCacheContext): void {
  const cache = context.tokenCache as { getKVStore?: () => Record<string, unknown> };
  const kv = cache.getKVStore?.();
  if (kv) for (const key of Object.keys(kv)) delete kv[key];
}

/** The one-machine plugin: the encrypted file under its cross-process lock. */
export function encryptedCachePlugin(store: SecretStore): ICachePlugin {
  return tokenCachePlugin(fileTokenCache(store));
}
