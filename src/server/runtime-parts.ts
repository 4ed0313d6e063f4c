import type { AddressInfo } from 'node:net';
import type { Settings } from '../config/index.js';
import type { SharedAuthStorage } from '../auth/index.js';
import type { SharedMailboxPacing } from '../graph/index.js';
import { openSecretStore } from '../secrets/index.js';
import { loadPostgresStore, type PgStore } from '../store/index.js';
import { openSharedAuth } from './shared-auth.js';
import type { ServiceStore } from './store-backend.js';

/** Pieces of the runtime's composition (runtime.ts), each small and on its own. */

/** Relay messages not sent yet, counted at most once a second (the relay asks for every message). */
export function relayOpenMessages(store: ServiceStore): () => Promise<number> {
  let cached = { at: -Infinity, n: 0 };
  return async () => {
    if (Date.now() - cached.at > 1000) {
      const c = await store.relay.counts();
      cached = { at: Date.now(), n: (c.queued ?? 0) + (c.sending ?? 0) + (c['waiting-sign-in'] ?? 0) };
    }
    return cached.n;
  };
}

export function urlOf(address: AddressInfo, https: boolean): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${https ? 'https' : 'http'}://${host}:${address.port}`;
}

/** The address this machine's CLI reaches the service at: a wildcard listen address on loopback. */
export function localUrlOf(address: AddressInfo, https: boolean): string {
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  return urlOf({ ...address, address: host }, https);
}

/**
 * On PostgreSQL, what the Graph connection shares with the other instances (issue 16): the sign-in
 * (token cache and state, server/shared-auth.ts) and each mailbox's pacing (PgMailboxPacing: 4 in
 * flight and the message rate for all instances together). Opened once, on first use.
 */
export function instanceSharing(
  home: string,
  env: NodeJS.ProcessEnv,
  settings: () => Settings,
): (store: PgStore, instanceId: string) => Promise<{ sharedAuth: SharedAuthStorage; sharedPacing: SharedMailboxPacing }> {
  let opened: Promise<{ sharedAuth: SharedAuthStorage; sharedPacing: SharedMailboxPacing }> | undefined;
  return (store, instanceId) =>
    (opened ??= (async () => {
      const { PgMailboxPacing } = await loadPostgresStore();
      const sharedAuth = await openSharedAuth(store.pool, { home, instance: instanceId, location: store.location, secrets: await openSecretStore(home, env) });
      // The rate as the settings say at start: a changed mail.messagesPerMinute applies once every instance restarted.
      const sharedPacing = new PgMailboxPacing(store.pool, { owner: instanceId, messagesPerMinute: settings().mail.messagesPerMinute });
      return { sharedAuth, sharedPacing };
    })().catch((err: unknown) => {
      opened = undefined;
      throw err;
    }));
}
