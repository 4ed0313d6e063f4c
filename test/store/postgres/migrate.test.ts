import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MIGRATIONS } from '../../../src/store/index.js';
import { createPgPool, migratePg, PG_MIGRATIONS, pgSchemaVersion, PgStoreVersionError, SQLITE_ONLY_TABLES, STORE_TABLES } from '../../../src/store/postgres/index.js';
import { parseStoreUrl } from '../../../src/shared/index.js';
import { skipReason, startTestPostgres, type TestPostgres } from '../../support/postgres.js';

const started = await startTestPostgres();

function location(url: string) {
  const parsed = parseStoreUrl(url);
  assert.ok(parsed.ok && parsed.location.kind === 'postgres');
  return parsed.location;
}

/** Column names per table, from a SQLite store migrated in memory: the schema PostgreSQL must match. */
function sqliteSchema(): { tables: Map<string, string[]>; indexes: string[] } {
  const db = new Database(':memory:');
  for (const m of MIGRATIONS) m.up(db);
  const tables = new Map<string, string[]>();
  for (const { name } of db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]) {
    if ((SQLITE_ONLY_TABLES as readonly string[]).includes(name)) continue;
    tables.set(name, (db.pragma(`table_info(${name})`) as { name: string }[]).map((c) => c.name).sort());
  }
  const indexes = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
  db.close();
  return { tables, indexes: indexes.sort() };
}

describe('PostgreSQL store migrations', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  before(() => {
    assert.ok(started.ok);
    postgres = started.postgres;
  });
  after(() => postgres?.stop());

  it('five migrators starting together apply each version exactly once; the others wait and find it done', async () => {
    const url = await postgres.createDatabase();
    const pools = Array.from({ length: 5 }, () => createPgPool(location(url), { max: 1 }));
    try {
      const results = await Promise.all(pools.map((pool) => migratePg(pool, location(url))));
      const applied = results.flatMap((r) => r.applied).sort((a, b) => a - b);
      assert.deepEqual(applied, PG_MIGRATIONS.map((m) => m.version), 'every version applied once, by one of them');
      for (const r of results) assert.equal(r.version, PG_MIGRATIONS.at(-1)!.version);
      const { rows } = await pools[0]!.query<{ version: number }>('SELECT version FROM o365_notify_schema ORDER BY version');
      assert.deepEqual(rows.map((r) => r.version), PG_MIGRATIONS.map((m) => m.version));
      // A later start applies nothing.
      assert.deepEqual((await migratePg(pools[1]!, location(url))).applied, []);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('without the advisory lock the same start collides (what the lock prevents)', async () => {
    const url = await postgres.createDatabase();
    const clients = Array.from({ length: 5 }, () => new pg.Client({ connectionString: url }));
    await Promise.all(clients.map((c) => c.connect()));
    try {
      // Each applies version 1 in its own transaction, as migratePg would with no lock.
      const outcomes = await Promise.allSettled(
        clients.map(async (c) => {
          await c.query('BEGIN');
          await c.query(PG_MIGRATIONS[0]!.sql);
          await c.query('COMMIT');
        }),
      );
      assert.ok(outcomes.some((o) => o.status === 'rejected'), 'concurrent unlocked migrations conflict');
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('has the same tables and columns as the SQLite store at the same version', async () => {
    const url = await postgres.createDatabase();
    const pool = createPgPool(location(url));
    try {
      await migratePg(pool, location(url));
      assert.equal(PG_MIGRATIONS.at(-1)!.version, MIGRATIONS.at(-1)!.version, 'the two migration lists move in step');
      const { tables: expected, indexes } = sqliteSchema();
      const pgIndexes = await pool.query<{ indexname: string }>(
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey' ORDER BY indexname",
      );
      assert.deepEqual(pgIndexes.rows.map((r) => r.indexname).sort(), indexes, 'the same indexes');
      assert.deepEqual([...expected.keys()].sort(), [...STORE_TABLES].sort(), 'STORE_TABLES lists every SQLite table');
      for (const [table, columns] of expected) {
        const { rows } = await pool.query<{ column_name: string }>(
          "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
          [table],
        );
        assert.deepEqual(rows.map((r) => r.column_name).sort(), columns, `columns of ${table}`);
      }
      // Version 3 widened the kind check: a relay row is accepted, an unknown kind is not.
      const insert = (kind: string) =>
        pool.query(
          `INSERT INTO notifications (id, kind, group_key, recipients, subject, html, text, status, created_at, updated_at)
           VALUES ($1, $2, '', '[]', 's', '', '', 'queued', 1, 1)`,
          [`n-${kind}`, kind],
        );
      await insert('relay');
      await assert.rejects(insert('fax'), /notifications_kind_check/);
    } finally {
      await pool.end();
    }
  });

  it('refuses a database migrated by a newer version, naming the version and never the password', async () => {
    const url = await postgres.createDatabase();
    const pool = createPgPool(location(url));
    try {
      await migratePg(pool, location(url));
      await pool.query("INSERT INTO o365_notify_schema (version, description) VALUES (99, 'from the future')");
      assert.equal(await pgSchemaVersion(pool), 99);
      await assert.rejects(migratePg(pool, location(url)), (err: Error) => {
        assert.ok(err instanceof PgStoreVersionError);
        assert.match(err.message, new RegExp(`schema version 99.*up to ${PG_MIGRATIONS.at(-1)!.version}.*newer o365-notify`));
        assert.ok(!err.message.includes(postgres.password), 'no password in the message');
        return true;
      });
    } finally {
      await pool.end();
    }
  });
});
