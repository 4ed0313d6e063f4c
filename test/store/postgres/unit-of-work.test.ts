import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { parseStoreUrl } from '../../../src/shared/index.js';
import { openPgStore, type PgLocation, type PgStore } from '../../../src/store/postgres/index.js';
import { skipReason, startTestPostgres, type TestPostgres } from '../../support/postgres.js';
import { T0, event, notification } from './parity-support.js';

const started = await startTestPostgres();

describe('PostgreSQL units of work and group commit', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  before(() => {
    assert.ok(started.ok);
    postgres = started.postgres;
  });
  after(() => postgres?.stop());

  async function newDatabase(): Promise<{ location: PgLocation; url: string }> {
    const url = await postgres.createDatabase();
    const parsed = parseStoreUrl(url);
    assert.ok(parsed.ok && parsed.location.kind === 'postgres');
    return { location: parsed.location, url };
  }

  async function withStore(fn: (store: PgStore, url: string) => Promise<void>): Promise<void> {
    const { location, url } = await newDatabase();
    const store = await openPgStore(location, { recountEveryMs: 0 });
    try {
      await fn(store, url);
    } finally {
      await store.close();
    }
  }

  /** A separate connection: sees only what has been committed. */
  async function committedCount(url: string, sql: string): Promise<number> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return Number((await client.query<{ n: string }>(sql)).rows[0]!.n);
    } finally {
      await client.end();
    }
  }

  it('a unit that throws leaves nothing behind, inner units and multi-statement methods included, and the count is the table\'s again', async () => {
    await withStore(async (store, url) => {
      await store.appendEvents([event(1)]);
      await store.outbox.add(notification('n', 1));
      assert.equal(store.undeliveredEvents(), 1);
      const boom = new Error('boom');
      await assert.rejects(
        store.unitOfWork(async (tx) => {
          await tx.events.append([event(2), event(3)]);
          await tx.meta.set('k', 'v');
          // Joins: no BEGIN of its own, so its COMMIT cannot commit the outer unit's work half-way.
          await store.unitOfWork(async (inner) => {
            assert.equal(inner, tx);
            await inner.alerts.save({ key: 'a', type: 't', agent: 'x', folder: 'f', dedupKey: '', severity: 'critical', summary: 's', details: {}, state: 'firing', firstFiringAt: T0, resolvedAt: null, lastEventAt: T0, lastEventId: 2, eventCount: 1, groupKey: null, lastNotifiedAt: null, lastNotifiedState: null, lastNotifiedSeverity: null });
          });
          // claimById and withdraw run several statements in a transaction: here they join the unit's.
          assert.ok(await tx.outbox.claimById('n', T0 + 5));
          assert.equal(tx.events.undeliveredCount, 3, 'inside the unit the count includes its own events');
          assert.equal(await committedCount(url, 'SELECT count(*) AS n FROM events'), 1, 'nothing of the unit is visible outside before COMMIT');
          throw boom;
        }),
        boom,
      );
      assert.equal(await committedCount(url, 'SELECT count(*) AS n FROM events'), 1);
      assert.equal(await committedCount(url, 'SELECT count(*) AS n FROM meta'), 0);
      assert.equal(await committedCount(url, 'SELECT count(*) AS n FROM alerts'), 0);
      assert.equal(await committedCount(url, 'SELECT count(*) AS n FROM delivery_attempts'), 0);
      assert.equal((await store.outbox.get('n'))?.status, 'queued');
      await store.recount();
      assert.equal(store.undeliveredEvents(), 1);
    });
  });

  it('inside a unit, the store\'s own repositories are part of it (as on SQLite): no wait on its locks, rolled back with it', async () => {
    await withStore(async (store, url) => {
      await store.meta.set('k', 'before');
      await assert.rejects(
        store.unitOfWork(async (tx) => {
          await tx.meta.set('k', 'in unit'); // the unit holds the row's lock now
          // From another connection this would wait for the unit, which waits for it: forever.
          await store.meta.set('k', 'through the store');
          await store.events.append([event(1)]);
          await store.relay.saveUser({ name: 'u', passwordHash: 'h', allowedFrom: [], allowedRecipients: [], createdAt: T0 });
          assert.equal(await tx.meta.get('k'), 'through the store');
          assert.equal(store.events.undeliveredCount, 1, "the unit's view");
          assert.equal(store.undeliveredEvents(), 0, 'the store figure: not before COMMIT');
          throw new Error('undo');
        }),
        /undo/,
      );
      assert.equal(await store.meta.get('k'), 'before');
      assert.equal(await committedCount(url, 'SELECT count(*) AS n FROM events'), 0);
      assert.equal(await committedCount(url, 'SELECT count(*) AS n FROM relay_users'), 0);
      assert.equal(store.undeliveredEvents(), 0);
    });
  });

  it('a unit that returns commits everything together, and the count follows at COMMIT', async () => {
    await withStore(async (store, url) => {
      const ids = await store.unitOfWork(async (tx) => {
        const ids = await tx.events.append([event(1), event(2)]);
        await tx.events.markRoutedMany([{ id: ids[0]!, groupKey: null, outcome: 'unchanged' }]);
        assert.equal(store.undeliveredEvents(), 0, 'not before COMMIT');
        return ids;
      });
      assert.deepEqual(ids, [1, 2]);
      assert.equal(store.undeliveredEvents(), 1);
      assert.equal(await committedCount(url, 'SELECT count(*) AS n FROM events'), 2);
      await assert.rejects(
        (async () => {
          let leaked: Parameters<Parameters<PgStore['unitOfWork']>[0]>[0] | undefined;
          await store.unitOfWork(async (tx) => {
            leaked = tx;
          });
          await leaked!.unitOfWork(async () => undefined);
        })(),
        /already ended/,
      );
    });
  });

  it('group commit: concurrent appends share one transaction; each gets its ids in order, only after COMMIT', async () => {
    await withStore(async (store, url) => {
      const callers = Array.from({ length: 20 }, (_, c) => Array.from({ length: 5 }, (_, i) => event(c * 5 + i)));
      const seen: number[] = [];
      const results = await Promise.all(
        callers.map(async (events) => {
          const ids = await store.appendEvents(events);
          // Acknowledged means committed: another connection sees the caller's rows already.
          seen.push(await committedCount(url, `SELECT count(*) AS n FROM events WHERE id IN (${ids.join(',')})`));
          return ids;
        }),
      );
      assert.deepEqual(results.flat(), Array.from({ length: 100 }, (_, i) => i + 1), 'ids in submission order');
      assert.deepEqual(seen, Array(20).fill(5));
      assert.equal(await committedCount(url, 'SELECT count(DISTINCT xmin::text) AS n FROM events'), 1, 'one transaction');
      const stored = await store.events.receivedBetween(0, T0 * 2, 200);
      assert.deepEqual(stored.reverse().map((e) => e.summary), callers.flat().map((e) => e.summary));
      assert.equal(store.undeliveredEvents(), 100);

      // While a commit is in flight, what arrives waits and goes into the next transaction together.
      const first = store.appendEvents([event(200)]);
      await new Promise((resolve) => setImmediate(resolve)); // the first commit has started
      const next = Promise.all(Array.from({ length: 10 }, (_, i) => store.appendEvents([event(201 + i)])));
      assert.deepEqual(await first, [101]);
      assert.deepEqual((await next).flat(), Array.from({ length: 10 }, (_, i) => 102 + i));
      assert.equal(await committedCount(url, 'SELECT count(DISTINCT xmin::text) AS n FROM events WHERE id > 100'), 2);
    });
  });

  it('appends not committed yet count as undelivered; flushAppends resolves once they are committed', async () => {
    await withStore(async (store, url) => {
      const pending = store.appendEvents([event(1), event(2)]);
      assert.equal(store.undeliveredEvents(), 2, 'gathering, not committed');
      await store.flushAppends();
      assert.equal(await committedCount(url, 'SELECT count(*) AS n FROM events'), 2);
      assert.equal(store.undeliveredEvents(), 2, 'committed, counted once');
      assert.deepEqual(await pending, [1, 2]);
      assert.equal(store.isOpen, true);
    });
  });

  it('relayed messages: accepted together in one transaction; inside a unit they join it and roll back with it', async () => {
    await withStore(async (store, url) => {
      const message = (id: string) => ({
        id, receivedAt: T0, clientAddress: '127.0.0.1', smtpUser: null, envelopeFrom: 'im@contoso.com', recipients: ['ops@contoso.com'],
        size: 10, headerFrom: null, messageId: null, subject: id, raw: Buffer.from(id), spoolFile: null,
      });
      await Promise.all(['m1', 'm2', 'm3'].map((id) => store.relay.accept(message(id))));
      assert.equal(await committedCount(url, 'SELECT count(DISTINCT xmin::text) AS n FROM relay_messages'), 1);
      assert.equal(await committedCount(url, "SELECT count(*) AS n FROM notifications WHERE kind = 'relay'"), 3);
      await assert.rejects(
        store.unitOfWork(async (tx) => {
          await tx.relay.accept(message('m4'));
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      assert.equal(await committedCount(url, 'SELECT count(*) AS n FROM relay_messages'), 3);
      assert.equal(await store.relay.get('m4'), undefined);
    });
  });

  it('close() commits the appends and relayed messages still gathering before it ends the pool', async () => {
    await withStore(async (store, url) => {
      const appended = store.appendEvents([event(1)]);
      const relayed = store.relay.accept({
        id: 'm', receivedAt: T0, clientAddress: '127.0.0.1', smtpUser: null, envelopeFrom: 'im@contoso.com', recipients: ['ops@contoso.com'],
        size: 1, headerFrom: null, messageId: null, subject: 'm', raw: Buffer.from('m'), spoolFile: null,
      });
      await store.close();
      assert.equal(store.isOpen, false);
      assert.deepEqual(await appended, [1]);
      await relayed;
      assert.equal(await committedCount(url, 'SELECT count(*) AS n FROM events'), 1);
      assert.equal(await committedCount(url, 'SELECT count(*) AS n FROM relay_messages'), 1);
      await assert.rejects(store.appendEvents([event(2)]), /closed/);
    });
  });

  it('a failed group commit rejects every caller of its batch and acknowledges none of their events', async () => {
    await withStore(async (store, url) => {
      const bad = { ...event(2), severity: 'nonsense' as never }; // the CHECK constraint refuses it
      const outcomes = await Promise.allSettled([store.appendEvents([event(1)]), store.appendEvents([bad])]);
      assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected']);
      assert.equal(await committedCount(url, 'SELECT count(*) AS n FROM events'), 0);
      await store.recount();
      assert.equal(store.undeliveredEvents(), 0);
      assert.deepEqual(await store.appendEvents([event(3)]), [3], 'the sequence moved on; the store goes on');
    });
  });

  it('routing: inside a unit, nextUnprocessed takes the routing lock, so a second instance gets nothing until the first commits', async () => {
    const { location } = await newDatabase();
    const a = await openPgStore(location, { recountEveryMs: 0 });
    const b = await openPgStore(location, { recountEveryMs: 0 });
    try {
      await a.appendEvents([event(1), event(2), event(3)]);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let routing!: () => void;
      const routingStarted = new Promise<void>((resolve) => (routing = resolve));
      const first = a.unitOfWork(async (tx) => {
        const events = await tx.events.nextUnprocessed(2);
        routing();
        await held;
        await tx.events.markRoutedMany(events.map((e) => ({ id: e.id, groupKey: null, outcome: 'unchanged' as const })));
        return events.map((e) => e.id);
      });
      await routingStarted;
      assert.deepEqual(await b.unitOfWork(async (tx) => (await tx.events.nextUnprocessed(10)).map((e) => e.id)), [], 'another instance routes now');
      assert.deepEqual((await b.events.nextUnprocessed(10)).map((e) => e.id), [1, 2, 3], 'a read outside a unit takes no lock');
      release();
      assert.deepEqual(await first, [1, 2]);
      assert.deepEqual(await b.unitOfWork(async (tx) => (await tx.events.nextUnprocessed(10)).map((e) => e.id)), [3], 'after COMMIT: what is left');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('the in-memory count catches up with another instance\'s writes at the periodic recount', async () => {
    const { location } = await newDatabase();
    const a = await openPgStore(location, { recountEveryMs: 50 });
    const b = await openPgStore(location, { recountEveryMs: 0 });
    try {
      await b.appendEvents([event(1), event(2), event(3)]);
      assert.equal(b.undeliveredEvents(), 3);
      const deadline = Date.now() + 5000;
      while (a.undeliveredEvents() !== 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(a.undeliveredEvents(), 3);
      const depth = await a.queueDepth();
      assert.equal(depth.undeliveredEvents, 3);
      assert.deepEqual(depth.outbox, { queued: 0, sending: 0, sent: 0, failed: 0, waitingSignIn: 0 });
    } finally {
      await a.close();
      await b.close();
    }
  });
});
