import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseStoreUrl } from '../../../src/shared/index.js';
import { openStore, type AlertRow, type GroupRow, type Lease } from '../../../src/store/index.js';
import { openPgStore, type PgStore } from '../../../src/store/postgres/index.js';
import { skipReason, startTestPostgres, type TestPostgres } from '../../support/postgres.js';
import { T0, event, notification, sqliteBackend, type Backend } from './parity-support.js';

const started = await startTestPostgres();

/** One scenario per repository; each returns everything it saw, to compare between the backends. */
const scenarios: Record<string, (b: Backend) => Promise<unknown[]>> = {
  async 'events: append order and ids, routing marks, pending/settle/move, queued/settled, reads and pruning'({ events: ev, outbox }) {
    const log: unknown[] = [];
    log.push(await ev.append([event(1), event(2), event(3)]), await ev.append([event(4), event(5)]), await ev.append([]));
    log.push(await ev.get(2), await ev.get(99), await ev.nextUnprocessed(3));
    await ev.markRoutedMany([
      { id: 1, groupKey: 'g1', outcome: 'pending' },
      { id: 2, groupKey: 'g1', outcome: 'pending' },
      { id: 3, groupKey: 'g2', outcome: 'unchanged' },
      { id: 4, groupKey: 'g1', outcome: 'pending' },
    ]);
    await ev.markRouted(5, 'g2', 'pending');
    log.push(await ev.nextUnprocessed(10), await ev.countUndelivered(), await ev.pendingIn('g1'));
    log.push(await ev.settlePendingOf('g1', 'k1', 'superseded'), await ev.movePendingOf('k2', 'g1', 'g3'));
    log.push(await ev.pendingIn('g1'), await ev.pendingIn('g3'));
    await outbox.add(notification('n1', 10), [2, 5]);
    log.push(await ev.markQueued('n1'));
    log.push(await ev.append([event(6)]));
    await ev.markRouted(6, 'g3', 'pending');
    log.push(await ev.markQueuedIds([6, 1]), await ev.markQueuedIds([]));
    await outbox.linkEvents('n1', [6]);
    log.push(await ev.countUndelivered(), await ev.oldestUndeliveredEvent());
    log.push(await ev.settleCarriedBy('n1', 'notified'), await ev.settleCarriedBy('n1', 'failed'));
    log.push(await ev.receivedBetween(T0 + 2000, T0 + 6000, 10), await ev.receivedBetween(T0, T0 + 10_000, 2));
    log.push(await ev.countsBetweenTimes(T0, T0 + 10_000));
    log.push(await ev.countUndelivered(), await ev.oldestUndeliveredEvent());
    log.push(await ev.pruneSettledBefore(T0 + 4500, T0 + 4500, 1), await ev.pruneSettledBefore(T0 + 10_000));
    log.push(await ev.nextUnprocessed(10), await ev.receivedBetween(0, T0 * 2, 100));
    return log;
  },

  async 'alerts and groups: save/upsert, lists in SQLite order, notified marks, due groups and flushes'({ alerts, groups }) {
    const log: unknown[] = [];
    const alert = (key: string, agent: string, state: AlertRow['state'], groupKey: string | null): AlertRow => ({
      key, type: 'imagemanager.backup_failed', agent, folder: 'F', dedupKey: '', severity: 'critical', summary: `alert ${key}`,
      details: { key }, state, firstFiringAt: T0, resolvedAt: state === 'resolved' ? T0 + 5 : null, lastEventAt: T0 + 1,
      lastEventId: 7, eventCount: 1, groupKey, lastNotifiedAt: null, lastNotifiedState: null, lastNotifiedSeverity: null,
    });
    // Mixed case and punctuation: SQLite orders text byte-wise, a locale's collation would not.
    for (const [key, agent, state] of [['a', 'zeta', 'firing'], ['b', 'Zeta', 'firing'], ['c', '_agent', 'resolved'], ['d', 'alpha', 'firing']] as const) {
      await alerts.save(alert(key, agent, state, key === 'd' ? 'g2' : 'g1'));
    }
    await alerts.save({ ...alert('a', 'zeta', 'resolved', 'g2'), eventCount: 2, severity: 'warning', details: { again: 1 } });
    log.push(await alerts.get('a'), await alerts.get('none'), await alerts.countFiring());
    log.push(await alerts.inGroupKey('g1'), await alerts.inGroupKey('g2'), await alerts.list(), await alerts.list(2));
    await alerts.markNotified('b', T0 + 100);
    log.push(await alerts.get('b'));

    const group = (key: string, nextFlushAt: number | null): GroupRow => ({
      key, route: 'default', labels: { agent: key }, recipients: ['ops@contoso.com'], groupWaitMs: 30_000,
      groupIntervalMs: 300_000, repeatIntervalMs: 3_600_000, nextFlushAt, lastFlushAt: null, createdAt: T0,
    });
    await groups.save(group('g-b', T0 + 300));
    await groups.save(group('G-a', T0 + 100));
    await groups.save(group('g-c', T0 + 200));
    await groups.save(group('g-idle', null));
    log.push(await groups.nextFlushAt(), await groups.due(T0 + 250, 10), await groups.due(T0 + 1000, 2), await groups.due(T0, 10));
    await groups.markFlushed('G-a', T0 + 110, T0 + 400);
    await groups.setNextFlush('g-c', null);
    await groups.save({ ...group('g-b', T0 + 50), route: 'changed', recipients: ['a@contoso.com', 'b@contoso.com'] });
    log.push(await groups.due(T0 + 1000, 10), await groups.get('G-a'), await groups.get('none'), await groups.list(), await groups.nextFlushAt());
    return log;
  },

  async 'silences: activeAt bounds, remove once, list newest first'({ silences }) {
    const log: unknown[] = [];
    const silence = (id: string, startsAt: number, endsAt: number, createdAt: number) => ({
      id, matchers: { agent: 'agent-1', type: 'imagemanager.*' }, startsAt, endsAt, comment: `c ${id}`, createdBy: 'cli', createdAt,
    });
    await silences.add(silence('s1', T0, T0 + 1000, T0 - 3));
    await silences.add(silence('s2', T0 + 500, T0 + 700, T0 - 2));
    await silences.add(silence('s3', T0 - 100, T0 + 2000, T0 - 1));
    for (const at of [T0 - 1, T0, T0 + 500, T0 + 700, T0 + 1000, T0 + 2000]) log.push((await silences.activeAt(at)).map((s) => s.id));
    log.push(await silences.removeById('s3', T0 + 10), await silences.removeById('s3', T0 + 11), await silences.removeById('none', T0));
    log.push(await silences.activeAt(T0 + 600), await silences.list(), await silences.list(1), await silences.get('s3'), await silences.get('none'));
    return log;
  },

  async 'health notices and meta: record dedupe, attach, resolve, reopen; get/set'({ health, meta, outbox }) {
    const log: unknown[] = [];
    const notice = { kind: 'secret-expiring', subject: 'app', threshold: '30d', message: 'expires in 30 days' } as const;
    const other = { kind: 'secret-expiring', subject: 'other', threshold: '7d', message: 'expires in 7 days', diagnosis: { code: 'x', title: 'X' } as never } as const;
    log.push(await health.record(notice, T0), await health.record({ ...notice, message: 'expires in 29 days' }, T0 + 10), await health.record(other, T0 + 20));
    await outbox.add(notification('h1', 30, { kind: 'health' }));
    await health.attachNotification('secret-expiring', 'app', '30d', 'h1');
    log.push(await health.get('secret-expiring', 'app', '30d'), await health.listActive());
    log.push(await health.resolveOne('secret-expiring', 'app', '30d', T0 + 40), await health.resolveOne('secret-expiring', 'app', '30d', T0 + 41));
    log.push(await health.record({ ...notice, message: 'back' }, T0 + 50), await health.get('secret-expiring', 'app', '30d'));
    log.push(await health.resolveKind('secret-expiring', T0 + 60, 'other'), await health.resolveKind('secret-expiring', T0 + 61), await health.resolveKind('secret-expiring', T0 + 62));
    log.push(await health.listActive(), await health.get('secret-expiring', 'none', '1d'));
    log.push(await meta.get('daily-report'), await meta.set('daily-report', '2026-12-04'), await meta.get('daily-report'));
    await meta.set('daily-report', '2026-12-05');
    log.push(await meta.get('daily-report'));
    return log;
  },

  async 'outbox: unsent e-mail of a group and its update, links, claims without a lease, re-queue, history and retention'({ outbox }) {
    const log: unknown[] = [];
    const strip = (rows: { id: number }[]) => rows.map(({ id: _id, ...rest }) => rest);
    const content = { contentKey: 'ck1', alertReasons: { k1: 'new' } };
    await outbox.add(notification('a', 1, { groupKey: 'grp' }), [1, 2], content);
    await outbox.add(notification('b', 2, { groupKey: 'grp' }), [], { contentKey: 'ck2', alertReasons: { k2: 'new' } });
    await outbox.add(notification('c', 3, { kind: 'test' }));
    await outbox.add(notification('d', 3, { kind: 'report' }));
    log.push(await outbox.unsentAlertEmailOf('grp'), await outbox.unsentAlertEmailOf('none'));
    const update = { to: ['new@contoso.com'], subject: 'New', html: '<p>new</p>', text: 'new', importance: 'high' as const, contentKey: 'ck3', alertReasons: { k2: 'escalated' }, at: T0 + 5 };
    log.push(await outbox.updateUnsent('b', update), await outbox.get('b'));
    await outbox.linkEvents('b', [3, 4, 3]);
    log.push(await outbox.eventIds('b'), await outbox.nextQueued(), await outbox.oldestOpenCreatedAt());
    const claimed = await outbox.claimDue(T0 + 10, 2);
    log.push(claimed.map((c) => [c.notification.id, c.notification.status, c.notification.attempts, c.lease]));
    log.push(await outbox.updateUnsent('a', update), await outbox.unsentAlertEmailOf('grp'));
    // Claims without a lease count as expired at once: re-queued, their attempts interrupted.
    log.push(await outbox.requeueInterrupted(T0 + 11), await outbox.countByStatus());
    const lease: Lease = { owner: 'host-a/run-1', expiresAt: T0 + 60_000 };
    const a = await outbox.claimById('a', T0 + 20, lease);
    const c = await outbox.claimById('c', T0 + 21, { owner: 'host-b/run-1', expiresAt: T0 + 60_000 });
    log.push(a?.notification.id, c?.notification.id);
    // A new run of host-a takes back host-a's old claim, not host-b's live one.
    log.push(await outbox.requeueInterrupted(T0 + 30, { owner: 'host-a/run-2' }), await outbox.get('a'), await outbox.get('c'));
    const a2 = await outbox.claimById('a', T0 + 40, lease);
    log.push(await outbox.finishAttemptWith('a', a2!.attemptId, { result: 'retry', at: T0 + 41, nextAttemptAt: T0 + 50, error: 'busy', statusCode: 503 }));
    log.push(await outbox.finishAttemptWith('c', c!.attemptId, { result: 'sent', at: T0 + 42, messageId: 'm-c', httpRequests: 2 }));
    const a3 = await outbox.claimById('a', T0 + 50, lease);
    log.push(await outbox.finishAttemptWith('a', a3!.attemptId, { result: 'failed', at: T0 + 51, error: 'rejected', statusCode: 400, errorCode: 'ErrorInvalidRecipients' }));
    log.push(await outbox.retryCount('a'), await outbox.retryCount('c'), await outbox.lastSentNotification());
    log.push((({ id: _id, ...rest }) => rest)((await outbox.lastProblemAttempt())!));
    log.push(strip(await outbox.attempts('a')), [...(await outbox.eventIdsFor(['a', 'b', 'zz'])).entries()]);
    log.push([...(await outbox.attemptsFor(['c', 'a'])).entries()].map(([id, rows]) => [id, strip(rows)]));
    log.push(await outbox.page({ limit: 10 }), await outbox.pageSummaries({ limit: 2 }));
    log.push(await outbox.pageSummaries({ limit: 10, before: { createdAt: T0 + 3, id: 'd' } }));
    log.push(await outbox.pageSummaries({ limit: 10, status: 'queued' }), await outbox.pageSummaries({ limit: 10, kind: 'test' }));
    log.push(await outbox.sentRecipientsSince(T0), await outbox.countByStatus());
    log.push(await outbox.pruneFinished({ sentBefore: T0 + 42, failedBefore: T0 + 100 }, 10));
    log.push(await outbox.pruneFinished({ sentBefore: T0 + 100, failedBefore: T0 + 100 }, 10), await outbox.get('a'), await outbox.countByStatus());
    return log;
  },

  async 'relay: users (upsert, order, last use, removal), messages accepted together, read with and without bytes, counts, spool files'({ relay, outbox }) {
    const log: unknown[] = [];
    for (const name of ['zed', 'Zed', '_svc', 'alice']) {
      await relay.saveUser({ name, passwordHash: `hash-${name}`, allowedFrom: [`${name}@contoso.com`], allowedRecipients: [], createdAt: T0 });
    }
    await relay.saveUser({ name: 'alice', passwordHash: 'new-hash', allowedFrom: [], allowedRecipients: ['*@contoso.com'], createdAt: T0 + 9 });
    await relay.userUsed('alice', T0 + 10);
    log.push(await relay.user('alice'), await relay.user('none'), await relay.users(), await relay.removeUser('zed'), await relay.removeUser('zed'));
    const message = (id: string, at: number, raw: Buffer | null, spoolFile: string | null) => ({
      id, receivedAt: T0 + at, clientAddress: '127.0.0.1', smtpUser: raw ? 'alice' : null, envelopeFrom: 'im@contoso.com',
      recipients: ['ops@contoso.com', 'b@contoso.com'], size: 1234, headerFrom: 'ImageManager <im@contoso.com>',
      messageId: `<${id}@contoso.com>`, subject: `Relayed ${id}`, raw, spoolFile,
    });
    await Promise.all([
      relay.accept(message('r1', 1, Buffer.from('Subject: one\r\n\r\nbody\r\n'), null)),
      relay.accept(message('r2', 2, null, '/spool/r2.eml')),
      relay.accept(message('r3', 2, Buffer.from([0, 255, 10, 13]), null)),
    ]);
    log.push(await relay.get('r1'), await relay.get('r1', false), await relay.get('r3'), await relay.get('none'));
    log.push(await relay.recentMessages(10), await relay.recentMessages(1), await relay.counts(), [...(await relay.referencedSpoolFiles())]);
    const claim = await outbox.claimById('r2', T0 + 20);
    await outbox.finishAttemptWith('r2', claim!.attemptId, { result: 'sent', at: T0 + 21, messageId: 'graph-r2' });
    await relay.forgetSpoolFile('r2');
    log.push(await relay.counts(), [...(await relay.referencedSpoolFiles())], await relay.get('r2'), await outbox.get('r2'));
    return log;
  },
};

describe('the PostgreSQL repositories behave as the SQLite ones (one scenario, two backends)', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  before(() => {
    assert.ok(started.ok);
    postgres = started.postgres;
  });
  after(() => postgres?.stop());

  async function openPg(): Promise<PgStore> {
    // A locale's collation (not the test cluster's C), as a production database has: text order must still be SQLite's.
    const parsed = parseStoreUrl(await postgres.createDatabase('o365_parity', { icuLocale: 'en-US' }));
    assert.ok(parsed.ok && parsed.location.kind === 'postgres');
    return openPgStore(parsed.location, { recountEveryMs: 0 });
  }

  for (const [name, scenario] of Object.entries(scenarios)) {
    it(name, async () => {
      const sqlite = openStore(':memory:');
      const pg = await openPg();
      try {
        const expected = await scenario(sqliteBackend(sqlite));
        const actual = await scenario(pg);
        assert.deepEqual(actual, expected);
        assert.equal(pg.undeliveredEvents(), sqlite.undeliveredEvents(), 'the in-memory count of undelivered events');
      } finally {
        await pg.close();
        sqlite.close();
      }
    });
  }
});
