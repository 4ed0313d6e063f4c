import type pg from 'pg';
import { migratePg, type PgMigrationResult } from './migrate.js';
import { PgOutbox } from './outbox.js';
import { createPgPool, type PgLocation, type PgPoolOptions } from './pool.js';

/**
 * The store on PostgreSQL: one pool per process, migrated on open (under the schema advisory
 * lock). What exists today is the outbox with leased claims; the other repositories follow when
 * src/notify talks to the store through an async port (issue 12).
 */
export class PgStore {
  readonly outbox: PgOutbox;
  private closed = false;

  constructor(
    readonly pool: pg.Pool,
    readonly location: PgLocation,
    readonly migration: PgMigrationResult,
  ) {
    this.outbox = new PgOutbox(pool);
  }

  get schemaVersion(): number {
    return this.migration.version;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** Connects, applies the migrations this database has not seen, and returns the store. */
export async function openPgStore(location: PgLocation, options: PgPoolOptions = {}): Promise<PgStore> {
  const pool = createPgPool(location, options);
  try {
    return new PgStore(pool, location, await migratePg(pool, location));
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}
