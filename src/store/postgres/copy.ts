import fs from 'node:fs';
import type pg from 'pg';
import { openStore } from '../store.js';
import { LOCK_COPY, LOCK_PRODUCT, migratePg } from './migrate.js';
import { inTransaction, type PgLocation } from './pool.js';
import { IDENTITY_TABLES, PG_LATEST_SCHEMA_VERSION, SQLITE_ONLY_TABLES, STORE_TABLES } from './schema.js';

/** PostgreSQL takes at most 65,535 parameters per statement; batches stay well below. */
const MAX_PARAMETERS = 30_000;
const MAX_ROWS_PER_INSERT = 500;

export interface CopiedTable {
  table: string;
  rows: number;
}

export interface CopyReport {
  tables: CopiedTable[];
  schemaVersion: number;
  /** Relayed messages whose spool file was read into the database (the copy does not point into the old home). */
  inlinedSpoolFiles: number;
}

/** The target already holds data: nothing was copied (running the copy twice is refused, not doubled). */
export class TargetNotEmptyError extends Error {
  constructor(
    display: string,
    readonly counts: CopiedTable[],
  ) {
    super(
      `The PostgreSQL store ${display} is not empty (${counts.map((c) => `${c.table}: ${c.rows} rows`).join(', ')}), so nothing was copied. ` +
        'If it is an earlier copy of this home, the copy is already done. Otherwise copy into a new, empty database (createdb, then store copy again).',
    );
    this.name = 'TargetNotEmptyError';
  }
}

/** Rows read from SQLite and rows in PostgreSQL differ after the copy: it was rolled back. */
export class CopyCountMismatchError extends Error {
  constructor(mismatches: { table: string; source: number; target: number }[]) {
    super(
      `The copy was rolled back: the row counts differ (${mismatches.map((m) => `${m.table}: ${m.source} in SQLite, ${m.target} in PostgreSQL`).join('; ')}). ` +
        'Nothing was kept in PostgreSQL; run `o365-notify store copy` again, and report it if it happens again.',
    );
    this.name = 'CopyCountMismatchError';
  }
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

async function countRows(client: pg.PoolClient, table: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM ${quote(table)}`);
  return rows[0]!.n;
}

/** A relayed message spooled to a file in the old home travels inside the database instead. */
function inlineSpool(row: Record<string, unknown>): boolean {
  const file = row.spool_file;
  if (typeof file !== 'string' || !fs.existsSync(file)) return false;
  row.raw = fs.readFileSync(file);
  row.spool_file = null;
  return true;
}

async function insertBatch(client: pg.PoolClient, table: string, columns: string[], rows: Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return;
  const values: unknown[] = [];
  const tuples = rows.map((row) => `(${columns.map((c) => `$${values.push(row[c] ?? null)}`).join(', ')})`);
  await client.query(`INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES ${tuples.join(', ')}`, values);
}

/**
 * Copies every table of the SQLite store at `sqliteFile` into the PostgreSQL store (migrated
 * first), in one PostgreSQL transaction: either all of the history arrives, with the row counts
 * checked table by table, or nothing does. The SQLite side is read in one read transaction, a
 * consistent snapshot. An empty target is required; ids are kept and the identity columns
 * continue after them.
 */
export async function copySqliteToPg(sqliteFile: string, pool: pg.Pool, location: PgLocation): Promise<CopyReport> {
  // openStore brings an older SQLite store to the current version first (with its backup copy).
  const source = openStore(sqliteFile);
  try {
    if (source.schemaVersion !== PG_LATEST_SCHEMA_VERSION) {
      throw new Error(`The SQLite store ${sqliteFile} has schema version ${source.schemaVersion} and PostgreSQL ${PG_LATEST_SCHEMA_VERSION}: copy with the o365-notify version that wrote it.`);
    }
    const { version } = await migratePg(pool, location);
    const db = source.db;
    return await inTransaction(pool, async (client) => {
      // One copy at a time into a database, and no instance writing to it meanwhile unnoticed.
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_PRODUCT, LOCK_COPY]);
      const present: CopiedTable[] = [];
      for (const table of STORE_TABLES) {
        const rows = await countRows(client, table);
        if (rows > 0) present.push({ table, rows });
      }
      if (present.length > 0) throw new TargetNotEmptyError(location.display, present);

      const sqliteTables = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
      const unknown = sqliteTables.filter((t) => !(STORE_TABLES as readonly string[]).includes(t) && !(SQLITE_ONLY_TABLES as readonly string[]).includes(t));
      if (unknown.length > 0) throw new Error(`The SQLite store has tables this copy does not know (${unknown.join(', ')}): nothing was copied.`);

      const tables: CopiedTable[] = [];
      let inlinedSpoolFiles = 0;
      db.exec('BEGIN'); // a read snapshot of the whole store (WAL: the service could even keep writing)
      try {
        for (const table of STORE_TABLES) {
          const info = db.pragma(`table_info(${quote(table)})`) as { name: string; pk: number }[];
          const columns = info.map((c) => c.name);
          const key = info.filter((c) => c.pk > 0).sort((x, y) => x.pk - y.pk).map((c) => quote(c.name));
          const perInsert = Math.max(1, Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMETERS / columns.length)));
          // A page at a time in primary-key order (an iterator would keep the connection busy across the awaits).
          const select = db.prepare(`SELECT * FROM ${quote(table)} ORDER BY ${key.join(', ')} LIMIT ? OFFSET ?`);
          let copied = 0;
          for (;;) {
            const batch = select.all(perInsert, copied) as Record<string, unknown>[];
            if (batch.length === 0) break;
            if (table === 'relay_messages') for (const row of batch) if (inlineSpool(row)) inlinedSpoolFiles++;
            await insertBatch(client, table, columns, batch);
            copied += batch.length;
          }
          tables.push({ table, rows: copied });
        }
        const sourceCounts = STORE_TABLES.map((table) => ({ table, n: (db.prepare(`SELECT count(*) AS n FROM ${quote(table)}`).get() as { n: number }).n }));
        const mismatches: { table: string; source: number; target: number }[] = [];
        for (const { table, n } of sourceCounts) {
          const target = await countRows(client, table);
          if (target !== n || tables.find((t) => t.table === table)!.rows !== n) mismatches.push({ table, source: n, target });
        }
        if (mismatches.length > 0) throw new CopyCountMismatchError(mismatches);
      } finally {
        db.exec('COMMIT');
      }
      for (const table of IDENTITY_TABLES) {
        // Past every id SQLite ever gave (AUTOINCREMENT remembers deleted ones in sqlite_sequence).
        const seq = (db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').get(table) as { seq: number } | undefined)?.seq ?? 0;
        await client.query(
          `SELECT setval(pg_get_serial_sequence($1, 'id'), greatest(coalesce((SELECT max(id) FROM ${quote(table)}), 0), $2::bigint) + 1, false)`,
          [table, seq],
        );
      }
      return { tables, schemaVersion: version, inlinedSpoolFiles };
    });
  } finally {
    source.close();
  }
}
