import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeliveryWorker } from '../../../src/delivery/worker.js';
import { parseStoreUrl } from '../../../src/shared/index.js';
import { openPgStore, type PgStore } from '../../../src/store/postgres/index.js';
import { FakeSender } from '../../notify/helpers.js';
import { skipReason, startTestPostgres, type TestPostgres } from '../../support/postgres.js';
import { T0, notification } from './parity-support.js';

const started = await startTestPostgres();

describe('two delivery workers on two PostgreSQL stores (two instances) share one outbox', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  before(() => {
    assert.ok(started.ok);
    postgres = started.postgres;
  });
  after(() => postgres?.stop());

  it('every e-mail is sent once, by one of them; each stays within its 4 concurrent sends', async () => {
    const parsed = parseStoreUrl(await postgres.createDatabase());
    assert.ok(parsed.ok && parsed.location.kind === 'postgres');
    const stores: PgStore[] = [await openPgStore(parsed.location, { recountEveryMs: 0 }), await openPgStore(parsed.location, { recountEveryMs: 0 })];
    try {
      const total = 40;
      for (let i = 0; i < total; i++) await stores[0]!.outbox.add(notification(`n${String(i).padStart(2, '0')}`, i));
      const peaks = [0, 0];
      const senders = stores.map((_, w) => {
        const sender = new FakeSender();
        let inFlight = 0;
        // Each send takes a few ms (Graph answers over the network), so the two workers overlap.
        sender.behaviour = async () => {
          peaks[w] = Math.max(peaks[w]!, ++inFlight);
          await new Promise((resolve) => setTimeout(resolve, 5));
          inFlight--;
          return { messageId: `w${w}` };
        };
        return sender;
      });
      const workers = stores.map((store, w) => new DeliveryWorker(store, senders[w]!, { owner: `host-${w}/run-1`, retryBaseMs: 1000 }, { clock: () => T0 + 1000 }));
      await Promise.all(workers.map((worker) => worker.drain(T0 + 1000)));

      const sentIds = senders.flatMap((s) => s.sent.map((m) => m.headers['x-o365-notify-id']));
      assert.equal(sentIds.length, total, 'as many sends as e-mails');
      assert.equal(new Set(sentIds).size, total, 'none sent twice');
      assert.ok(senders.every((s) => s.sent.length > 0), `both instances sent (${senders.map((s) => s.sent.length).join(' + ')})`);
      assert.ok(peaks.every((p) => p <= 4), `concurrency per worker ${peaks.join(', ')}`);
      assert.deepEqual(await stores[1]!.outbox.countByStatus(), { queued: 0, sending: 0, sent: total, failed: 0, waitingSignIn: 0 });
      const owners = new Set<string>();
      for (const [id, attempts] of await stores[1]!.outbox.attemptsFor(Array.from({ length: total }, (_, i) => `n${String(i).padStart(2, '0')}`))) {
        assert.equal(attempts.length, 1, `${id}: one attempt`);
        assert.equal(attempts[0]!.result, 'sent');
        owners.add(attempts[0]!.owner!);
      }
      assert.deepEqual([...owners].sort(), ['host-0/run-1', 'host-1/run-1']);
    } finally {
      for (const store of stores) await store.close();
    }
  });
});
