import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate, openStore, type NewNotification, type Store } from '../../src/store/index.js';
import { tempDir } from './helpers.js';

function mail(id: string, createdAt: number, kind: NewNotification['kind'] = 'alert'): NewNotification {
  return { id, kind, groupKey: 'g', to: ['a@contoso.com'], cc: [], bcc: [], subject: `s ${id}`, html: '<p>x</p>', text: 'x', importance: 'normal', createdAt };
}

/** What the counters must equal: a count over the table. */
function counted(store: Store): Record<string, number> {
  const out: Record<string, number> = { queued: 0, sending: 0, sent: 0, failed: 0, waitingSignIn: 0 };
  for (const r of store.db.prepare('SELECT status, count(*) AS n FROM notifications GROUP BY status').all() as { status: string; n: number }[]) {
    out[r.status === 'waiting-sign-in' ? 'waitingSignIn' : r.status] = r.n;
  }
  return out;
}

describe('store: e-mail counts kept on write, last sent and last problem by index (issue 14)', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => (tmp = tempDir()));
  after(() => tmp.cleanup());

  it('a store from schema 3 gets its counts seeded by the upgrade', () => {
    const file = path.join(tmp.dir, 'v3.db');
    const db = new Database(file);
    migrate(db, file, MIGRATIONS.filter((m) => m.version <= 3));
    const insert = db.prepare(
      "INSERT INTO notifications (id, kind, group_key, recipients, subject, html, text, status, created_at, updated_at) VALUES (?, 'alert', 'g', '[]', 's', '', '', ?, 1, 1)",
    );
    for (const [i, status] of ['queued', 'queued', 'sent', 'failed', 'waiting-sign-in'].entries()) insert.run(`n${i}`, status);
    db.close();
    const store = openStore(file);
    try {
      assert.deepEqual(store.outbox.countByStatus(), { queued: 2, sending: 0, sent: 1, failed: 1, waitingSignIn: 1 });
    } finally {
      store.close();
    }
  });

  it('counts follow every insert, status change and delete', () => {
    const store = openStore(path.join(tmp.dir, 'counts.db'));
    try {
      for (let i = 0; i < 6; i++) store.outbox.add(mail(`m${i}`, 1000 + i));
      const [a, b, c] = store.outbox.claimDue(2000, 3);
      store.outbox.finishAttemptWith(a!.notification.id, a!.attemptId, { result: 'sent', at: 2001 });
      store.outbox.finishAttemptWith(b!.notification.id, b!.attemptId, { result: 'failed', at: 2002, error: 'no' });
      store.outbox.finishAttemptWith(c!.notification.id, c!.attemptId, { result: 'retry', at: 2003, nextAttemptAt: 9000 });
      store.outbox.parkQueued(2004);
      assert.ok(store.outbox.withdraw('m5'));
      assert.deepEqual(store.outbox.countByStatus(), counted(store));
      assert.deepEqual(store.outbox.countByStatus(), { queued: 0, sending: 0, sent: 1, failed: 1, waitingSignIn: 3 });
      store.outbox.resumeWaiting(3000);
      assert.deepEqual(store.outbox.countByStatus(), counted(store));
    } finally {
      store.close();
    }
  });

  it('the claim takes the earliest due rows in order, the last sent e-mail is the latest sent_at, the last problem the latest failed attempt', () => {
    const store = openStore(path.join(tmp.dir, 'order.db'));
    try {
      for (let i = 0; i < 5; i++) store.outbox.add(mail(`o${i}`, 5000 - i));
      const first = store.outbox.claimDue(10_000, 2).map((c) => c.notification);
      assert.deepEqual(first.map((n) => n.id), ['o4', 'o3'], 'oldest created first when due at the same time');
      assert.equal(first[0]!.html, '<p>x</p>', 'the claimed row comes with its body');
      assert.equal(first[0]!.attempts, 1);
      const [x, y] = store.outbox.claimDue(10_000, 2);
      store.outbox.finishAttemptWith(x!.notification.id, x!.attemptId, { result: 'sent', at: 20_000 });
      store.outbox.finishAttemptWith(y!.notification.id, y!.attemptId, { result: 'sent', at: 15_000 });
      assert.equal(store.outbox.lastSentNotification()?.id, x!.notification.id);
      assert.deepEqual(store.outbox.lastSentNotification()?.to, ['a@contoso.com']);
      store.outbox.finishAttemptWith('o4', 1, { result: 'failed', at: 21_000, error: 'first problem' });
      store.outbox.finishAttemptWith('o3', 2, { result: 'sent', at: 22_000 });
      assert.equal(store.outbox.lastProblemAttempt()?.error, 'first problem');
    } finally {
      store.close();
    }
  });
});
