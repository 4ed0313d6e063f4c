import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { NotificationService } from '../../src/notify/service.js';
import { openStore, sqliteNotifyStore } from '../../src/store/index.js';
import { FakeSender, MINUTE, SECOND, SendError, event, harness, rulesFrom, type Harness } from '../notify/helpers.js';

async function fireOne(h: Harness, overrides: Record<string, unknown> = {}) {
  await h.service.submit(event(overrides));
  return h.service.tick(h.clock.advance(30 * SECOND));
}

const signInDiagnosis = {
  code: 'AADSTS700082',
  title: 'The refresh token has expired due to inactivity',
  cause: 'Nothing was sent for 90 days.',
  fix: 'Run `o365-notify login`.',
  guideStep: 'sign-in-again',
};

describe('delivery worker', () => {
  it('retries retryable errors with backoff (honouring Retry-After) and records every attempt', async () => {
    const h = harness();
    try {
      h.sender.behaviour = (_email, attempt) => {
        if (attempt === 1) throw new SendError('Service unavailable', true, { status: 503, code: 'HTTP503' });
        if (attempt === 2) throw new SendError('Too many requests', true, { statusCode: 429, retryAfterMs: 20_000 });
        return { messageId: 'ok' };
      };
      const first = await fireOne(h);
      assert.equal(first.deliveries[0]!.status, 'queued');
      const id = first.deliveries[0]!.id;
      const row = h.store.outbox.get(id)!;
      assert.ok(row.nextAttemptAt! - h.clock.now >= 800 && row.nextAttemptAt! - h.clock.now <= 1200, 'first retry after ~1 s (base)');
      await h.service.tick(h.clock.advance(500));
      assert.equal(h.sender.calls.length, 1, 'not before the backoff');
      await h.service.tick(h.clock.advance(1000));
      assert.equal(h.sender.calls.length, 2);
      assert.ok(h.store.outbox.get(id)!.nextAttemptAt! - h.clock.now >= 20_000, 'Retry-After wins over a shorter backoff');
      await h.service.tick(h.clock.advance(19_000));
      assert.equal(h.sender.calls.length, 2);
      await h.service.tick(h.clock.advance(2_000));
      assert.equal(h.store.outbox.get(id)!.status, 'sent');
      assert.equal(h.store.outbox.get(id)!.messageId, 'ok');
      assert.deepEqual(h.store.outbox.attempts(id).map((a) => [a.result, a.statusCode]), [['retry', 503], ['retry', 429], ['sent', null]]);
      assert.equal((await h.service.status()).lastError!.error, 'Too many requests');
      assert.equal(h.service.metrics().emailRetries, 2);
    } finally {
      h.close();
    }
  });

  it('gives up after maxAttempts retryable failures and keeps the e-mail visible as failed', async () => {
    const h = harness({}, { delivery: { maxAttempts: 3, retryBaseMs: 1000 } });
    try {
      h.sender.behaviour = () => {
        throw new Error('socket hang up');
      };
      const r = await fireOne(h);
      const id = r.deliveries[0]!.id;
      for (let i = 0; i < 10; i++) await h.service.tick(h.clock.advance(MINUTE));
      assert.equal(h.sender.calls.length, 3, 'bounded');
      const row = h.store.outbox.get(id)!;
      assert.equal(row.status, 'failed');
      assert.match(row.lastError!, /socket hang up \(gave up after 3 attempts\)/);
      const [event1] = (await h.service.deliveries())[0]!.eventIds;
      assert.equal(h.store.events.get(event1!)!.outcome, 'failed');
      assert.equal(h.store.undeliveredEvents(), 0);
    } finally {
      h.close();
    }
  });

  it('marks a permanent failure failed at once, with its diagnosis shown in status and deliveries', async () => {
    const h = harness();
    try {
      h.sender.behaviour = () => {
        throw new SendError('Invalid recipient', false, {
          status: 400,
          code: 'ErrorInvalidRecipients',
          diagnosis: { code: 'ErrorInvalidRecipients', title: 'A recipient address is not valid', cause: 'c', fix: 'Correct the address.', guideStep: 'recipients' },
        });
      };
      const r = await fireOne(h);
      assert.equal(r.deliveries[0]!.status, 'failed');
      assert.equal(h.sender.calls.length, 1);
      const record = (await h.service.deliveries())[0]!;
      assert.equal(record.notification.status, 'failed');
      assert.equal(record.notification.diagnosis!.guideStep, 'recipients');
      assert.equal(record.attempts[0]!.errorCode, 'ErrorInvalidRecipients');
      assert.equal(record.attempts[0]!.statusCode, 400);
      const status = await h.service.status();
      assert.equal(status.lastError!.diagnosis!.code, 'ErrorInvalidRecipients');
      assert.equal(status.queue.outbox.failed, 1);
      assert.deepEqual(h.service.metrics().emailsFailed, { recipients: 1 });
      await h.service.tick(h.clock.advance(60 * MINUTE));
      assert.equal(h.sender.calls.length, 1, 'never retried');
    } finally {
      h.close();
    }
  });

  it('keeps e-mails waiting for a sign-in (never dropped), warns the admin once, and sends everything after resumeAfterSignIn', async () => {
    const h = harness({ group_by: ['agent'] });
    try {
      let signedIn = false;
      h.sender.behaviour = () => {
        if (!signedIn) throw new SendError('invalid_grant', false, { code: 'invalid_grant', diagnosis: signInDiagnosis });
        return {};
      };
      await h.service.submit([event({ agent: 'A' }), event({ agent: 'B' }), event({ agent: 'C' })]);
      await h.service.tick(h.clock.advance(30 * SECOND));
      assert.equal(h.sender.calls.length <= 4, true, 'at most one round of attempts');
      const callsWhenBlocked = h.sender.calls.length;
      assert.ok(h.service.waitingForSignIn);
      let depth = await h.service.queueDepth();
      assert.equal(depth.outbox.waitingSignIn, 4, 'three alerts and the sign-in warning wait');
      assert.equal(depth.outbox.failed, 0);
      const notices = (await h.service.status()).healthNotices;
      assert.equal(notices.length, 1);
      assert.equal(notices[0]!.kind, 'sign-in-renewal');
      assert.equal(notices[0]!.diagnosis!.guideStep, 'sign-in-again');

      // While blocked: more events queue, nothing is sent or dropped, the same notice is not repeated.
      await h.service.submit(event({ agent: 'D' }));
      for (let i = 0; i < 5; i++) await h.service.tick(h.clock.advance(10 * MINUTE));
      assert.equal(h.sender.calls.length, callsWhenBlocked, 'no attempts while waiting for the sign-in');
      depth = await h.service.queueDepth();
      assert.equal(depth.outbox.waitingSignIn, 5);
      assert.equal(depth.undeliveredEvents, 4);
      assert.equal(h.store.health.listActive().length, 1);

      signedIn = true;
      // The four alert e-mails go out; the unsent warning that the sign-in needs renewal is withdrawn,
      // and one "resolved" e-mail says what happened instead (issue 9.12).
      assert.equal(await h.service.resumeAfterSignIn(), 4);
      await h.service.tick(h.clock.now);
      depth = await h.service.queueDepth();
      assert.equal(depth.outbox.sent, 5);
      const afterResume = h.sender.calls.slice(callsWhenBlocked);
      assert.equal(afterResume.length, 5);
      assert.equal(afterResume.filter((c) => /^\[Resolved\] The sign-in works again$/.test(c.subject)).length, 1);
      assert.ok(afterResume.every((c) => !/Action needed/i.test(c.subject)), 'no stale warning after the sign-in works');
      assert.equal(depth.undeliveredEvents, 0);
      assert.equal(h.service.waitingForSignIn, false);
      assert.equal((await h.service.status()).healthNotices.length, 0, 'the notice closes once the sign-in works');
      // The warning was queued while blocked, then withdrawn unsent.
      assert.ok(!h.sender.sent.some((m) => /Action needed/.test(m.subject)));
      const attempts = (await h.service.deliveries({ limit: 10 })).flatMap((d) => d.attempts.map((a) => a.result));
      assert.ok(attempts.includes('waiting-sign-in'));
    } finally {
      h.close();
    }
  });

  it('a successful test e-mail while waiting proves the sign-in works and releases the queue', async () => {
    const h = harness();
    try {
      let signedIn = false;
      h.sender.behaviour = (email) => {
        if (!signedIn) throw new SendError('consent revoked', false, { diagnosis: { ...signInDiagnosis, guideStep: 'admin-consent', code: 'AADSTS65001' } });
        return { messageId: email.subject };
      };
      await fireOne(h);
      assert.ok(h.service.waitingForSignIn);
      assert.equal((await h.service.status()).healthNotices[0]!.kind, 'consent-revoked');
      const failedTest = await h.service.sendTestEmail({ to: ['me@contoso.com'] });
      assert.equal(failedTest.status, 'waiting-sign-in');
      signedIn = true;
      const test = await h.service.sendTestEmail({ to: ['me@contoso.com'] });
      assert.equal(test.status, 'sent');
      assert.equal(h.service.waitingForSignIn, false);
      await h.service.tick(h.clock.now);
      assert.equal((await h.service.queueDepth()).outbox.waitingSignIn, 0);
      assert.equal((await h.service.queueDepth()).outbox.queued, 0);
      assert.ok(h.sender.sent.some((m) => /Verification failed/.test(m.subject)));
    } finally {
      h.close();
    }
  });
  // The never-settling-promise test is replaced by test/delivery/retry-owner.test.ts (issue 9.1).
});

describe('crash recovery', () => {
  it('e-mails in flight when the process dies are sent again after a restart: each at least once, duplicates at most the in-flight count', async () => {
    const h = harness({}, { delivery: { concurrency: 4 } });
    const releases: (() => void)[] = [];
    try {
      // Twelve agents -> twelve e-mails; the sender accepts the first five, then hangs (the process "dies" mid-send).
      let accepted = 0;
      h.sender.behaviour = () => {
        if (accepted < 5) {
          accepted++;
          return {};
        }
        return new Promise((resolve) => releases.push(() => resolve({})));
      };
      await h.service.submit(Array.from({ length: 12 }, (_, i) => event({ agent: `AGENT-${i}` })));
      void h.service.tick(h.clock.advance(30 * SECOND));
      for (let i = 0; i < 50 && releases.length === 0; i++) await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 20));
      const inFlight = h.store.outbox.countByStatus().sending;
      assert.ok(inFlight > 0 && inFlight <= 4, `in flight: ${inFlight}`);
      const sentBefore = h.store.outbox.countByStatus().sent;
      // The hanging requests did reach Microsoft (worst case for duplicates), but the process dies before recording it.
      h.store.close();
      releases.forEach((release) => release());
      const firstRun = h.sender.calls.map((m) => m.headers['x-o365-notify-id']!);

      const store = openStore(path.join(h.dir, 'store.db'));
      const sender = new FakeSender();
      const service = new NotificationService({ store: sqliteNotifyStore(store), channel: sender, rules: rulesFrom({ daily_report: false }), clock: h.clock.read });
      await service.start();
      await service.stop();
      await service.tick(h.clock.now);
      const depth = store.queueDepth();
      assert.equal(depth.outbox.sent, 12, 'every e-mail delivered');
      assert.equal(depth.outbox.sending + depth.outbox.queued, 0);
      assert.equal(depth.undeliveredEvents, 0, 'every acknowledged event delivered');
      const all = [...firstRun, ...sender.calls.map((m) => m.headers['x-o365-notify-id']!)];
      const counts = new Map<string, number>();
      for (const id of all) counts.set(id, (counts.get(id) ?? 0) + 1);
      assert.equal(counts.size, 12);
      const duplicates = [...counts.values()].filter((n) => n > 1).length;
      assert.ok(duplicates <= inFlight, `duplicates ${duplicates} > in flight ${inFlight}`);
      assert.ok([...counts.values()].every((n) => n <= 2));
      assert.equal(sender.calls.length, 12 - sentBefore, 'only unfinished e-mails are sent again');
      const interrupted = store.db.prepare("SELECT count(*) AS n FROM delivery_attempts WHERE result = 'interrupted'").get() as { n: number };
      assert.equal(interrupted.n, inFlight, 'the interrupted attempts stay visible');
      assert.ok(store.integrityCheck().ok);
      store.close();
    } finally {
      releases.forEach((release) => release());
      h.close();
    }
  });

  it('events committed but not yet routed when the process dies are routed after the restart', async () => {
    const h = harness();
    try {
      const ids = await h.service.submit([event({ agent: 'X' }), event({ agent: 'Y' })]);
      h.store.close();
      const store = openStore(path.join(h.dir, 'store.db'));
      assert.equal(store.undeliveredEvents(), 2);
      const sender = new FakeSender();
      const service = new NotificationService({ store: sqliteNotifyStore(store), channel: sender, rules: rulesFrom({ daily_report: false }), clock: h.clock.read });
      await service.tick(h.clock.advance(30 * SECOND));
      assert.equal(sender.sent.length, 2);
      for (const id of ids) assert.equal(store.events.get(id)!.outcome, 'notified');
      store.close();
    } finally {
      h.close();
    }
  });
});
