import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { dueReportDate } from '../../src/notify/report.js';
import { NotificationService } from '../../src/notify/service.js';
import { parseNotificationRules } from '../../src/notify/rules.js';
import { openStore, sqliteNotifyStore } from '../../src/store/index.js';
import { FakeClock, FakeSender, HOUR, MINUTE, event, harness, rulesFrom } from './helpers.js';

const REPORT = { daily_report: { enabled: true, time: '07:00', timezone: 'UTC', recipients: ['reports@contoso.com'] } };

describe('daily status report', () => {
  it('is due once a day after its local time; the first start after that time only records the day', () => {
    const { rules } = parseNotificationRules({ daily_report: { time: '07:00', timezone: 'Europe/Berlin' } });
    const at = (iso: string) => Date.parse(iso);
    // 07:00 in Berlin (summer) is 05:00 UTC.
    assert.deepEqual(dueReportDate(rules.dailyReport, at('2025-06-02T04:59:00Z'), undefined), { date: '', send: false });
    assert.equal(dueReportDate(rules.dailyReport, at('2025-06-02T04:59:00Z'), ''), null);
    assert.deepEqual(dueReportDate(rules.dailyReport, at('2025-06-02T05:00:00Z'), ''), { date: '2025-06-02', send: true });
    assert.equal(dueReportDate(rules.dailyReport, at('2025-06-02T18:00:00Z'), '2025-06-02'), null);
    assert.deepEqual(dueReportDate(rules.dailyReport, at('2025-06-03T05:01:00Z'), '2025-06-02'), { date: '2025-06-03', send: true });
    assert.deepEqual(dueReportDate(rules.dailyReport, at('2025-06-02T15:00:00Z'), undefined), { date: '2025-06-02', send: false });
    assert.equal(dueReportDate({ ...rules.dailyReport, enabled: false }, at('2025-06-02T15:00:00Z'), ''), null);
  });

  it('lists every agent and folder with its current state, and the day\'s events', async () => {
    const h = harness(REPORT, { clock: new FakeClock(Date.UTC(2025, 5, 2, 6, 0)) });
    try {
      await h.service.tick(h.clock.now); // records the day marker before 07:00
      await h.service.submit([
        event({ agent: 'SRV-A', folder: 'D:\\F1', summary: 'Image 12 unreadable' }),
        event({ agent: 'SRV-A', folder: 'D:\\F2', type: 'imagemanager.replication_failed', summary: 'target offline' }),
        event({ agent: 'SRV-B', folder: 'E:\\F3', type: 'imagemanager.consolidation_failed', severity: 'warning', summary: 'low space <b>' }),
        { type: 'imagemanager.daily_report', agent: 'SRV-C', summary: 'Daily summary: 14 folders OK' },
      ]);
      await h.service.tick(h.clock.advance(10 * MINUTE));
      h.clock.advance(5 * MINUTE);
      await h.service.submit(event({ agent: 'SRV-A', folder: 'D:\\F2', type: 'imagemanager.replication_failed', status: 'resolved', summary: 'caught up' }));
      await h.service.tick(h.clock.advance(10 * MINUTE));
      const alertsBefore = h.sender.sent.length;
      await h.service.tick(Date.UTC(2025, 5, 2, 6, 59));
      assert.equal(h.sender.sent.filter((m) => m.headers['x-o365-notify-kind'] === 'report').length, 0);

      h.clock.now = Date.UTC(2025, 5, 2, 7, 0);
      await h.service.tick(h.clock.now);
      const reports = h.sender.sent.filter((m) => m.headers['x-o365-notify-kind'] === 'report');
      assert.equal(reports.length, 1);
      const report = reports[0]!;
      assert.equal(h.sender.sent.length, alertsBefore + 1);
      assert.deepEqual(report.to, ['reports@contoso.com']);
      assert.equal(report.subject, '[2 failing] ImageManager status for 2025-06-02');
      assert.match(report.text, /2 agents, 3 folders: 2 with problems, 1 OK\./);
      // Worst first: the critical folder, then the warning, then the OK one.
      const rows = ['D:\\F1', 'E:\\F3', 'D:\\F2'].map((f) => report.text.indexOf(f));
      assert.ok(rows.every((i) => i >= 0) && rows[0]! < rows[1]! && rows[1]! < rows[2]!, report.text);
      assert.match(report.text, /Critical {2}SRV-A \/ D:\\F1\n {4}- Verification failed since 2025-06-02 06:00 UTC: Image 12 unreadable/);
      assert.match(report.text, /OK {2}SRV-A \/ D:\\F2/);
      assert.match(report.text, /Replication failed \(Critical\): 1 failing, 1 resolved/);
      assert.match(report.text, /SRV-C .*Daily summary: 14 folders OK/);
      assert.match(report.html, /low space &lt;b&gt;/);
      assert.ok(!report.html.includes('low space <b>'));

      // Once a day, also across a restart.
      await h.service.tick(h.clock.advance(3 * HOUR));
      h.store.close();
      const store = openStore(path.join(h.dir, 'store.db'));
      const sender = new FakeSender();
      const service = new NotificationService({ store: sqliteNotifyStore(store), channel: sender, rules: rulesFrom(REPORT), clock: h.clock.read });
      await service.tick(h.clock.advance(HOUR));
      assert.equal(sender.sent.filter((m) => m.headers['x-o365-notify-kind'] === 'report').length, 0);
      await service.tick(Date.UTC(2025, 5, 3, 7, 0));
      const next = sender.sent.filter((m) => m.headers['x-o365-notify-kind'] === 'report');
      assert.equal(next.length, 1);
      assert.match(next[0]!.subject, /2025-06-03/);
      store.close();
    } finally {
      h.close();
    }
  });

  it('says so when no agent has reported yet', async () => {
    const h = harness(REPORT, { clock: new FakeClock(Date.UTC(2025, 5, 2, 6, 0)) });
    try {
      await h.service.tick(h.clock.now);
      await h.service.tick(Date.UTC(2025, 5, 2, 7, 5));
      assert.equal(h.sender.sent.length, 1);
      assert.equal(h.sender.sent[0]!.subject, '[All OK] ImageManager status for 2025-06-02');
      assert.match(h.sender.sent[0]!.text, /No agent has reported to o365-notify yet/);
    } finally {
      h.close();
    }
  });
});
