import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { parseStoreUrl } from '../../../src/shared/index.js';
import type { NewNotification } from '../../../src/store/index.js';
import { createPgPool, migratePg, PgOutbox } from '../../../src/store/postgres/index.js';
import { skipReason, startTestPostgres, type TestPostgres } from '../../support/postgres.js';

const started = await startTestPostgres();
const T0 = 1_750_000_000_000;

function notification(id: string, createdAt = T0): NewNotification {
  return { id, kind: 'alert', groupKey: 'g', to: ['ops@contoso.com'], cc: [], bcc: [], subject: `s ${id}`, html: '<p>x</p>', text: 'x', importance: 'normal', createdAt };
}

/** Two instances: two pools on one database, as two processes would have. */
async function twoInstances(postgres: TestPostgres): Promise<{ a: PgOutbox; b: PgOutbox; pools: pg.Pool[] }> {
  const url = await postgres.createDatabase();
  const parsed = parseStoreUrl(url);
  assert.ok(parsed.ok && parsed.location.kind === 'postgres');
  const location = parsed.location;
  const pools = [createPgPool(location, { max: 4 }), createPgPool(location, { max: 4 })];
  await migratePg(pools[0]!, location);
  return { a: new PgOutbox(pools[0]!), b: new PgOutbox(pools[1]!), pools };
}

describe('PgOutbox: leased claims shared by instances', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  const pools: pg.Pool[] = [];
  before(() => {
    assert.ok(started.ok);
    postgres = started.postgres;
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await postgres?.stop();
  });

  it('two instances claiming at once never claim the same row, and together claim them all', async () => {
    const setup = await twoInstances(postgres);
    pools.push(...setup.pools);
    const ids = Array.from({ length: 200 }, (_, i) => `n${String(i).padStart(3, '0')}`);
    for (const id of ids) await setup.a.add(notification(id, T0 + ids.indexOf(id)));
    // 16 claimers per instance, 7 rows at a time, until the queue is empty.
    const claimedBy = new Map<string, string[]>();
    const claimer = async (outbox: PgOutbox, owner: string) => {
      for (;;) {
        const batch = await outbox.claimDue(T0 + 10_000, 7, { owner, expiresAt: T0 + 60_000 });
        if (batch.length === 0) return;
        for (const c of batch) claimedBy.set(c.notification.id, [...(claimedBy.get(c.notification.id) ?? []), owner]);
      }
    };
    await Promise.all(Array.from({ length: 32 }, (_, i) => claimer(i % 2 === 0 ? setup.a : setup.b, `${i % 2 === 0 ? 'a' : 'b'}/run${i}`)));
    assert.equal(claimedBy.size, ids.length, 'every row claimed');
    const doubles = [...claimedBy].filter(([, owners]) => owners.length > 1);
    assert.deepEqual(doubles, [], 'no row claimed twice');
    assert.ok([...claimedBy.values()].some((o) => o[0]!.startsWith('a/')) && [...claimedBy.values()].some((o) => o[0]!.startsWith('b/')), 'both instances got work');
    const counts = await setup.b.countByStatus();
    assert.equal(counts.sending, ids.length);
    assert.equal(counts.queued, 0);
  });

  it('an expired lease is re-claimed by another instance; the old owner\'s late answer cannot overwrite the new result', async () => {
    const { a, b, pools: p } = await twoInstances(postgres);
    pools.push(...p);
    await a.add(notification('late'));
    const [first] = await a.claimDue(T0, 10, { owner: 'host-a/1', expiresAt: T0 + 30_000 });
    assert.ok(first);
    // Before the deadline the claim is A's: B neither re-queues nor claims it.
    assert.equal(await b.requeueExpired(T0 + 29_999), 0);
    assert.deepEqual(await b.claimDue(T0 + 29_999, 10, { owner: 'host-b/1', expiresAt: T0 + 90_000 }), []);
    // A stops answering; its lease runs out and B takes the row.
    assert.equal(await b.requeueExpired(T0 + 30_000), 1);
    const [second] = await b.claimDue(T0 + 30_000, 10, { owner: 'host-b/1', expiresAt: T0 + 90_000 });
    assert.ok(second);
    assert.notEqual(second.attemptId, first.attemptId);
    assert.equal(second.notification.attempts, 2);
    // B's answer is final; A's answer arrives afterwards.
    assert.equal(await b.finishAttemptWith('late', second.attemptId, { result: 'failed', at: T0 + 31_000, error: 'mailbox not found' }), 'failed');
    assert.equal(await a.finishAttemptWith('late', first.attemptId, { result: 'sent', at: T0 + 32_000, messageId: 'from-a' }), 'lost');
    const row = await b.get('late');
    assert.equal(row?.status, 'failed', 'the new owner\'s result stands');
    assert.equal(row?.messageId, null);
    assert.equal(row?.lastError, 'mailbox not found');
    // The attempts tell what really happened, each under its owner.
    const attempts = await a.attempts('late');
    assert.deepEqual(
      attempts.map((t) => [t.owner, t.result]),
      [
        ['host-a/1', 'sent'],
        ['host-b/1', 'failed'],
      ],
    );
  });

  it('a late answer while the row waits in the queue again is also lost: the row is not moved by a claim that no longer owns it', async () => {
    const { a, b, pools: p } = await twoInstances(postgres);
    pools.push(...p);
    await a.add(notification('requeued'));
    const [claim] = await a.claimDue(T0, 1, { owner: 'host-a/1', expiresAt: T0 + 1_000 });
    assert.ok(claim);
    assert.equal(await b.requeueExpired(T0 + 5_000), 1);
    assert.equal((await b.attempts('requeued'))[0]?.result, 'interrupted');
    assert.equal(await a.finishAttemptWith('requeued', claim.attemptId, { result: 'retry', at: T0 + 6_000, nextAttemptAt: T0 + 600_000 }), 'lost');
    const row = await b.get('requeued');
    assert.equal(row?.status, 'queued');
    assert.equal(row?.nextAttemptAt, T0 + 5_000, 'due at once, not at the lost claim\'s retry time');
  });

  it('a renewed lease is not taken away; the owner finishes normally', async () => {
    const { a, b, pools: p } = await twoInstances(postgres);
    pools.push(...p);
    await a.add(notification('renewed'), [1, 2, 3]);
    const [claim] = await a.claimDue(T0, 1, { owner: 'host-a/1', expiresAt: T0 + 30_000 });
    assert.ok(claim);
    assert.equal(await a.renewLeases('host-a/1', T0 + 90_000), 1);
    assert.equal(await b.requeueExpired(T0 + 60_000), 0, 'still held after the first deadline');
    assert.equal(await a.finishAttemptWith('renewed', claim.attemptId, { result: 'sent', at: T0 + 61_000, messageId: 'm1' }), 'sent');
    const row = await b.get('renewed');
    assert.equal(row?.status, 'sent');
    assert.equal(row?.sentAt, T0 + 61_000);
    assert.deepEqual(await b.eventIds('renewed'), [1, 2, 3]);
  });
});
