import assert from 'node:assert/strict';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openStore, sqliteNotifyStore, type SqliteNotifyStore, type Store } from '../../src/store/index.js';
import { sampleEvent, tempDir } from './helpers.js';

/** A promise the test settles by hand: it holds a unit of work open across real turns of the event loop. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Whether `p` is still pending after every callback already queued (this turn and the next) has run. */
async function stillPending(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await nextTurn();
  return !settled;
}

function email(id: string) {
  return { id, kind: 'test' as const, groupKey: `test|${id}`, to: ['ops@contoso.com'], cc: [], bcc: [], subject: id, html: '<p>x</p>', text: 'x', importance: 'normal' as const, createdAt: 1_750_000_000_000 };
}

describe('the store port on SQLite (issue 12)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  let port: SqliteNotifyStore;
  let reader: Database.Database;
  before(() => {
    tmp = tempDir();
    store = openStore(path.join(tmp.dir, 'port.db'));
    port = sqliteNotifyStore(store);
    // Another connection sees only what was committed.
    reader = new Database(path.join(tmp.dir, 'port.db'), { readonly: true });
  });
  after(() => {
    reader.close();
    store.close();
    tmp.cleanup();
  });
  const committedMeta = (key: string) => (reader.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  const committedEmail = (id: string) => reader.prepare('SELECT id FROM notifications WHERE id = ?').get(id) !== undefined;

  it('is one adapter per store, so every unit on a connection is ordered by the same guard', () => {
    assert.equal(sqliteNotifyStore(store), port);
  });

  it('commits all of a unit together, visible to another connection only once the unit resolved', async () => {
    await port.unitOfWork(async (tx) => {
      await tx.meta.set('unit.all', 'yes');
      await tx.outbox.add(email('unit-all'));
      assert.equal(committedMeta('unit.all'), undefined, 'not committed while the unit runs');
      assert.equal(await tx.meta.get('unit.all'), 'yes', 'the unit reads its own writes');
    });
    assert.equal(committedMeta('unit.all'), 'yes');
    assert.equal(committedEmail('unit-all'), true);
  });

  it('rolls back every write of a unit that throws, and the in-memory undelivered count with them', async () => {
    const undelivered = port.undeliveredEvents();
    await assert.rejects(
      port.unitOfWork(async (tx) => {
        await tx.meta.set('unit.none', 'yes');
        await tx.outbox.add(email('unit-none'));
        store.events.append([sampleEvent({ summary: 'rolled back' })]);
        assert.equal(port.undeliveredEvents(), undelivered + 1);
        await nextTurn(); // the unit may await real I/O
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(committedMeta('unit.none'), undefined);
    assert.equal(committedEmail('unit-none'), false);
    assert.equal(await port.meta.get('unit.none'), undefined, 'gone on the writing connection too');
    assert.equal(port.undeliveredEvents(), undelivered, 'recounted after the rollback');
    assert.equal(store.db.inTransaction, false);
  });

  it('makes a write from outside wait until the open unit ended: a rollback does not take it along', async () => {
    const held = gate();
    const unit = port.unitOfWork(async (tx) => {
      await tx.meta.set('outside.key', 'from the unit');
      await held.promise;
      throw new Error('the unit fails after the outside write was asked for');
    });
    const outside = port.meta.set('outside.key', 'from outside');
    assert.equal(await stillPending(outside), true, 'the outside write waits while the unit is open');
    held.open();
    await assert.rejects(unit, /the unit fails/);
    await outside;
    assert.equal(committedMeta('outside.key'), 'from outside', 'written after the rollback, on its own');
  });

  it('runs a second unit only after the first ended', async () => {
    const held = gate();
    const order: string[] = [];
    const first = port.unitOfWork(async (tx) => {
      order.push('first begins');
      await tx.meta.set('order', 'first');
      await held.promise;
      order.push('first ends');
    });
    const second = port.unitOfWork(async (tx) => {
      order.push('second begins');
      await tx.meta.set('order', 'second');
    });
    assert.equal(await stillPending(second), true);
    assert.deepEqual(order, ['first begins']);
    held.open();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first begins', 'first ends', 'second begins']);
    assert.equal(committedMeta('order'), 'second');
  });

  it('joins a unit started inside a unit (and runs the outer port\'s calls made inside it at once)', async () => {
    await assert.rejects(
      port.unitOfWork(async (tx) => {
        await tx.meta.set('nested.outer', 'yes');
        await port.unitOfWork(async (inner) => {
          await inner.meta.set('nested.inner', 'yes');
        });
        // Through the port, not tx: inside the unit it must not wait for the unit (that would never end).
        await port.meta.set('nested.port', 'yes');
        assert.equal(committedMeta('nested.inner'), undefined, 'the inner unit did not commit on its own');
        throw new Error('outer fails');
      }),
      /outer fails/,
    );
    assert.equal(committedMeta('nested.outer'), undefined);
    assert.equal(committedMeta('nested.inner'), undefined, 'rolled back with the unit it joined');
    assert.equal(committedMeta('nested.port'), undefined);
  });

  it('group-commits appends: together in one transaction, and after an open unit rather than inside it', async () => {
    const committed = (summary: string) => (reader.prepare('SELECT count(*) AS n FROM events WHERE summary = ?').get(summary) as { n: number }).n;
    const together = await Promise.all([port.appendEvents([sampleEvent({ summary: 'gc-a' })]), port.appendEvents([sampleEvent({ summary: 'gc-b' }), sampleEvent({ summary: 'gc-c' })])]);
    assert.equal(together.flat().length, 3);
    assert.deepEqual(together.flat(), [...together.flat()].sort((a, b) => a - b), 'ids in order');
    assert.equal(committed('gc-a') + committed('gc-b') + committed('gc-c'), 3, 'durable once resolved');

    const held = gate();
    const unit = port.unitOfWork(async (tx) => {
      await tx.meta.set('gc.unit', 'yes');
      await held.promise;
      throw new Error('the unit rolls back');
    });
    const before = port.undeliveredEvents();
    const appended = port.appendEvents([sampleEvent({ summary: 'gc-during-unit' })]);
    assert.equal(port.undeliveredEvents(), before + 1, 'gathering counts for backpressure');
    const flushed = port.flushAppends();
    assert.equal(port.undeliveredEvents(), before + 1, 'and so does a commit waiting for the unit');
    assert.equal(await stillPending(appended), true, 'the commit waits for the unit');
    held.open();
    await assert.rejects(unit, /rolls back/);
    await flushed;
    const [id] = await appended;
    assert.ok(id);
    assert.equal(port.undeliveredEvents(), before + 1, 'once, when committed');
    assert.equal(committed('gc-during-unit'), 1, 'committed on its own, not rolled back with the unit');
  });
});
