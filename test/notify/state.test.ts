import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { NotificationService } from '../../src/notify/service.js';
import { openStore, sqliteNotifyStore } from '../../src/store/index.js';
import { FakeSender, HOUR, MINUTE, SECOND, event, harness, rulesFrom } from './helpers.js';

describe('alert state: notify on change, not per occurrence', () => {
  it('firing -> one e-mail; repeats -> none until repeat_interval; then a reminder; resolved -> one e-mail', async () => {
    const h = harness();
    try {
      const t0 = h.clock.now;
      const [first] = await h.service.submit(event());
      assert.equal((await h.service.tick(t0)).deliveries.length, 0, 'group_wait holds the first e-mail');
      h.clock.now = t0 + 10 * SECOND;
      const [second] = await h.service.submit(event({ summary: 'still failing' }));
      const r1 = await h.service.tick(t0 + 30 * SECOND);
      assert.equal(r1.deliveries.length, 1);
      assert.equal(h.sender.sent.length, 1);
      const mail = h.sender.sent[0]!;
      assert.equal(mail.subject, '[CRITICAL] Verification failed for D:\\Backups\\SRV-FS01 on SRV-FS01');
      assert.deepEqual(mail.to, ['admin@contoso.com']);
      assert.equal(mail.headers['x-o365-notify-id'], r1.deliveries[0]!.id);
      assert.deepEqual((await h.service.deliveries())[0]!.eventIds, [first, second], 'the e-mail carries the events that made the news');
      assert.equal(h.store.events.get(first!)!.outcome, 'notified');

      // The same failure, reported again and again: no e-mail.
      for (const minutes of [1, 6, 30, 120, 239]) {
        h.clock.now = t0 + minutes * MINUTE;
        const [id] = await h.service.submit(event({ summary: `repeat ${minutes}` }));
        await h.service.tick(h.clock.now);
        assert.equal(h.store.events.get(id!)!.outcome, 'unchanged');
      }
      assert.equal(h.sender.sent.length, 1, 'no e-mail per occurrence');
      assert.equal(h.store.undeliveredEvents(), 0);

      // Still broken after repeat_interval (4h): one reminder.
      await h.service.tick(t0 + 30 * SECOND + 4 * HOUR - SECOND);
      assert.equal(h.sender.sent.length, 1);
      await h.service.tick(t0 + 30 * SECOND + 4 * HOUR);
      assert.equal(h.sender.sent.length, 2);
      assert.match(h.sender.sent[1]!.subject, /^\[Reminder CRITICAL\] Verification failed/);
      assert.match(h.sender.sent[1]!.text, /Still failing/);
      await h.service.tick(t0 + 4 * HOUR + 20 * MINUTE);
      assert.equal(h.sender.sent.length, 2);

      // Recovery: one e-mail; further "resolved" reports: none.
      h.clock.now = t0 + 5 * HOUR;
      await h.service.submit(event({ status: 'resolved', summary: 'Verification succeeded' }));
      await h.service.tick(h.clock.now);
      assert.equal(h.sender.sent.length, 3);
      assert.equal(h.sender.sent[2]!.subject, '[RESOLVED] Verification is passing again for D:\\Backups\\SRV-FS01 on SRV-FS01');
      assert.equal(h.sender.sent[2]!.importance, 'normal');
      h.clock.now = t0 + 6 * HOUR;
      await h.service.submit(event({ status: 'resolved', summary: 'Verification succeeded' }));
      await h.service.tick(t0 + 12 * HOUR);
      assert.equal(h.sender.sent.length, 3);
      // No reminders for a resolved alert.
      await h.service.tick(t0 + 48 * HOUR);
      assert.equal(h.sender.sent.length, 3);
      assert.equal(h.store.queueDepth().undeliveredEvents, 0);
    } finally {
      h.close();
    }
  });

  it('fired and resolved within group_wait: nothing to say, no e-mail', async () => {
    const h = harness();
    try {
      const [a] = await h.service.submit(event());
      h.clock.advance(5 * SECOND);
      const [b] = await h.service.submit(event({ status: 'resolved' }));
      await h.service.tick(h.clock.now + MINUTE);
      assert.equal(h.sender.sent.length, 0);
      assert.equal(h.store.events.get(a!)!.outcome, 'superseded');
      assert.equal(h.store.events.get(b!)!.outcome, 'unchanged', 'after it, there is nothing to tell');
      assert.equal(h.store.undeliveredEvents(), 0);
    } finally {
      h.close();
    }
  });

  it('a rise in severity is news; a fall is not', async () => {
    const h = harness();
    try {
      await h.service.submit(event({ type: 'imagemanager.disk_usage_over_threshold', severity: 'warning', summary: '91% full' }));
      await h.service.tick(h.clock.advance(30 * SECOND));
      assert.equal(h.sender.sent.length, 1);
      assert.match(h.sender.sent[0]!.subject, /^\[WARNING\]/);
      await h.service.submit(event({ type: 'imagemanager.disk_usage_over_threshold', severity: 'critical', summary: '99% full' }));
      await h.service.tick(h.clock.advance(10 * MINUTE));
      assert.equal(h.sender.sent.length, 2);
      assert.match(h.sender.sent[1]!.subject, /^\[CRITICAL\] Disk usage over threshold/);
      assert.match(h.sender.sent[1]!.html, /Escalated/);
      await h.service.submit(event({ type: 'imagemanager.disk_usage_over_threshold', severity: 'warning', summary: '95% full' }));
      await h.service.tick(h.clock.advance(10 * MINUTE));
      assert.equal(h.sender.sent.length, 2);
    } finally {
      h.close();
    }
  });

  it('an old event arriving after a newer one does not flip the state back', async () => {
    const h = harness();
    try {
      const t = h.clock.now;
      await h.service.submit(event({ occurredAt: new Date(t - MINUTE).toISOString() }));
      await h.service.tick(h.clock.advance(30 * SECOND));
      await h.service.submit(event({ status: 'resolved', occurredAt: new Date(t).toISOString() }));
      await h.service.tick(h.clock.advance(10 * MINUTE));
      assert.equal(h.sender.sent.length, 2);
      const [late] = await h.service.submit(event({ occurredAt: new Date(t - 30 * SECOND).toISOString() }));
      await h.service.tick(h.clock.advance(10 * MINUTE));
      assert.equal(h.sender.sent.length, 2, 'a retried old firing event is not a new failure');
      assert.equal(h.store.events.get(late!)!.outcome, 'unchanged');
    } finally {
      h.close();
    }
  });

  it('alerts are told apart by type, agent, folder and dedupKey', async () => {
    const h = harness({ group_by: ['agent', 'folder'] });
    try {
      await h.service.submit([event(), event({ folder: 'E:\\Other' }), event({ dedupKey: 'image-7' }), event({ type: 'imagemanager.retention_failed' })]);
      await h.service.tick(h.clock.advance(30 * SECOND));
      assert.equal(h.sender.sent.length, 2, 'two folders -> two groups');
      const dFolder = h.sender.sent.find((m) => m.subject.includes('3 failing'))!;
      assert.ok(dFolder, h.sender.sent.map((m) => m.subject).join(' | '));
      assert.equal(h.store.alerts.list().length, 4);
    } finally {
      h.close();
    }
  });

  it('disabled types and severities below the minimum send nothing; recoveries still do', async () => {
    const h = harness({ events: { 'imagemanager.inactive_folder': false, 'custom.*': { min_severity: 'critical' } } });
    try {
      const [disabled] = await h.service.submit(event({ type: 'imagemanager.inactive_folder' }));
      const [low] = await h.service.submit(event({ type: 'custom.sync', severity: 'warning' }));
      await h.service.submit(event({ type: 'custom.sync', severity: 'critical', agent: 'B' }));
      await h.service.tick(h.clock.advance(MINUTE));
      assert.equal(h.store.events.get(disabled!)!.outcome, 'disabled');
      assert.equal(h.store.events.get(low!)!.outcome, 'below-severity');
      assert.equal(h.sender.sent.length, 1);
      assert.match(h.sender.sent[0]!.subject, /^\[CRITICAL\] Sync for .* on B$/);
      await h.service.submit(event({ type: 'custom.sync', status: 'resolved', severity: 'info', agent: 'B' }));
      await h.service.tick(h.clock.advance(10 * MINUTE));
      assert.equal(h.sender.sent.length, 2);
      assert.match(h.sender.sent[1]!.subject, /^\[RESOLVED\]/);
    } finally {
      h.close();
    }
  });

  it('silences hold alerts back until they end or are removed; a silenced recovery before the end sends nothing', async () => {
    const h = harness();
    try {
      const silence = await h.service.addSilence({ matchers: { agent: 'srv-fs*' }, endsAt: h.clock.now + HOUR, comment: 'maintenance' });
      await h.service.submit([event(), event({ agent: 'SRV-SQL02', folder: 'E:\\' })]);
      await h.service.tick(h.clock.advance(MINUTE));
      assert.equal(h.sender.sent.length, 1, 'only the unsilenced agent');
      assert.match(h.sender.sent[0]!.subject, /SRV-SQL02/);
      const silenced = h.store.events.receivedBetween(0, Infinity, 10).find((e) => e.agent === 'SRV-FS01')!;
      assert.equal(silenced.outcome, 'silenced');
      assert.equal(h.store.undeliveredEvents(), 0);

      await h.service.removeSilence(silence.id);
      await h.service.tick(h.clock.advance(MINUTE));
      assert.equal(h.sender.sent.length, 2, 'removed silence: the held-back failure goes out');
      assert.match(h.sender.sent[1]!.subject, /SRV-FS01/);

      // A silence that runs out by itself.
      await h.service.addSilence({ matchers: { type: 'imagemanager.hsr_failed' }, endsAt: h.clock.now + 30 * MINUTE });
      await h.service.submit(event({ type: 'imagemanager.hsr_failed', agent: 'SRV-HV01', folder: '' }));
      await h.service.tick(h.clock.advance(MINUTE));
      assert.equal(h.sender.sent.length, 2);
      await h.service.tick(h.clock.advance(29 * MINUTE + 1));
      assert.equal(h.sender.sent.length, 3);
      assert.match(h.sender.sent[2]!.subject, /HeadStart Restore failed on SRV-HV01/);

      await assert.rejects(() => h.service.addSilence({ matchers: {}, endsAt: h.clock.now + HOUR }), /at least one/);
      await assert.rejects(() => h.service.addSilence({ matchers: { host: 'x' } as never, endsAt: h.clock.now + HOUR }), /not a silence matcher/);
      await assert.rejects(() => h.service.addSilence({ matchers: { agent: 'x' }, endsAt: h.clock.now - 1 }), /future/);
    } finally {
      h.close();
    }
  });

  it('keeps group timers and alert state across a restart', async () => {
    const h = harness();
    try {
      await h.service.submit(event());
      await h.service.tick(h.clock.advance(10 * SECOND));
      assert.equal(h.sender.sent.length, 0);
      h.store.close();

      const store = openStore(path.join(h.dir, 'store.db'));
      const sender = new FakeSender();
      const service = new NotificationService({ store: sqliteNotifyStore(store), channel: sender, rules: rulesFrom({ daily_report: false }), clock: h.clock.read });
      await service.tick(h.clock.advance(10 * SECOND));
      assert.equal(sender.sent.length, 0, 'group_wait still running: not sent early');
      await service.tick(h.clock.advance(10 * SECOND));
      assert.equal(sender.sent.length, 1, 'and not lost');
      await service.submit(event());
      await service.tick(h.clock.advance(HOUR));
      assert.equal(sender.sent.length, 1, 'the restarted service knows it already told');
      store.close();
    } finally {
      h.close();
    }
  });
});
