import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { GraphChannel, DeliveryWorker, type DeliveryOptions, type DeliveryResult, type GraphConnection } from '../../src/delivery/index.js';
import type { Clock } from '../../src/graph/clock.js';
import { createMailClient } from '../../src/graph/mail-client.js';
import { openStore, sqliteNotifyStore, type Store } from '../../src/store/index.js';
import { CountingTokenProvider } from '../graph/support/clients.js';
import { FakeClock } from '../graph/support/fake-clock.js';
import { FakeTransport, response } from '../graph/support/fake-transport.js';
import { tempDir } from '../store/helpers.js';

/**
 * Issue 13.7 follow-up: an e-mail held back by the daily recipient budget (mail.recipientsPerDay)
 * is no attempt at Microsoft. The real worker, Graph channel, mail client and budget on a real
 * store, in virtual time shared by all of them (HTTP answered by a scripted transport): a hold of
 * 20 hours with retryMaxMs 1 h and maxAttempts 10 ends in `sent` with no attempt counted, and a
 * new process on the same store counts what the last one sent.
 */
const HOUR = 3600_000;
const T0 = Date.UTC(2026, 0, 5, 6, 0, 0);

/** Virtual time for the worker (read) and the mail client (Clock): sleeps move it on. */
class SharedClock implements Clock {
  constructor(public t = T0) {}
  now = (): number => this.t;
  sleep = async (ms: number): Promise<void> => {
    this.t += Math.max(0, ms);
  };
}

/** One "process": its own mail client and budget (a new clock object is a new process's budget map), worker and channel. */
function processOn(store: Store, clock: Clock, transport: FakeTransport, delivery: DeliveryOptions = {}) {
  const client = createMailClient({
    baseUrl: 'https://graph.example.test/v1.0',
    mode: 'delegated',
    random: () => 0.5,
    pacing: { messagesPerMinute: 6000, recipientsPerDay: 3, recipientHistory: (since) => store.outbox.sentRecipientsSince(since) },
    tokenProvider: new CountingTokenProvider(),
    clock,
    transport,
    retries: 'caller',
  });
  const connection = { client, tokens: { tokenEndpointCalls: 0 }, close: () => client.close() } as unknown as GraphConnection;
  const results: DeliveryResult[] = [];
  const worker = new DeliveryWorker(
    sqliteNotifyStore(store),
    new GraphChannel(connection, pino({ level: 'silent' })),
    { maxAttempts: 10, retryBaseMs: 30_000, retryMaxMs: HOUR, ...delivery },
    { clock: () => clock.now(), onResult: (r) => results.push(r) },
  );
  return { worker, results };
}

function add(store: Store, id: string, at: number): void {
  store.outbox.add({ id, kind: 'alert', groupKey: 'g', to: [`${id}@example.org`], cc: [], bcc: [], subject: `alert ${id}`, html: '<p>x</p>', text: 'x', importance: 'normal', createdAt: at });
}

function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const tmp = tempDir('o365-notify-budget-');
  const store = openStore(path.join(tmp.dir, 'store.db'));
  return fn(store).finally(() => {
    store.close();
    tmp.cleanup();
  });
}

const sendMails = (t: FakeTransport) => t.requests.filter((r) => r.url.endsWith('/sendMail')).length;

describe('an e-mail held by the daily recipient budget (issue 13.7)', () => {
  it('waits 20 hours without an attempt counted, shows why, and is sent, not failed', () =>
    withStore(async (store) => {
      const clock = new SharedClock();
      const transport = new FakeTransport(() => response(202));
      const { worker, results } = processOn(store, clock, transport);
      for (const [i, id] of ['a', 'b', 'c'].entries()) {
        clock.t = T0 + i * HOUR;
        add(store, id, clock.t);
        await worker.drain(clock.t);
      }
      assert.equal(sendMails(transport), 3);

      clock.t = T0 + 4 * HOUR;
      add(store, 'd', clock.t);
      add(store, 'e', clock.t);
      await worker.drain(clock.t);
      assert.equal(sendMails(transport), 3, 'nothing over the budget reached Graph');
      for (const id of ['d', 'e']) {
        const held = store.outbox.get(id)!;
        assert.equal(held.status, 'queued');
        assert.equal(held.attempts, 0, 'a hold is no attempt');
        assert.deepEqual(store.outbox.attempts(id), []);
        assert.match(held.lastError!, /^Waiting for the daily recipient budget until 2026-01-06T06:00:0\d/);
        assert.match(held.lastError!, /mail\.recipientsPerDay = 3/);
        // Exactly when the first recipient leaves the rolling 24 hours (plus the budget's margin), not capped at retryMaxMs.
        assert.ok(held.nextAttemptAt! > T0 + 24 * HOUR && held.nextAttemptAt! < T0 + 24 * HOUR + 5_000, `due ${new Date(held.nextAttemptAt!).toISOString()}`);
      }
      assert.deepEqual(results.slice(3).map((r) => [r.outcome, r.status, r.requests]), [['deferred', 'queued', 0], ['deferred', 'queued', 0]]);
      // What `status` shows: the next e-mail waits, and why.
      assert.match(store.outbox.nextQueued()!.reason!, /^Waiting for the daily recipient budget until/);

      // Every hour until then: nothing is due, nothing is tried.
      for (let h = 5; h < 24; h++) assert.deepEqual(await worker.drain((clock.t = T0 + h * HOUR)), []);
      assert.equal(sendMails(transport), 3);

      // Due: one goes (a's recipient left the window), the other is held again until b's leaves.
      clock.t = store.outbox.get('d')!.nextAttemptAt!;
      await worker.drain(clock.t);
      assert.equal(sendMails(transport), 4);
      const [first, second] = ['d', 'e'].map((id) => store.outbox.get(id)!).sort((x, y) => (x.status === 'sent' ? -1 : y.status === 'sent' ? 1 : 0));
      assert.equal(first!.status, 'sent');
      assert.equal(second!.status, 'queued');
      assert.ok(second!.nextAttemptAt! > T0 + 25 * HOUR && second!.nextAttemptAt! < T0 + 25 * HOUR + 5_000);
      clock.t = second!.nextAttemptAt!;
      await worker.drain(clock.t);
      for (const id of ['d', 'e']) {
        const row = store.outbox.get(id)!;
        assert.equal(row.status, 'sent', `${id} sent after its hold`);
        assert.equal(row.attempts, 1, 'one attempt: the one that went');
        assert.deepEqual(store.outbox.attempts(id).map((a) => a.result), ['sent']);
        assert.equal(store.outbox.retryCount(id), 0);
      }
      assert.equal(sendMails(transport), 5);
      assert.equal(store.outbox.countByStatus().failed, 0);
    }));

  it('a new process on the same store counts the recipients the last one sent', () =>
    withStore(async (store) => {
      const transport = new FakeTransport(() => response(202));
      const before = processOn(store, new SharedClock(), transport);
      for (const [i, id] of ['a', 'b', 'c'].entries()) {
        add(store, id, T0 + i * HOUR);
        await before.worker.drain(T0 + i * HOUR);
      }
      assert.equal(sendMails(transport), 3);
      assert.deepEqual(store.outbox.sentRecipientsSince(T0 - 1).map((s) => s.recipients), [1, 1, 1]);

      // "Restart": a new clock object is a new process's budget; the store is all it shares.
      const clock = new SharedClock(T0 + 4 * HOUR);
      const after = processOn(store, clock, transport);
      add(store, 'd', clock.t);
      await after.worker.drain(clock.t);
      assert.equal(sendMails(transport), 3, 'the restarted process did not start from zero');
      const held = store.outbox.get('d')!;
      assert.equal(held.status, 'queued');
      assert.match(held.lastError!, /^Waiting for the daily recipient budget until/);
      assert.ok(held.nextAttemptAt! > T0 + 24 * HOUR && held.nextAttemptAt! < T0 + 24 * HOUR + 5_000);
      clock.t = held.nextAttemptAt!;
      await after.worker.drain(clock.t);
      assert.equal(store.outbox.get('d')!.status, 'sent');
      assert.equal(sendMails(transport), 4);
    }));

  it('an e-mail still waiting for the mailbox\'s Retry-After pause at its send timeout is held for the pause, not counted', () =>
    withStore(async (store) => {
      // Virtual time that moves only when the test says: the pause's sleep is still pending when the worker's (real, 300 ms) send timeout aborts.
      const clock = new FakeClock(T0);
      const transport = new FakeTransport((_req, i) => (i === 0 ? response(429, { error: { code: 'ApplicationThrottled', message: 'throttled' } }, { 'retry-after': '600' }) : response(202)));
      const { worker } = processOn(store, clock, transport, { sendTimeoutMs: 300, abortGraceMs: 2_000 });
      add(store, 'a', T0);
      await worker.drain(T0);
      assert.equal(store.outbox.get('a')!.status, 'queued');
      assert.deepEqual(store.outbox.attempts('a').map((x) => [x.result, x.statusCode]), [['retry', 429]]);

      add(store, 'b', T0);
      await worker.drain(T0);
      const held = store.outbox.get('b')!;
      assert.equal(transport.requests.length, 1, 'no request for b');
      assert.equal(held.status, 'queued');
      assert.equal(held.attempts, 0, 'waiting for the pause is no attempt');
      assert.deepEqual(store.outbox.attempts('b'), []);
      assert.match(held.lastError!, /Microsoft Graph asked this mailbox to wait \(Retry-After\) until 2026-01-05T06:10:00/);
      assert.equal(held.nextAttemptAt, T0 + 600_000, 'due when the pause ends');

      await clock.advance(600_000);
      // The two now take their turns in the message pace (virtual sleeps): run the clock until both are done.
      await clock.run(worker.drain(clock.now()));
      assert.deepEqual(['a', 'b'].map((id) => store.outbox.get(id)!.status), ['sent', 'sent']);
      assert.deepEqual(store.outbox.attempts('b').map((x) => x.result), ['sent']);
    }));
});
