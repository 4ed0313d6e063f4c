import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { GraphChannel, type GraphConnection } from '../../src/delivery/index.js';
import { createMailClient, systemClock } from '../../src/graph/index.js';
import type { HttpRequest, HttpResponse } from '../../src/graph/http.js';
import { NotificationService } from '../../src/notify/service.js';
import { openStore, sqliteNotifyStore } from '../../src/store/index.js';
import { CountingTokenProvider } from '../graph/support/clients.js';
import { FakeTransport, graphError, response } from '../graph/support/fake-transport.js';
import { FakeClock, FakeSender, SECOND, event, rulesFrom, tempDir } from '../notify/helpers.js';

/** The real mail client over a scripted transport, as the service wires it (the worker owns retries). */
function graphService(answer: (req: HttpRequest, index: number) => HttpResponse | Promise<HttpResponse>, delivery: Record<string, number>) {
  const tmp = tempDir('o365-retry-owner-');
  const store = openStore(path.join(tmp.dir, 'store.db'));
  const clock = new FakeClock();
  const transport = new FakeTransport(answer);
  const client = createMailClient({
    baseUrl: 'https://graph.example.test/v1.0',
    mode: 'delegated',
    tokenProvider: new CountingTokenProvider(),
    transport,
    // The worker's (fake) time, real waits: before the fix the client slept out Retry-After itself while the worker gave up.
    clock: { now: clock.read, sleep: (ms) => systemClock.sleep(ms) },
    pacing: { messagesPerMinute: 6000 },
    retries: 'caller',
  });
  const connection = { client, tokens: { tokenEndpointCalls: 0 }, close: () => client.close() } as unknown as GraphConnection;
  const channel = new GraphChannel(connection, pino({ level: 'silent' }));
  const service = new NotificationService({ store: sqliteNotifyStore(store), channel, rules: rulesFrom({ daily_report: false }), clock: clock.read, delivery: { retryBaseMs: 1000, ...delivery } });
  return { store, clock, transport, service, close: () => (store.close(), tmp.cleanup()) };
}

describe('the outbox worker is the one owner of retries (issue 9.1, 9.8)', () => {
  it('429 Retry-After: 1, then 202, with sendTimeoutMs 300 ms: ONE 202, every HTTP attempt listed and counted', async () => {
    const h = graphService((_req, i) => (i === 0 ? graphError(429, 'TooManyRequests', 'slow down', { 'retry-after': '1' }) : response(202)), { sendTimeoutMs: 300 });
    try {
      await h.service.submit(event());
      const first = await h.service.tick(h.clock.advance(30 * SECOND));
      const id = first.deliveries[0]!.id;
      assert.equal(first.deliveries[0]!.status, 'queued');
      const row = h.store.outbox.get(id)!;
      assert.ok(row.nextAttemptAt! - h.clock.now >= 1000, 'the next attempt honours Retry-After');
      await h.service.tick(h.clock.advance(2 * SECOND));
      await h.service.stop();
      assert.equal(h.store.outbox.get(id)!.status, 'sent');
      assert.equal(h.transport.requests.length, 2, 'two HTTP requests in all: the 429 and the 202');
      const ids = new Set(h.transport.requests.map((r) => JSON.parse(r.body!.toString()).message.internetMessageHeaders.find((x: { name: string }) => x.name === 'x-o365-notify-id').value));
      assert.deepEqual([...ids], [id], 'one x-o365-notify-id');
      // Before the fix the first attempt was recorded as a timeout while the client waited out Retry-After itself, then sent a second 202.
      const attempts = h.store.outbox.attempts(id);
      assert.deepEqual(attempts.map((a) => [a.result, a.statusCode, a.httpRequests]), [['retry', 429, 1], ['sent', null, 1]]);
      assert.equal(h.service.metrics().emailRetries, 1, 'the Graph-level retry is counted');
      assert.equal(h.service.metrics().graphRequests, 2);
      assert.match(await h.service.metricsText(), /^o365_notify_email_retries_total 1$/m);
      assert.equal((await h.service.deliveries())[0]!.attempts.length, 2, 'and listed in the deliveries view');
    } finally {
      h.close();
    }
  });

  it('five 503s then 202: six attempts listed, five retries counted (9.8)', async () => {
    const h = graphService((_req, i) => (i < 5 ? graphError(503, 'ServiceUnavailable') : response(202)), { sendTimeoutMs: 5000 });
    try {
      await h.service.submit(event());
      await h.service.tick(h.clock.advance(30 * SECOND));
      for (let i = 0; i < 8; i++) await h.service.tick(h.clock.advance(60 * SECOND));
      const [record] = await h.service.deliveries();
      assert.equal(record!.notification.status, 'sent');
      assert.deepEqual(record!.attempts.map((a) => a.result), ['retry', 'retry', 'retry', 'retry', 'retry', 'sent']);
      assert.equal(h.service.metrics().emailRetries, 5);
      assert.equal(h.transport.requests.length, 6);
    } finally {
      h.close();
    }
  });

  it('the send timeout aborts the HTTP request through the AbortSignal, and the attempt is retried', async () => {
    let aborted = 0;
    const h = graphService(
      (req, i) =>
        i === 0
          ? new Promise<HttpResponse>((_resolve, reject) => {
              req.signal!.addEventListener('abort', () => {
                aborted++;
                reject(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }));
              });
            })
          : response(202),
      { sendTimeoutMs: 100 },
    );
    try {
      await h.service.submit(event());
      const first = await h.service.tick(h.clock.advance(30 * SECOND));
      const id = first.deliveries[0]!.id;
      assert.equal(aborted, 1, 'the request under way was cancelled');
      const [attempt] = h.store.outbox.attempts(id);
      assert.equal(attempt!.result, 'retry');
      assert.equal(attempt!.errorCode, 'Cancelled');
      assert.match(attempt!.error!, /may still have accepted/);
      await h.service.tick(h.clock.advance(5 * SECOND));
      assert.equal(h.store.outbox.get(id)!.status, 'sent');
    } finally {
      h.close();
    }
  });

  it('a channel that ignores the abort: recorded as timed out, and its late 202 recorded truthfully (no second send)', async () => {
    const tmp = tempDir('o365-late-');
    const store = openStore(path.join(tmp.dir, 'store.db'));
    const clock = new FakeClock();
    const sender = new FakeSender();
    let answer: (() => void) | undefined;
    sender.behaviour = (_e, attempt) => (attempt === 1 ? new Promise((resolve) => (answer = () => resolve({ messageId: 'late' }))) : {});
    const service = new NotificationService({ store: sqliteNotifyStore(store), channel: sender, rules: rulesFrom({ daily_report: false }), clock: clock.read, delivery: { sendTimeoutMs: 50, abortGraceMs: 20, retryBaseMs: 1000 } });
    try {
      await service.submit(event());
      const first = await service.tick(clock.advance(30 * SECOND));
      const id = first.deliveries[0]!.id;
      assert.equal(first.deliveries[0]!.status, 'queued');
      assert.match(store.outbox.attempts(id)[0]!.error!, /did not finish within/);
      answer!();
      await (service as unknown as { worker: { lateAnswersRecorded(): Promise<void> } }).worker.lateAnswersRecorded();
      assert.equal(store.outbox.get(id)!.status, 'sent', 'the late acceptance is what happened');
      assert.equal(store.outbox.get(id)!.messageId, 'late');
      assert.equal(store.outbox.attempts(id)[0]!.result, 'sent');
      assert.match(store.outbox.attempts(id)[0]!.error!, /after the send timeout/);
      await service.tick(clock.advance(5 * SECOND));
      assert.equal(sender.calls.length, 1, 'not sent a second time');
      assert.equal(store.undeliveredEvents(), 0);
    } finally {
      store.close();
      tmp.cleanup();
    }
  });
});
