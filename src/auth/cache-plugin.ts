import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import type { SecretStore } from '../secrets/index.js';

/**
 * msal-node's token cache persisted in our encrypted store. msal calls before/after in
 * try/finally pairs, so the cross-process lock is held from the read to the write: the CLI and
 * the service never lose each other's refresh-token rotation.
 */
export function encryptedCachePlugin(store: SecretStore): ICachePlugin {
  // Releases of the locks this process holds, oldest first (msal pairs calls, but may overlap them).
  const releases: (() => void)[] = [];

  return {
    async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
      let acquired!: () => void;
      const locked = new Promise<void>((resolve) => (acquired = resolve));
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const lockDone = store.withTokenCacheLock(async () => {
        acquired();
        await held;
      });
      // A lock failure (timeout) must surface from beforeCacheAccess, not as an unhandled rejection.
      await Promise.race([locked, lockDone]);
      releases.push(release);
      try {
        const json = await store.readTokenCache();
        if (json) context.tokenCache.deserialize(json);
      } catch (err) {
        releases.pop()?.();
        await lockDone;
        throw err;
      }
    },

    async afterCacheAccess(context: TokenCacheContext): Promise<void> {
      try {
        if (context.cacheHasChanged) await store.writeTokenCache(context.tokenCache.serialize());
      } finally {
        releases.shift()?.();
      }
    },
  };
}
