import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { DEFAULT_RETRY } from '../../src/graph/retry.js';
import { DEFAULT_DELIVERY_OPTIONS } from '../../src/delivery/worker.js';
import { createLogger } from '../../src/infra/index.js';
import { rotateApiToken } from '../../src/server/api-token.js';
import { startService, type RunningService } from '../../src/server/runtime.js';
import { testEnv } from '../support/cli.js';
import { arrivals, call, inbox, waitFor, inProcessFixture } from './support.js';

const EMAILS = 40;

/** The service's log lines, parsed (to read each send's Graph attempts). */
function logCapture(): { stream: Writable; records: () => Record<string, any>[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, records: () => lines.map((l) => JSON.parse(l) as Record<string, any>) };
}

describe('Graph answers 30 % of sends with 429 or 503', () => {
  let svc: RunningService | undefined;
  const fx = inProcessFixture(() => svc);

  it('everything is delivered once, with bounded attempts, and the 429s were real', { timeout: 120_000 }, async (t) => {
    const { emu, home, agent } = fx;
    // 15 % throttled, then 15 % of all (0.15 / 0.85 of the rest) unavailable: 30 % in all, both with a short Retry-After.
    await emu.call('POST', '/_emulator/faults', { endpoint: 'graph.sendMail', kind: 'throttle', status: 429, retryAfterSeconds: 1, probability: 0.15, durationSeconds: 3600 });
    await emu.call('POST', '/_emulator/faults', { endpoint: 'graph.sendMail', kind: 'error', status: 503, retryAfterSeconds: 1, probability: 0.15 / 0.85, durationSeconds: 3600 });
    const logs = logCapture();
    const { token } = await rotateApiToken(home);
    svc = await startService({
      home,
      env: testEnv(home),
      host: '127.0.0.1',
      port: 0,
      logger: createLogger({ destination: logs.stream, level: 'info' }),
      tickIntervalMs: 50,
      delivery: { retryBaseMs: 200, retryMaxMs: 2000 },
      withoutPage: true,
    });

    const events = Array.from({ length: EMAILS }, (_, i) => ({
      type: 'imagemanager.replication_failed',
      agent: `SRV-${Math.floor(i / 10)}`,
      folder: `E:\\Replicas\\Folder-${i % 10}`,
      summary: `Replication to the offsite target failed (${i})`,
    }));
    const posted = await call(agent, svc.url, 'POST', '/api/v1/events', { token, body: events });
    assert.equal(posted.status, 202, posted.text);
    const ids = posted.json.ids as number[];

    await waitFor(
      async () => {
        const q = (await call(agent, svc!.url, 'GET', '/api/v1/status', { token })).json.service.queue;
        return q.undeliveredEvents === 0 && q.outbox.queued === 0 && q.outbox.sending === 0;
      },
      'every e-mail to go out',
      100_000,
      200,
    );

    const page = await call(agent, svc.url, 'GET', '/api/v1/deliveries?limit=200', { token });
    assert.equal(page.status, 200);
    const deliveries = page.json.deliveries as { notification: { id: string; status: string; attempts: number }; eventIds: number[]; attempts: { result: string }[] }[];
    assert.equal(deliveries.length, EMAILS);
    assert.ok(deliveries.every((d) => d.notification.status === 'sent'), 'all sent, none failed');
    assert.deepEqual(deliveries.flatMap((d) => d.eventIds).sort((a, b) => a - b), [...ids].sort((a, b) => a - b), 'each event in its e-mail');
    const workerAttempts = deliveries.map((d) => d.attempts.length);
    assert.ok(Math.max(...workerAttempts) <= DEFAULT_DELIVERY_OPTIONS.maxAttempts, `worker attempts ${Math.max(...workerAttempts)}`);

    // Inside one delivery attempt, the mail client's own retries are bounded too.
    const accepted = logs.records().filter((r) => r.msg === 'e-mail accepted by Microsoft Graph');
    assert.equal(accepted.length, EMAILS);
    const graphAttempts = accepted.map((r) => r.graphAttempts as number);
    assert.ok(graphAttempts.every((n) => Number.isInteger(n) && n >= 1 && n <= DEFAULT_RETRY.maxAttempts), `Graph attempts per e-mail: ${graphAttempts.join(',')}`);

    const stats = (await emu.call('GET', '/_emulator/stats')).json();
    const requests = stats.requestsByEndpoint['graph.sendMail'] as number;
    const unavailable = requests - stats.messagesDelivered - stats.throttled429;
    assert.ok(stats.throttled429 > 0, 'the emulator sent 429s');
    assert.ok(unavailable > 0, 'the emulator sent 503s');
    // At 30 % failures a send takes 1/0.7 = 1.43 requests on average; twice that is far out of chance's reach.
    assert.ok(requests < 2 * EMAILS, `${requests} sendMail requests for ${EMAILS} e-mails`);

    const counts = arrivals(await inbox(emu));
    assert.equal(counts.size, EMAILS, 'every e-mail arrived');
    assert.ok([...counts.values()].every((c) => c === 1), 'and once (a refused request is not a delivery)');
    assert.deepEqual(svc.store.integrityCheck(), { ok: true, problems: [] });
    t.diagnostic(`${requests} sendMail requests: ${stats.throttled429} × 429, ${unavailable} × 503; Graph attempts per e-mail max ${Math.max(...graphAttempts)}; worker attempts max ${Math.max(...workerAttempts)}`);
  });
});
