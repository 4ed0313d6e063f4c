import { hostname } from 'node:os';
import type { SharedAuthStorage } from '../auth/index.js';
import { loadSettings, resolveHome, storeLocation, type Settings } from '../config/index.js';
import { openSecretStore } from '../secrets/index.js';
import { loadPostgresStore } from '../store/index.js';
import { openSharedAuth } from './shared-auth.js';

/** This process's name in token_caches.updated_by (the same host/pid pair the pool's application_name carries). */
function instanceName(): string {
  return `${hostname()} ${process.pid}`;
}

export interface CliSharedSignIn {
  /** Undefined when the home's store is SQLite. */
  sharedAuth: SharedAuthStorage | undefined;
  /** Ends the pool (nothing on SQLite). */
  close(): Promise<void>;
}

/**
 * A CLI command that signs in, out, or sends on a home whose store.url is PostgreSQL: the shared
 * sign-in on a small pool of its own, so `login` lands where every instance reads it, not only in
 * the home's file. Call close() when the command is done.
 */
export async function cliSharedSignIn(home: string, settings: Settings, env: NodeJS.ProcessEnv): Promise<CliSharedSignIn> {
  const location = storeLocation(settings.store);
  if (location.kind !== 'postgres') return { sharedAuth: undefined, close: async () => undefined };
  const { createPgPool, describePgError } = await loadPostgresStore();
  const pool = createPgPool(location, { max: 2, applicationName: `o365-notify cli ${hostname()} ${process.pid}` });
  try {
    const sharedAuth = await openSharedAuth(pool, { home, instance: instanceName(), location, secrets: await openSecretStore(home, env) });
    return { sharedAuth, close: () => pool.end().catch(() => undefined) };
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new Error(`The sign-in shared by the instances could not be read from the store: ${describePgError(err, location)} Then run the command again.`, { cause: err });
  }
}

/**
 * Runs a CLI command's sign-in work with the shared sign-in when the home's store is PostgreSQL
 * (`sharedAuth` undefined on SQLite), and ends the pool after. Settings that cannot be read leave it
 * undefined: the command's own openAuthSession then reports them as it always did.
 */
export async function withCliSharedSignIn<T>(home: string | undefined, env: NodeJS.ProcessEnv, fn: (sharedAuth: SharedAuthStorage | undefined) => Promise<T>): Promise<T> {
  const opened = await openCliSharedSignIn(home, env);
  try {
    return await fn(opened.sharedAuth);
  } finally {
    await opened.close();
  }
}

/** withCliSharedSignIn's opening half, for a command that closes it itself. */
export async function openCliSharedSignIn(home: string | undefined, env: NodeJS.ProcessEnv): Promise<CliSharedSignIn> {
  const resolved = resolveHome(home, env);
  const settings = await loadSettings(resolved, env).catch(() => undefined);
  return settings ? cliSharedSignIn(resolved, settings, env) : { sharedAuth: undefined, close: async () => undefined };
}
