import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseStoreUrl } from '../../../src/shared/index.js';
import { openStore, type Lease, type NewNotification, type OutboxRepository } from '../../../src/store/index.js';
import type { AsyncMethods } from '../../../src/store/postgres/conformance.js';
import { createPgPool, migratePg, PgOutbox } from '../../../src/store/postgres/index.js';
import { skipReason, startTestPostgres, type TestPostgres } from '../../support/postgres.js';
import { awaited } from './parity-support.js';

const started = await startTestPostgres();
const T0 = 1_750_000_000_000;
const LEASE: Lease = { owner: 'host/1', expiresAt: T0 + 60_000 };

/** The outbox operations both stores offer, async (the SQLite one wrapped): one scenario, two backends. */
type OutboxUnderTest = AsyncMethods<OutboxRepository>;

function notification(id: string, offset: number): NewNotification {
  return { id, kind: 'alert', groupKey: `g-${id}`, to: ['ops@contoso.com'], cc: ['cc@contoso.com'], bcc: [], subject: `Subject ${id}`, html: `<p>${id}</p>`, text: id, importance: 'high', createdAt: T0 + offset };
}

/** Everything the scenario leaves behind, attempt ids aside (each engine numbers its own). */
async function scenario(outbox: OutboxUnderTest): Promise<unknown> {
  const log: unknown[] = [];
  for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) await outbox.add(notification(id, i), i === 0 ? [3, 1, 2] : []);
  const first = await outbox.claimDue(T0 + 10, 2, LEASE);
  log.push(first.map((c) => c.notification.id));
  const [a, b] = first;
  log.push(await outbox.finishAttemptWith(a!.notification.id, a!.attemptId, { result: 'sent', at: T0 + 20, messageId: 'msg-a', statusCode: 202, httpRequests: 1 }));
  log.push(await outbox.finishAttemptWith(b!.notification.id, b!.attemptId, { result: 'retry', at: T0 + 21, nextAttemptAt: T0 + 5_000, error: 'throttled', statusCode: 429, errorCode: 'ApplicationThrottled', diagnosis: { code: 'throttled', title: 'Throttled' } as never }));
  log.push(await outbox.finishAttemptWith(a!.notification.id, a!.attemptId, { result: 'failed', at: T0 + 22, error: 'twice' }));
  const c = await outbox.claimById('c', T0 + 30, LEASE);
  log.push(c?.notification.status, c?.notification.attempts);
  log.push(await outbox.claimById('a', T0 + 31, LEASE));
  log.push(await outbox.finishAttemptWith('c', c!.attemptId, { result: 'waiting-sign-in', at: T0 + 40, error: 'sign in again' }));
  log.push(await outbox.parkQueued(T0 + 50));
  log.push(await outbox.countByStatus());
  log.push(await outbox.resumeWaiting(T0 + 60));
  log.push(await outbox.withdraw('d'), await outbox.withdraw('a'));
  // b's retry was given up on by its worker; Graph's acceptance arrives late.
  const bAttempt = (await outbox.attempts('b'))[0]!;
  log.push(await outbox.recordLateAnswer('b', bAttempt.id, { result: 'sent', at: T0 + 3_000, messageId: 'msg-b-late' }));
  log.push(await outbox.countByStatus());
  // A local hold (the daily recipient budget): back in the queue for then, its attempt undone; a stale claim is lost.
  await outbox.add(notification('e', 4_000));
  const e = await outbox.claimById('e', T0 + 4_000, LEASE);
  const hold = { at: T0 + 4_001, until: T0 + 90_000, error: 'Waiting for the daily recipient budget', diagnosis: null };
  log.push(await outbox.deferClaim('e', e!.attemptId + 1000, hold));
  log.push(await outbox.deferClaim('e', e!.attemptId, hold));
  log.push(await outbox.sentRecipientsSince(T0), await outbox.sentRecipientsSince(T0 + 20));
  for (const id of ['a', 'b', 'c', 'd', 'e']) {
    log.push(await outbox.get(id));
    log.push((await outbox.attempts(id)).map(({ id: _id, ...rest }) => rest));
    log.push(await outbox.eventIds(id));
  }
  return log;
}

describe('the PostgreSQL outbox behaves as the SQLite one (one scenario, two backends)', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  before(() => {
    assert.ok(started.ok);
    postgres = started.postgres;
  });
  after(() => postgres?.stop());

  it('claims, finishes, lost finishes, claim by id, park/resume, withdraw and late answers end in the same rows', async () => {
    const sqlite = openStore(':memory:');
    const sqliteOutbox = awaited(sqlite.outbox);
    const parsed = parseStoreUrl(await postgres.createDatabase());
    assert.ok(parsed.ok && parsed.location.kind === 'postgres');
    const pool = createPgPool(parsed.location);
    try {
      await migratePg(pool, parsed.location);
      const expected = await scenario(sqliteOutbox);
      const actual = await scenario(new PgOutbox(pool));
      assert.deepEqual(actual, expected);
    } finally {
      await pool.end();
      sqlite.close();
    }
  });
});
