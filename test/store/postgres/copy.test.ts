import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { rotateApiToken } from '../../../src/server/api-token.js';
import { serviceStorePath } from '../../../src/server/paths.js';
import { parseStoreUrl } from '../../../src/shared/index.js';
import { createPgPool, PgOutbox, SQLITE_ONLY_TABLES, STORE_TABLES } from '../../../src/store/postgres/index.js';
import { runCli, testEnv } from '../../support/cli.js';
import type { TestEmulator } from '../../support/emulator.js';
import { skipReason, startTestPostgres, startWithEmulator, type TestPostgres } from '../../support/postgres.js';
import { call, inbox, keepAliveAgent, PER_FOLDER_NOTIFICATIONS, reliabilityHome, startServiceProcess, waitFor, type ServiceProcess } from '../../reliability/support.js';

const started = await startTestPostgres();

/** Every row of a table, in primary-key order, as plain values (Buffers as hex) to compare across engines. */
function normalize(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? `hex:${v.toString('hex')}` : v]));
}

function sqliteRows(db: Database.Database, table: string): Record<string, unknown>[] {
  const key = (db.pragma(`table_info(${table})`) as { name: string; pk: number }[]).filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
  return (db.prepare(`SELECT * FROM ${table} ORDER BY ${key.join(', ')}`).all() as Record<string, unknown>[]).map(normalize);
}

async function pgRows(pool: pg.Pool, db: Database.Database, table: string): Promise<Record<string, unknown>[]> {
  const key = (db.pragma(`table_info(${table})`) as { name: string; pk: number }[]).filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
  // COLLATE "C": byte order, as SQLite sorts TEXT.
  const order = key.map((k) => `${k} COLLATE "C"`.replace(/^(id|event_id) COLLATE "C"$/, '$1'));
  return (await pool.query(`SELECT * FROM ${table} ORDER BY ${order.join(', ')}`)).rows.map(normalize);
}

describe('store copy: a home\'s SQLite history made by the real service, into PostgreSQL', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  let emu: TestEmulator;
  let stop: () => Promise<void>;
  let home: string;
  let cleanupHome: () => Promise<void>;
  let service: ServiceProcess | undefined;

  before(async () => {
    ({ postgres, emu, stop } = await startWithEmulator(started));
    ({ home, cleanup: cleanupHome } = await reliabilityHome(emu, PER_FOLDER_NOTIFICATIONS));
  });
  after(async () => {
    await service?.stop();
    await cleanupHome?.();
    await stop?.();
  });

  it('copies every table row for row, refuses while the service runs and when the target is not empty, never prints the password', async () => {
    // History: alerts fired and one resolved, delivered through Graph (the emulator), plus a relay user.
    const { token } = await rotateApiToken(home);
    service = await startServiceProcess(home);
    const agent = keepAliveAgent();
    const folders = ['D:\\Backups\\FS01', 'D:\\Backups\\SQL01', 'D:\\Backups\\DC01'];
    const events = folders.map((folder) => ({ type: 'imagemanager.verification_failed', severity: 'critical', agent: 'SRV-01', folder, summary: `Verification failed in ${folder}` }));
    assert.equal((await call(agent, service.url, 'POST', '/api/v1/events', { token, body: events })).status, 202);
    await waitFor(async () => (await inbox(emu)).length >= 3 || undefined, 'three alert e-mails');
    const resolved = { ...events[0]!, status: 'resolved', summary: 'Verification works again' };
    assert.equal((await call(agent, service.url, 'POST', '/api/v1/events', { token, body: resolved })).status, 202);
    await waitFor(async () => (await inbox(emu)).length >= 4 || undefined, 'the recovery e-mail');

    const target = await postgres.createDatabase();
    const env = testEnv(home);
    const whileRunning = await runCli(['store', 'copy', '--from', home, '--to', target], { home, env });
    assert.equal(whileRunning.code, 1);
    assert.match(whileRunning.stderr, /An o365-notify service is running on .*Stop it/);

    const stopped = await service.stop();
    assert.equal(stopped.code, 0, service.output());
    service = undefined;
    agent.destroy();
    const user = await runCli(['smtp', 'user', 'add', 'scanner', '--password-stdin'], { home, env, stdin: 'Scanner-Passw0rd-1\n' });
    assert.equal(user.code, 0, user.stderr);

    const copy = await runCli(['store', 'copy', '--from', home, '--to', target], { home, env });
    assert.equal(copy.code, 0, copy.stderr);
    assert.match(copy.stdout, /Copied .*o365-notify\.db to postgres:\/\/o365:\*\*\*@127\.0\.0\.1:\d+\/\w+ \(schema version \d+\); row counts checked:/);
    assert.match(copy.stdout, /events\s+4\n/);

    const db = new Database(serviceStorePath(home), { readonly: true });
    const parsed = parseStoreUrl(target);
    assert.ok(parsed.ok && parsed.location.kind === 'postgres');
    const pool = createPgPool(parsed.location);
    try {
      // Row for row, every table; the history is really there (not just empty tables matching).
      const sqliteTables = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[])
        .map((r) => r.name)
        .filter((t) => !(SQLITE_ONLY_TABLES as readonly string[]).includes(t));
      assert.deepEqual(sqliteTables.sort(), [...STORE_TABLES].sort());
      for (const table of STORE_TABLES) assert.deepEqual(await pgRows(pool, db, table), sqliteRows(db, table), table);
      const sent = (db.prepare("SELECT count(*) AS n FROM notifications WHERE status = 'sent'").get() as { n: number }).n;
      assert.ok(sent >= 4, `sent e-mails in the history: ${sent}`);
      assert.ok((db.prepare('SELECT count(*) AS n FROM delivery_attempts').get() as { n: number }).n >= 4);
      assert.equal((await new PgOutbox(pool).countByStatus()).sent, sent);
      // New rows continue after the copied ids.
      const maxEvent = (db.prepare('SELECT max(id) AS id FROM events').get() as { id: number }).id;
      const next = await pool.query<{ id: number }>(
        "INSERT INTO events (received_at, type, severity, status, summary, occurred_at, alert_key) VALUES (1, 't', 'info', 'firing', 's', 1, 'k') RETURNING id",
      );
      assert.ok(next.rows[0]!.id > maxEvent, `new event id ${next.rows[0]!.id} after ${maxEvent}`);
      await pool.query('DELETE FROM events WHERE id = $1', [next.rows[0]!.id]);

      // A second copy is refused and changes nothing.
      const again = await runCli(['store', 'copy', '--from', home, '--to', target], { home, env });
      assert.equal(again.code, 1);
      assert.match(again.stderr, /is not empty \(.*events: 4 rows.*\), so nothing was copied/);
      assert.equal((await pool.query<{ n: number }>('SELECT count(*)::bigint AS n FROM events')).rows[0]!.n, 4);

      for (const out of [whileRunning, copy, again]) assert.ok(!(out.stdout + out.stderr).includes(postgres.password), 'no password printed');
    } finally {
      db.close();
      await pool.end();
    }
  });

  it('store migrate brings an empty database to the schema, and a wrong password is told plainly without printing it', async () => {
    const target = await postgres.createDatabase();
    const env = testEnv(home, { O365_NOTIFY_STORE_URL: target });
    const first = await runCli(['store', 'migrate'], { home, env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /PostgreSQL store postgres:\/\/o365:\*\*\*@.*: schema version \d+ \(applied version 1, version 2/);
    const second = await runCli(['store', 'migrate', '--url', target], { home, env: testEnv(home) });
    assert.match(second.stdout, /nothing to apply/);
    const wrong = target.replace(postgres.password, 'not-the-password');
    const refused = await runCli(['store', 'migrate', '--url', wrong], { home, env: testEnv(home) });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refused the password of the user "o365" \(28P01\): correct the password in store\.url, PGPASSWORD or ~\/\.pgpass/);
    for (const out of [first, second, refused]) {
      assert.ok(!(out.stdout + out.stderr).includes(postgres.password));
      assert.ok(!(out.stdout + out.stderr).includes('not-the-password'));
    }
  });
});
