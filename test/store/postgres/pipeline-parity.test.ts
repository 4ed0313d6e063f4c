import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NotifyStore } from '../../../src/notify/index.js';
import { NotificationService } from '../../../src/notify/service.js';
import { parseStoreUrl } from '../../../src/shared/index.js';
import { openStore, sqliteNotifyStore } from '../../../src/store/index.js';
import { openPgStore } from '../../../src/store/postgres/index.js';
import { FakeClock, FakeSender, MINUTE, SendError, event, rulesFrom } from '../../notify/helpers.js';
import { skipReason, startTestPostgres, type TestPostgres } from '../../support/postgres.js';

const started = await startTestPostgres();

/**
 * The notification pipeline (intake, routing, groups, silences, the outbox worker, retries,
 * status and history) on one store port: run once on SQLite, once on PostgreSQL, and what it sent
 * and stored must be the same. E-mail ids are random, so rows are compared without them; e-mails
 * due at the same moment go in no promised order on either store (SQLite's ties follow its
 * rowids, PostgreSQL's are unordered), so what was sent at each step is compared as a set.
 */
const sorted = <T>(rows: T[]): T[] => rows.map((r) => [JSON.stringify(r), r] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);

async function pipeline(store: NotifyStore): Promise<unknown[]> {
  const clock = new FakeClock();
  const sender = new FakeSender();
  const service = new NotificationService({
    store,
    channel: sender,
    rules: rulesFrom({ group_wait: '30s', group_interval: '5m', repeat_interval: '4h', daily_report: false }),
    clock: clock.read,
    delivery: { retryBaseMs: 1000, retryMaxMs: 60_000 },
  });
  const log: unknown[] = [];
  const sent = () => sorted(sender.sent.map((m) => [m.subject, m.to]));
  log.push(await service.submit([event(), event({ agent: 'SRV-2' }), event()]));
  log.push(await service.submit(event({ agent: 'SRV-3', severity: 'info' })));
  log.push((await service.tick(clock.now)) !== undefined, store.undeliveredEvents());
  await service.tick(clock.advance(30_000));
  log.push(sent());
  // Resolved, then a failure Graph asks to retry, then it goes.
  await service.submit(event({ status: 'resolved' }));
  sender.behaviour = (_email, attempt) => {
    if (attempt === 1) throw new SendError('Service unavailable', true, { statusCode: 503 });
    return { messageId: `m-${attempt}` };
  };
  await service.tick(clock.advance(5 * MINUTE));
  log.push(sent());
  await service.tick(clock.advance(5_000));
  log.push(sent());
  // A silence holds what matches it.
  await service.addSilence({ matchers: { agent: 'SRV-2' }, startsAt: clock.now, endsAt: clock.now + 3_600_000, comment: 'maintenance', createdBy: 'test' } as never);
  await service.submit(event({ agent: 'SRV-2', status: 'resolved' }));
  await service.tick(clock.advance(5 * MINUTE));
  log.push(sent());
  const status = await service.status();
  log.push(status.queue, status.oldestUndeliveredEvent, status.nextGroupFlushAt, status.lastDelivery && { ...status.lastDelivery, id: undefined });
  const history = await service.deliveries({ limit: 50 });
  log.push(sorted(history.map((r) => [r.notification.kind, r.notification.status, r.notification.subject, r.notification.attempts, r.eventIds, r.attempts.map((a) => [a.result, a.statusCode])])));
  log.push((await store.events.receivedBetween(0, clock.now + 1, 100)).map((e) => [e.id, e.agent, e.status, e.outcome]));
  log.push((await store.alerts.list()).map((a) => [a.agent, a.state, a.eventCount, a.lastNotifiedState]));
  log.push((await service.listSilences()).store.map((s) => [s.matchers, s.comment]), await store.queueDepth());
  await service.stop();
  return log;
}

describe('the notification pipeline gives the same results on PostgreSQL as on SQLite', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  before(() => {
    assert.ok(started.ok);
    postgres = started.postgres;
  });
  after(() => postgres?.stop());

  it('submit, route, group, send, retry, resolve, silence; status and history', async () => {
    const sqlite = openStore(':memory:');
    const parsed = parseStoreUrl(await postgres.createDatabase('o365_pipeline', { icuLocale: 'en-US' }));
    assert.ok(parsed.ok && parsed.location.kind === 'postgres');
    const pg = await openPgStore(parsed.location, { recountEveryMs: 0 });
    try {
      const expected = await pipeline(sqliteNotifyStore(sqlite));
      const actual = await pipeline(pg);
      assert.deepEqual(actual, expected);
      assert.ok((expected[4] as unknown[]).length >= 2, 'the scenario sent e-mails');
    } finally {
      await pg.close();
      sqlite.close();
    }
  });
});
