import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventValidationError } from '../../src/intake/events.js';
import { StoreSaturatedError } from '../../src/store/index.js';
import { MINUTE, RealClock, event, harness } from './helpers.js';

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('notification service', () => {
  it('running with real timers: submit resolves after commit, the e-mail goes out in the background, stop waits for it', async () => {
    const h = harness({ group_wait: '0s', group_interval: '1s', repeat_interval: '1m' }, { clock: new RealClock(), tickIntervalMs: 20 });
    try {
      await h.service.start();
      assert.equal(h.service.running, true);
      const ids = await h.service.submit([event(), event({ agent: 'SRV-2' })]);
      assert.equal(ids.length, 2);
      for (const id of ids) assert.ok(h.store.events.get(id), 'committed when submit resolves');
      await until(() => h.sender.sent.length === 2, 'two e-mails');
      await h.service.stop();
      assert.equal(h.service.running, false);
      assert.equal(h.store.queueDepth().undeliveredEvents, 0);
      assert.equal(h.service.metrics().eventsReceived, 2);
      assert.deepEqual(h.service.metrics().emailsSent, { alert: 2 });
      const text = await h.service.metricsText();
      assert.match(text, /^o365_notify_events_received_total 2$/m);
      assert.match(text, /^o365_notify_emails_sent_total\{kind="alert"\} 2$/m);
      assert.match(text, /^o365_notify_delivery_latency_seconds_count 2$/m);
      assert.match(text, /^o365_notify_queue_depth 0$/m);
    } finally {
      await h.service.stop();
      h.close();
    }
  });

  it('rejects invalid submissions with field errors, and refuses events the store cannot keep', async () => {
    const h = harness({}, { intake: { maxUndeliveredEvents: 3 } });
    try {
      await assert.rejects(h.service.submit([event(), { ...event(), severity: 'loud' }]), (err: unknown) => {
        assert.ok(err instanceof EventValidationError);
        assert.deepEqual(err.errors, [{ path: '[1].severity', message: 'must be one of info, warning, critical' }]);
        return true;
      });
      assert.equal(h.store.undeliveredEvents(), 0, 'nothing of an invalid submission is stored');
      await h.service.submit([event({ agent: 'A' }), event({ agent: 'B' }), event({ agent: 'C' })]);
      assert.equal(h.service.hasRoomFor(1), false);
      await assert.rejects(h.service.submit(event({ agent: 'D' })), StoreSaturatedError);
      // Once the events are delivered, there is room again.
      await h.service.tick(h.clock.advance(MINUTE));
      assert.equal(h.service.hasRoomFor(3), true);
      await h.service.submit(event({ agent: 'D' }));
      assert.equal(h.service.metrics().submissionsRejected, 1);
    } finally {
      h.close();
    }
  });

  it('reports status and delivery history for the API', async () => {
    const h = harness();
    try {
      const [id] = await h.service.submit(event());
      let status = await h.service.status();
      assert.equal(status.queue.undeliveredEvents, 1);
      assert.equal(status.oldestUndeliveredEvent!.id, id);
      assert.equal(status.lastDelivery, null);
      assert.equal(status.nextGroupFlushAt, null, 'not routed yet');
      await h.service.tick(h.clock.now);
      assert.equal((await h.service.status()).nextGroupFlushAt, h.clock.now + 30_000);
      await h.service.tick(h.clock.advance(30_000));
      status = await h.service.status();
      assert.equal(status.oldestUndeliveredEvent, null);
      assert.match(status.lastDelivery!.subject, /Verification failed/);
      assert.deepEqual(status.lastDelivery!.to, ['admin@contoso.com']);
      const [record] = await h.service.deliveries({ limit: 5 });
      assert.equal(record!.notification.status, 'sent');
      assert.equal(record!.notification.html, undefined, 'bodies only on request');
      assert.deepEqual(record!.eventIds, [id]);
      assert.equal(record!.attempts.length, 1);
      assert.match((await h.service.deliveries({ includeBodies: true }))[0]!.notification.html!, /<html/);
      assert.match(h.service.preview('imagemanager.folder_conflict').subject, /Folder conflict/);
    } finally {
      h.close();
    }
  });

  it('survives a flood of hostile submissions: only validation errors, good events all delivered, store intact', async () => {
    const h = harness({ group_wait: '0s' });
    try {
      let seed = 99;
      const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const hostile = [
        null, 42, 'x', [], {}, { type: 'imagemanager.verification_failed' }, event({ summary: 'a\r\nBcc: x@evil.example' }),
        event({ severity: { $gt: '' } }), event({ details: JSON.parse('{"__proto__":{"admin":true}}') }), event({ agent: '\ud800' }),
        event({ summary: 'x'.repeat(5000) }), event({ occurredAt: '2025-02-30T00:00:00Z' }), Array.from({ length: 1001 }, () => event()),
        event({ details: { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } } }), event({ type: '../../etc/passwd' }),
      ];
      const good: number[] = [];
      for (let i = 0; i < 600; i++) {
        if (rand() < 0.1) {
          good.push(...(await h.service.submit(event({ agent: `GOOD-${i % 7}`, summary: `<script>ok ${i}</script>` }))));
          continue;
        }
        const input = hostile[Math.floor(rand() * hostile.length)];
        try {
          await h.service.submit(input);
          assert.ok(input && typeof input === 'object' && !Array.isArray(input) && 'details' in input, 'only the prototype-key payload is valid');
        } catch (err) {
          assert.ok(err instanceof EventValidationError, String(err));
        }
      }
      await h.service.tick(h.clock.advance(MINUTE));
      assert.ok(good.length > 0);
      for (const id of good) assert.ok(['notified', 'unchanged'].includes(h.store.events.get(id)!.outcome!), `event ${id}`);
      assert.equal(h.store.undeliveredEvents(), 0);
      assert.ok(h.store.integrityCheck().ok);
      assert.equal(({} as Record<string, unknown>).admin, undefined);
      for (const mail of h.sender.sent) {
        assert.ok(!/[\r\n]/.test(mail.subject));
        assert.ok(!mail.html.includes('<script>'));
      }
    } finally {
      h.close();
    }
  });
});
