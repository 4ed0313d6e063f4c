import type pg from 'pg';
import { PG_MIGRATIONS, type PgMigration } from './schema.js';
import { inTransaction, type PgLocation } from './pool.js';

/**
 * Advisory lock keys (two int4s: the product, then what is locked). Transaction-level locks:
 * released at COMMIT or ROLLBACK, and by the server when a connection dies mid-way, so a crashed
 * migrator never leaves the lock held (https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS).
 */
export const LOCK_PRODUCT = 0x0365;
export const LOCK_SCHEMA = 1;
export const LOCK_COPY = 2;
/** Routing new events (PgEvents.nextUnprocessed inside a unit): one instance at a time. */
export const LOCK_ROUTING = 3;

/** The database was migrated by a newer o365-notify: refuse rather than misread it. */
export class PgStoreVersionError extends Error {
  constructor(display: string, found: number, supported: number) {
    super(
      `The PostgreSQL store ${display} has schema version ${found}, but this o365-notify understands versions up to ${supported}. ` +
        'It was migrated by a newer o365-notify: run that version (or newer) on every instance that shares this database.',
    );
    this.name = 'PgStoreVersionError';
  }
}

export interface PgMigrationResult {
  /** Versions this call applied (empty when another process had already applied them). */
  applied: number[];
  version: number;
}

async function currentVersion(client: pg.PoolClient): Promise<number> {
  await client.query(`CREATE TABLE IF NOT EXISTS o365_notify_schema (
    version     INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
  )`);
  const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM o365_notify_schema');
  return rows[0]?.v ?? 0;
}

/** The schema version of the database (0: never migrated), without changing anything. */
export async function pgSchemaVersion(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ t: string | null }>("SELECT to_regclass('o365_notify_schema') AS t");
  if (!rows[0]?.t) return 0;
  const result = await pool.query<{ v: number | null }>('SELECT max(version) AS v FROM o365_notify_schema');
  return result.rows[0]?.v ?? 0;
}

/**
 * Applies the migrations the database has not seen, each in its own transaction under the schema
 * advisory lock: however many instances start together, each version is applied once and the
 * others wait, then find it done. DDL is transactional in PostgreSQL, so a failed step leaves
 * nothing half-applied.
 */
export async function migratePg(pool: pg.Pool, location: PgLocation, migrations: readonly PgMigration[] = PG_MIGRATIONS): Promise<PgMigrationResult> {
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  const applied: number[] = [];
  let version = migrations.length === 0 ? await pgSchemaVersion(pool) : 0;
  for (const migration of migrations) {
    version = await inTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_PRODUCT, LOCK_SCHEMA]);
      const now = await currentVersion(client);
      if (now > latest) throw new PgStoreVersionError(location.display, now, latest);
      if (now >= migration.version) return now;
      await client.query(migration.sql);
      await client.query('INSERT INTO o365_notify_schema (version, description) VALUES ($1, $2)', [migration.version, migration.description]);
      applied.push(migration.version);
      return migration.version;
    });
  }
  return { applied, version };
}
