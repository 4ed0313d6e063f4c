import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { MINUTE, SendError, event, harness } from '../notify/helpers.js';

const DAY = 24 * 60 * MINUTE;

function counted(db: Database.Database): Record<string, number> {
  const out: Record<string, number> = { queued: 0, sending: 0, sent: 0, failed: 0, waitingSignIn: 0 };
  for (const r of db.prepare('SELECT status, count(*) AS n FROM notifications GROUP BY status').all() as { status: string; n: number }[]) {
    out[r.status === 'waiting-sign-in' ? 'waitingSignIn' : r.status] = r.n;
  }
  return out;
}

/**
 * Issue 14: store.retentionDays / failedRetentionDays. The running service deletes, once a day,
 * sent e-mails and settled events older than the retention (their attempts and event links with
 * them) and e-mails that failed for good after the longer retention; nothing still to be sent.
 */
describe('history retention (store.retentionDays)', () => {
  it('sent e-mails and their events go after 90 days, failed ones after 365, unsent ones stay', async () => {
    const h = harness({ group_wait: '0s', group_interval: '1m', repeat_interval: '30d' }, { retention: { days: 90, failedDays: 365 } });
    try {
      h.sender.behaviour = (email) => {
        const subject = String(email.subject);
        if (subject.includes('SRV-FAIL')) throw new SendError('Graph answered 400 ErrorInvalidRecipients', false);
        if (subject.includes('SRV-STUCK')) throw new SendError('Graph answered 503', true);
        return {};
      };
      const eventIds = await h.service.submit([event({ agent: 'SRV-OK1' }), event({ agent: 'SRV-OK2' }), event({ agent: 'SRV-FAIL' }), event({ agent: 'SRV-STUCK' })]);
      await h.service.tick(h.clock.advance(MINUTE));
      const first = (await h.service.deliveries({ limit: 10 })).map((d) => d.notification);
      const idOf = (agent: string) => first.find((n) => n.subject.includes(agent))!.id;
      const [ok1, ok2, failed, stuck] = ['SRV-OK1', 'SRV-OK2', 'SRV-FAIL', 'SRV-STUCK'].map(idOf) as [string, string, string, string];
      assert.deepEqual([ok1, ok2, failed, stuck].map((id) => h.store.outbox.get(id)?.status), ['sent', 'sent', 'failed', 'queued']);
      const attemptsOf = (id: string) => (h.store.db.prepare('SELECT count(*) AS n FROM delivery_attempts WHERE notification_id = ?').get(id) as { n: number }).n;
      const linksOf = (id: string) => (h.store.db.prepare('SELECT count(*) AS n FROM notification_events WHERE notification_id = ?').get(id) as { n: number }).n;
      assert.equal(attemptsOf(ok1), 1);
      assert.equal(linksOf(ok1), 1);

      await h.service.tick(h.clock.advance(89 * DAY));
      assert.equal(h.store.outbox.get(ok1)?.status, 'sent', 'nothing is deleted before 90 days');

      await h.service.tick(h.clock.advance(2 * DAY));
      assert.equal(h.store.outbox.get(ok1), undefined, 'sent e-mails older than 90 days are deleted');
      assert.equal(h.store.outbox.get(ok2), undefined);
      assert.equal(attemptsOf(ok1) + linksOf(ok1), 0, 'their attempts and event links with them');
      assert.equal(h.store.events.get(eventIds[0]!), undefined, 'and their events');
      assert.equal(h.store.outbox.get(failed)?.status, 'failed', 'the failed e-mail is kept longer');
      assert.ok(h.store.events.get(eventIds[2]!), 'with its event');
      assert.ok(['queued', 'sending'].includes(h.store.outbox.get(stuck)!.status), 'the unsent e-mail is never deleted');
      assert.ok(h.store.events.get(eventIds[3]!), 'nor its event');

      await h.service.tick(h.clock.advance(275 * DAY));
      assert.equal(h.store.outbox.get(failed), undefined, 'the failed e-mail goes after 365 days');
      assert.equal(h.store.events.get(eventIds[2]!), undefined);
      assert.ok(h.store.outbox.get(stuck), 'the unsent one is still there');
      assert.deepEqual(h.store.outbox.countByStatus(), counted(h.store.db), 'the counters followed the deletions');
    } finally {
      h.close();
    }
  });
});
