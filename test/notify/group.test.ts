import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupKeyFor, scheduleAfterChange } from '../../src/notify/group.js';
import { defaultNotificationRules } from '../../src/notify/rules.js';
import type { GroupRow } from '../../src/store/rows.js';
import { HOUR, MINUTE, SECOND, event, harness } from './helpers.js';

const TYPES = [
  'imagemanager.verification_failed',
  'imagemanager.consolidation_failed',
  'imagemanager.replication_failed',
  'imagemanager.disk_usage_over_threshold',
];

describe('grouping', () => {
  it('a burst of 10,000 events from 50 agents: at most one e-mail per agent per group interval, nothing lost', async () => {
    const h = harness({}, { maxAlertsPerEmail: 500 });
    try {
      const t0 = h.clock.now;
      let seed = 7;
      const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const total = 10_000;
      const batch = 500;
      // The burst arrives over 10 minutes (two group intervals); the service ticks every 10 seconds.
      for (let sent = 0; sent < total; sent += batch) {
        const events = Array.from({ length: batch }, (_, j) => {
          const i = sent + j;
          return event({
            agent: `AGENT-${String(i % 50).padStart(2, '0')}`,
            folder: `D:\\Backups\\F${Math.floor(i / 50) % 10}`,
            type: TYPES[Math.floor(rand() * TYPES.length)],
            status: rand() < 0.2 ? 'resolved' : 'firing',
            summary: `event ${i}`,
          });
        });
        const ids = await h.service.submit(events);
        assert.equal(ids.length, batch);
        await h.service.tick(h.clock.advance(30 * SECOND));
      }
      // Let every group finish: intervals and the last flushes.
      for (let i = 0; i < 60; i++) await h.service.tick(h.clock.advance(10 * SECOND));

      const deliveries = (await h.service.deliveries({ limit: 500 })).filter((d) => d.notification.kind === 'alert');
      const byGroup = new Map<string, number[]>();
      for (const d of deliveries) {
        assert.equal(d.notification.status, 'sent');
        const times = byGroup.get(d.notification.groupKey) ?? [];
        times.push(d.notification.createdAt);
        byGroup.set(d.notification.groupKey, times);
      }
      assert.equal(byGroup.size, 50, 'one group per agent');
      for (const [group, times] of byGroup) {
        times.sort((a, b) => a - b);
        for (let i = 1; i < times.length; i++) {
          assert.ok(times[i]! - times[i - 1]! >= 5 * MINUTE, `${group}: e-mails ${times[i - 1]} and ${times[i]} closer than group_interval`);
        }
      }
      // Per 5-minute window, at most one e-mail per group: at most 50.
      const windows = new Map<number, number>();
      for (const d of deliveries) {
        const w = Math.floor((d.notification.createdAt - t0) / (5 * MINUTE));
        windows.set(w, (windows.get(w) ?? 0) + 1);
      }
      for (const [w, n] of windows) assert.ok(n <= 50, `window ${w}: ${n} e-mails`);
      assert.ok(deliveries.length <= 50 * 4, `${deliveries.length} e-mails for 10,000 events`);
      assert.equal(h.sender.sent.length, deliveries.length);

      // Nothing lost: every event settled, every alert's final state told.
      assert.equal(h.store.undeliveredEvents(), 0);
      assert.equal(h.store.events.countUndelivered(), 0);
      for (const alert of h.store.alerts.list()) {
        if (alert.state === 'firing') assert.equal(alert.lastNotifiedState, 'firing', `${alert.key} firing but never told`);
        else assert.notEqual(alert.lastNotifiedState, 'firing', `${alert.key} resolved but the recovery was not told`);
      }
      const counts = h.store.db.prepare('SELECT outcome, count(*) AS n FROM events GROUP BY outcome').all() as { outcome: string; n: number }[];
      assert.equal(counts.reduce((n, c) => n + c.n, 0), total);
      assert.ok(counts.some((c) => c.outcome === 'notified'));
      assert.ok(counts.every((c) => ['notified', 'unchanged', 'superseded'].includes(c.outcome)), JSON.stringify(counts));
    } finally {
      h.close();
    }
  });

  it('a new group waits group_wait; an active one sends at its next group_interval; idle ones never sooner than group_interval', () => {
    const base: GroupRow = {
      key: 'g', route: 'default', labels: {}, recipients: ['a@b.cd'], groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 4 * HOUR,
      nextFlushAt: null, lastFlushAt: null, createdAt: 0,
    };
    assert.equal(scheduleAfterChange(base, 1000), 31_000);
    assert.equal(scheduleAfterChange({ ...base, nextFlushAt: 31_000 }, 20_000), 31_000, 'later changes join the first e-mail');
    assert.equal(scheduleAfterChange({ ...base, lastFlushAt: 100_000, nextFlushAt: 100_000 + 4 * HOUR }, 150_000), 400_000);
    assert.equal(scheduleAfterChange({ ...base, lastFlushAt: 100_000, nextFlushAt: 100_000 + 4 * HOUR }, 900_000), 900_000);
    assert.equal(scheduleAfterChange({ ...base, lastFlushAt: 100_000 }, 120_000), 400_000, 'idle, recently sent');
    assert.equal(scheduleAfterChange({ ...base, lastFlushAt: 100_000 }, 1_000_000), 1_030_000, 'idle for long: group_wait');
  });

  it('group keys follow group_by and keep odd values apart', () => {
    const rules = defaultNotificationRules(['a@b.cd']);
    const labels = { type: 't', agent: 'A|B', folder: 'x', severity: 'info' as const };
    assert.equal(groupKeyFor(rules.defaultRoute, labels), 'default|{"agent":"A|B"}');
    const byFolder = { ...rules.defaultRoute, groupBy: ['agent' as const, 'folder' as const] };
    assert.notEqual(groupKeyFor(byFolder, { ...labels, agent: 'A', folder: 'B|x' }), groupKeyFor(byFolder, { ...labels, agent: 'A|B', folder: 'x' }));
  });

  it('sends to the recipients of the matching rule, grouped by that rule', async () => {
    const h = harness({ rules: [{ name: 'sql', match: { folder: '*SQL*' }, recipients: ['dba@contoso.com'], group_by: ['folder'] }] });
    try {
      await h.service.submit([event({ folder: 'E:\\SQL01' }), event({ agent: 'OTHER', folder: 'E:\\SQL01' }), event()]);
      await h.service.tick(h.clock.advance(MINUTE));
      const sent = h.sender.sent.map((m) => ({ to: m.to.join(','), subject: m.subject })).sort((a, b) => a.to.localeCompare(b.to));
      assert.equal(sent.length, 2);
      assert.equal(sent[0]!.to, 'admin@contoso.com');
      assert.equal(sent[1]!.to, 'dba@contoso.com');
      assert.match(sent[1]!.subject, /ImageManager on E:\\SQL01: 2 failing/);
    } finally {
      h.close();
    }
  });

  it('with no recipients, events are recorded and settled, and go out once recipients are set', async () => {
    const h = harness({}, { rules: defaultNotificationRules([]) });
    try {
      const [id] = await h.service.submit(event());
      await h.service.tick(h.clock.advance(MINUTE));
      assert.equal(h.sender.sent.length, 0);
      assert.equal(h.store.events.get(id!)!.outcome, 'no-recipients');
      assert.equal(h.store.undeliveredEvents(), 0);
      const rules = defaultNotificationRules(['late@contoso.com']);
      rules.dailyReport.enabled = false;
      await h.service.setRules(rules);
      await h.service.tick(h.clock.advance(SECOND));
      assert.equal(h.sender.sent.length, 1);
      assert.deepEqual(h.sender.sent[0]!.to, ['late@contoso.com']);
    } finally {
      h.close();
    }
  });
});
