import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, StoreVersionError, migrate, openStore } from '../../src/store/index.js';
import { sampleEvent, tempDir } from './helpers.js';

describe('store: open, schema, round trip', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir();
  });
  after(() => tmp.cleanup());

  it('creates the file in WAL mode with synchronous=FULL by default, NORMAL for process-crash durability', () => {
    const store = openStore(path.join(tmp.dir, 'a', 'wal.db'));
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(store.db.pragma('synchronous', { simple: true }), 2, 'FULL');
    assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(store.schemaVersion, LATEST_SCHEMA_VERSION);
    if (process.platform !== 'win32') assert.equal(fs.statSync(path.join(tmp.dir, 'a', 'wal.db')).mode & 0o777, 0o600);
    store.close();
    const relaxed = openStore(path.join(tmp.dir, 'a', 'wal.db'), { durability: 'process-crash' });
    assert.equal(relaxed.db.pragma('synchronous', { simple: true }), 1, 'NORMAL');
    relaxed.close();
  });

  it('round-trips events, in one transaction per append, with ids in order', () => {
    const file = path.join(tmp.dir, 'events.db');
    const store = openStore(file);
    const ids = store.appendEvents([
      sampleEvent({ summary: 'first', details: { 'ünïcødé': '✓ 日本', list: [1, 'two', null] } }),
      sampleEvent({ summary: 'second', status: 'resolved', severity: 'info', dedupKey: 'k1' }),
    ]);
    assert.equal(ids.length, 2);
    assert.ok(ids[1]! > ids[0]!);
    store.close();

    const again = openStore(file);
    const first = again.events.get(ids[0]!)!;
    assert.equal(first.summary, 'first');
    assert.deepEqual(first.details, { 'ünïcødé': '✓ 日本', list: [1, 'two', null] });
    assert.equal(first.outcome, null);
    const second = again.events.get(ids[1]!)!;
    assert.equal(second.status, 'resolved');
    assert.equal(second.dedupKey, 'k1');
    assert.equal(again.undeliveredEvents(), 2, 'counted from the table on open');
    again.close();
  });

  it('keeps the undelivered count exact through routing, queuing and delivery', () => {
    const store = openStore(path.join(tmp.dir, 'count.db'));
    const [a, b, c] = store.appendEvents([sampleEvent(), sampleEvent(), sampleEvent()]) as [number, number, number];
    assert.equal(store.undeliveredEvents(), 3);
    store.transaction(() => {
      store.events.markRouted(a, 'g', 'pending');
      store.events.markRouted(b, 'g', 'pending');
      store.events.markRouted(c, 'g', 'unchanged');
    });
    assert.equal(store.undeliveredEvents(), 2);
    store.transaction(() => {
      store.outbox.add(
        { id: 'n1', kind: 'alert', groupKey: 'g', to: ['a@example.com'], cc: [], bcc: [], subject: 's', html: 'h', text: 't', importance: 'normal', createdAt: 1 },
        [a, b],
      );
      store.events.markQueued('n1');
    });
    assert.equal(store.undeliveredEvents(), 2);
    assert.equal(store.events.settleCarriedBy('n1', 'notified'), 2);
    assert.equal(store.undeliveredEvents(), 0);
    assert.equal(store.events.countUndelivered(), 0);
    // A rolled-back transaction leaves the in-memory count matching the table.
    assert.throws(() =>
      store.transaction(() => {
        store.appendEvents([sampleEvent()]);
        throw new Error('boom');
      }),
    );
    assert.equal(store.undeliveredEvents(), 0);
    assert.equal(store.events.countUndelivered(), 0);
    store.close();
  });

  it('outbox: claim, attempts, retry, and crash recovery of rows left sending', () => {
    const store = openStore(path.join(tmp.dir, 'outbox.db'));
    const base = { kind: 'alert' as const, groupKey: 'g', to: ['a@example.com'], cc: [], bcc: [], subject: 's', html: '<p>h</p>', text: 't', importance: 'high' as const };
    store.outbox.add({ ...base, id: 'x1', createdAt: 100 });
    store.outbox.add({ ...base, id: 'x2', createdAt: 101 });
    assert.deepEqual(store.outbox.claimDue(99, 10), [], 'nothing is due before it was created');
    const claimed = store.outbox.claimDue(200, 1);
    assert.equal(claimed.length, 1);
    assert.equal(claimed[0]!.notification.id, 'x1');
    assert.equal(claimed[0]!.notification.status, 'sending');
    assert.equal(store.outbox.get('x1')!.attempts, 1);
    store.outbox.finishAttemptWith('x1', claimed[0]!.attemptId, { result: 'retry', at: 210, error: 'HTTP 503', statusCode: 503, nextAttemptAt: 500 });
    assert.equal(store.outbox.get('x1')!.status, 'queued');
    assert.equal(store.outbox.get('x1')!.nextAttemptAt, 500);
    assert.equal(store.outbox.retryCount('x1'), 1);
    const second = store.outbox.claimDue(300, 10);
    assert.deepEqual(second.map((c) => c.notification.id), ['x2'], 'x1 waits for its backoff');
    assert.equal(store.outbox.countByStatus().sending, 1);
    // Crash: x2 was in flight. Reopen and recover.
    store.close();
    const reopened = openStore(path.join(tmp.dir, 'outbox.db'));
    assert.equal(reopened.outbox.requeueInterrupted(400), 1);
    assert.equal(reopened.outbox.get('x2')!.status, 'queued');
    const attempts = reopened.outbox.attempts('x2');
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0]!.result, 'interrupted');
    reopened.close();
  });

  it('pages deliveries newest first', () => {
    const store = openStore(path.join(tmp.dir, 'page.db'));
    for (let i = 0; i < 7; i++) {
      store.outbox.add({ id: `n${i}`, kind: 'alert', groupKey: 'g', to: ['a@example.com'], cc: [], bcc: [], subject: `s${i}`, html: '', text: '', importance: 'normal', createdAt: 1000 + i });
    }
    const first = store.outbox.page({ limit: 3 });
    assert.deepEqual(first.map((n) => n.id), ['n6', 'n5', 'n4']);
    const last = first[first.length - 1]!;
    const next = store.outbox.page({ limit: 3, before: { createdAt: last.createdAt, id: last.id } });
    assert.deepEqual(next.map((n) => n.id), ['n3', 'n2', 'n1']);
    store.close();
  });

  it('integrity_check passes on a healthy store and reports a damaged one', () => {
    const file = path.join(tmp.dir, 'integrity.db');
    const store = openStore(file);
    store.appendEvents(Array.from({ length: 300 }, (_, i) => sampleEvent({ summary: `event ${i} ${'x'.repeat(200)}` })));
    assert.deepEqual(store.integrityCheck(), { ok: true, problems: [] });
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    store.close();

    // Damage an index page: flip bytes in the middle of the file (past the header page).
    const bytes = fs.readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    const pages = bytes.length / pageSize;
    assert.ok(pages > 4);
    for (let p = 2; p < pages; p++) bytes.fill(0x5a, p * pageSize + 100, p * pageSize + 400);
    fs.writeFileSync(file, bytes);
    let report;
    try {
      const damaged = openStore(file);
      report = damaged.integrityCheck();
      damaged.close();
    } catch (err) {
      // SQLite may refuse to read the schema at all: also a detected corruption.
      report = { ok: false, problems: [(err as Error).message] };
    }
    assert.equal(report.ok, false);
    assert.ok(report.problems.length > 0);
  });
});

describe('store: migrations', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir();
  });
  after(() => tmp.cleanup());

  it('applies each migration once, records user_version, and is a no-op when current', () => {
    const file = path.join(tmp.dir, 'm.db');
    const db = new Database(file);
    assert.deepEqual(migrate(db, file), MIGRATIONS.map((m) => m.version));
    assert.equal(db.pragma('user_version', { simple: true }), LATEST_SCHEMA_VERSION);
    assert.deepEqual(migrate(db, file), []);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    for (const t of ['events', 'alerts', 'alert_groups', 'silences', 'notifications', 'notification_events', 'delivery_attempts', 'health_notices', 'meta']) {
      assert.ok(tables.includes(t), `table ${t}`);
    }
    db.close();
  });

  it('brings an older store forward with a later migration, keeping its data', () => {
    const file = path.join(tmp.dir, 'upgrade.db');
    const v1 = openStore(file);
    const [id] = v1.appendEvents([sampleEvent({ summary: 'kept' })]);
    v1.close();
    const db = new Database(file);
    const next = [
      ...MIGRATIONS,
      { version: LATEST_SCHEMA_VERSION + 1, description: 'test column', up: (d: Database.Database) => d.exec("ALTER TABLE events ADD COLUMN source TEXT NOT NULL DEFAULT 'api'") },
    ];
    assert.deepEqual(migrate(db, file, next), [LATEST_SCHEMA_VERSION + 1]);
    assert.deepEqual(db.prepare('SELECT summary, source FROM events WHERE id = ?').get(id), { summary: 'kept', source: 'api' });
    db.close();
  });

  it('rolls back a failing migration and leaves the version unchanged', () => {
    const file = path.join(tmp.dir, 'fail.db');
    const db = new Database(file);
    const broken = [
      { version: 1, description: 'ok', up: (d: Database.Database) => d.exec('CREATE TABLE a (x)') },
      { version: 2, description: 'bad', up: (d: Database.Database) => d.exec('CREATE TABLE b (y); THIS IS NOT SQL') },
    ];
    assert.throws(() => migrate(db, file, broken));
    assert.equal(db.pragma('user_version', { simple: true }), 1);
    assert.deepEqual(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'b'").get(), { n: 0 });
    db.close();
  });

  it('refuses a store written by a newer version', () => {
    const file = path.join(tmp.dir, 'newer.db');
    const db = new Database(file);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
    db.close();
    assert.throws(() => openStore(file), (err: unknown) => err instanceof StoreVersionError && /newer o365-notify/.test((err as Error).message));
  });
});
