import pg from 'pg';
import type { StoreLocation } from '../../shared/index.js';
import { transact } from './queryable.js';

export type PgLocation = Extract<StoreLocation, { kind: 'postgres' }>;

/**
 * BIGINT (int8, OID 20) comes back from the driver as text by default, since it can exceed 2^53.
 * The store's BIGINTs are epoch milliseconds, counts and ids, all far below that: numbers, as
 * better-sqlite3 gives them. Per pool, not the driver's global parser, so other users of `pg`
 * in the process are not changed.
 */
const INT8_OID = 20;
const storeTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export interface PgPoolOptions {
  /** Connections at most (the driver's default is 10). */
  max?: number;
  /** application_name in pg_stat_activity: which instance holds which connection. */
  applicationName?: string;
}

/** A pool on the store's database; the password stays in the driver, never in a message. */
export function createPgPool(location: PgLocation, options: PgPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: location.url,
    types: storeTypes,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'o365-notify',
    connectionTimeoutMillis: 15_000,
  });
  // An idle connection the server closed (a restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  // pool.on('error') covers idle clients only: a checked-out client whose connection dies emits 'error'
  // on itself, which with no listener ends the process (issue 16.7). Its queries already reject with
  // that error (the ordinary path: the unit fails, the caller releases it as broken), so it is only
  // kept from being thrown here.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Runs `fn` in one transaction on one connection (rolled back if it throws); see queryable.ts. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return transact(pool, fn);
}

/**
 * A driver or server error as a sentence for the user: what happened, why, and what to change.
 * The URL appears only as `location.display` (password masked).
 */
export function describePgError(err: unknown, location: PgLocation): string {
  const e = err as { code?: string; message?: string };
  const where = `PostgreSQL at ${location.host}:${location.port}`;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `Cannot reach ${where} (connection refused): start the PostgreSQL server, or correct the host and port in store.url (${location.display}).`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Cannot find the host ${location.host} of store.url (${location.display}): correct the host name.`;
    case 'ETIMEDOUT':
      return `${where} did not answer in time: check that the server runs and that a firewall lets this machine reach port ${location.port}.`;
    case '57P01':
    case '57P02':
    case '57P03':
      return `${where} is shutting down or starting up (${e.code}): it is being restarted or stopped; o365-notify connects again once it answers.`;
    case '28P01':
      return `${where} refused the password of the user "${location.user}" (28P01): correct the password in store.url, PGPASSWORD or ~/.pgpass.`;
    case '28000':
      return `${where} does not let the user "${location.user}" connect from this machine (28000): add a line for it to pg_hba.conf on the server, or use another user.`;
    case '3D000':
      return `${where} has no database "${location.database}" (3D000): create it (createdb -O ${location.user || 'USER'} ${location.database}), or correct store.url.`;
    case '42501':
      return `The user "${location.user}" may not change the database "${location.database}" (42501): run the migration as the database's owner, or GRANT CREATE ON SCHEMA public TO ${location.user || 'USER'}.`;
    default:
      if (/Connection terminated|ECONNRESET/.test(e.message ?? '')) {
        return `${where} closed the connection (${e.message}): the server restarted or the network dropped; o365-notify connects again once it answers.`;
      }
      return `${where} (${location.display}) failed: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}.`;
  }
}

/**
 * Connects once and asks the schema version (`config check`): undefined when the database answers,
 * else describePgError's sentence (host, port, password, database missing: each with its fix).
 */
export async function probePg(location: PgLocation, timeoutMs = 5000): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: location.url, connectionTimeoutMillis: timeoutMs, application_name: 'o365-notify config check' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return describePgError(err, location);
  } finally {
    await client.end().catch(() => undefined);
  }
}
