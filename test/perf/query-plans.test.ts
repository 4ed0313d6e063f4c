import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { MINUTE, SendError, event, harness } from '../notify/helpers.js';

/**
 * Issue 14: the queries on the hot paths (intake and routing, group flush, claim and finish, the
 * status, the delivery page) must stay indexed as history grows. Every statement the paths really
 * run is captured (the store's trace hook) and its EXPLAIN QUERY PLAN read: a full scan of a
 * history table, an index walked end to end without a LIMIT, or a sort of all matching rows fails.
 */
const HISTORY_TABLES = ['notifications', 'events', 'delivery_attempts', 'notification_events', 'relay_messages'];

interface PlanProblem {
  sql: string;
  detail: string;
}

function planProblems(db: Database.Database, statements: Iterable<string>): PlanProblem[] {
  const problems: PlanProblem[] = [];
  for (const sql of statements) {
    if (!/^\s*(SELECT|UPDATE|DELETE|INSERT|WITH)\b/i.test(sql)) continue;
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[];
    const limited = /\bLIMIT\b/i.test(sql);
    for (const { detail } of plan) {
      const scan = /^SCAN (\w+)(.*)$/.exec(detail);
      if (scan && HISTORY_TABLES.includes(scan[1]!)) {
        // An index walked in the query's order stops at the LIMIT; anything else reads the whole table.
        const orderedWalk = / USING (COVERING )?INDEX /.test(scan[2]!) && limited;
        if (!orderedWalk) problems.push({ sql, detail });
      }
      if (/^USE TEMP B-TREE FOR (ORDER BY|GROUP BY|DISTINCT)/.test(detail) && HISTORY_TABLES.some((t) => new RegExp(`\\bFROM ${t}\\b`).test(sql))) {
        // Sorting every matching row: only a page's own handful (an IN list) may be sorted.
        if (!/json_each/.test(sql)) problems.push({ sql, detail });
      }
    }
  }
  return problems;
}

/** Statements with their literal values replaced, so one shape is checked once. */
function shape(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'/g, "'?'").replace(/\b\d+(\.\d+)?\b/g, '0');
}

describe('query plans of the hot paths (issue 14)', () => {
  it('intake, routing, flush, claim, status and the delivery page use indexes only', async () => {
    const recorded = new Map<string, string>();
    let recording = false;
    const h = harness(
      { group_wait: '0s', group_interval: '1m', repeat_interval: '4h' },
      { storeOptions: { trace: (sql) => recording && recorded.set(shape(sql), sql) } },
    );
    try {
      // History: sent, retried, failed e-mails and a test e-mail.
      h.sender.behaviour = (email) => {
        const subject = String(email.subject);
        if (subject.includes('SRV-R')) throw new SendError('Graph answered 503', true);
        if (subject.includes('SRV-F')) throw new SendError('Graph answered 400 ErrorInvalidRecipients', false);
        return {};
      };
      for (let i = 0; i < 40; i++) await h.service.submit(event({ agent: i % 10 === 3 ? `SRV-R${i}` : i % 10 === 7 ? `SRV-F${i}` : `SRV-${i}` }));
      await h.service.tick(h.clock.advance(MINUTE));
      await h.service.tick(h.clock.advance(MINUTE));
      await h.service.sendTestEmail({ to: ['admin@contoso.com'] });
      assert.ok(h.store.outbox.countByStatus().sent > 0 && h.store.outbox.countByStatus().failed > 0, 'history has sent and failed e-mails');

      recording = true;
      await h.service.submit([event({ agent: 'NEW-1' }), event({ agent: 'NEW-2', status: 'resolved' }), event({ type: 'imagemanager.daily_report' })]);
      await h.service.tick(h.clock.advance(MINUTE));
      await h.service.tick(h.clock.advance(5 * MINUTE));
      await h.service.status();
      await h.service.metricsText();
      const page = await h.service.deliveries({ limit: 25 });
      const last = page[page.length - 1]!.notification;
      await h.service.deliveries({ limit: 25, before: { createdAt: last.createdAt, id: last.id } });
      await h.service.deliveries({ limit: 25, status: 'sent' });
      await h.service.deliveries({ limit: 25, status: 'failed', before: { createdAt: last.createdAt, id: last.id } });
      await h.service.deliveries({ kind: 'test', limit: 1 });
      await h.service.deliveries({ limit: 5, includeBodies: true });
      // The daily recipient budget's start (service start, issue 13.7): the last 24 hours' sent e-mails.
      assert.ok(h.store.outbox.sentRecipientsSince(h.clock.now - 24 * 60 * MINUTE).length > 0, 'sent e-mails in the last 24 hours');
      // The retention's deletions, a year on.
      await h.service.tick(h.clock.advance(400 * 24 * 60 * MINUTE));
      recording = false;

      const statements = [...recorded.values()];
      if (process.env.PRINT_PLANS) {
        for (const sql of statements) console.log(sql.slice(0, 200), (h.store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail));
      }
      assert.ok(statements.some((s) => /INDEXED BY notifications_claim/.test(s)), 'the claim query ran');
      assert.ok(statements.some((s) => /FROM delivery_attempts INDEXED BY delivery_attempts_problems/.test(s)), 'the last-problem query ran');
      assert.ok(statements.some((s) => /^DELETE FROM notifications WHERE id IN/.test(s)), 'the retention ran');
      assert.ok(statements.some((s) => /json_array_length\(recipients\)/.test(s)), 'the recipient budget query ran');
      assert.deepEqual(planProblems(h.store.db, statements), []);
    } finally {
      h.close();
    }
  });

  it('the check itself catches a scan and a sort of the whole history', () => {
    const h = harness({});
    try {
      const problems = planProblems(h.store.db, [
        "SELECT * FROM delivery_attempts WHERE result IN ('retry', 'failed') ORDER BY started_at DESC LIMIT 1",
        "SELECT * FROM notifications WHERE status = 'sent' ORDER BY sent_at DESC LIMIT 1",
        'SELECT status, count(*) FROM notifications GROUP BY status',
      ]);
      assert.equal(new Set(problems.map((p) => p.sql)).size, 3, JSON.stringify(problems));
    } finally {
      h.close();
    }
  });

  it('a page of deliveries costs three queries whatever its length (no query per e-mail)', async () => {
    let selects = 0;
    let counting = false;
    const h = harness({ group_wait: '0s' }, { storeOptions: { trace: (sql) => counting && /^\s*SELECT/i.test(sql) && selects++ } });
    try {
      for (let i = 0; i < 30; i++) await h.service.submit(event({ agent: `SRV-${i}` }));
      await h.service.tick(h.clock.advance(MINUTE));
      await h.service.tick(h.clock.advance(MINUTE));
      counting = true;
      const page = await h.service.deliveries({ limit: 30 });
      counting = false;
      assert.equal(page.length, 30);
      assert.ok(page.every((d) => d.attempts.length === 1 && d.eventIds.length === 1), 'each e-mail with its attempt and event');
      assert.ok(page.every((d) => d.notification.html === undefined), 'no bodies unless asked for');
      assert.equal(selects, 3);
    } finally {
      h.close();
    }
  });
});
