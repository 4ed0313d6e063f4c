import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/infra/index.js';
import { rotateApiToken } from '../../src/server/api-token.js';
import { startService, type RunningService } from '../../src/server/runtime.js';
import { testEnv } from '../support/cli.js';
import { fuzzCases, type FuzzCase } from './fuzz-cases.js';
import { DroppedConnectionError, call, inbox, inspectStore, seededRandom, waitFor, closeOrExit, inProcessFixture } from './support.js';

/** Change it (or set O365_NOTIFY_FUZZ_SEED) to explore; a failure names the seed and the case index. */
const SEED = Number(process.env.O365_NOTIFY_FUZZ_SEED ?? 20_250_601);
const CASES = 3000;
const CLIENTS = 8;

describe(`the event API under hostile input (seed ${SEED})`, () => {
  let svc: RunningService | undefined;
  const errorLogs: string[] = [];
  const fx = inProcessFixture(() => svc, { group_by: ['agent'], group_wait: '100ms', group_interval: '1s', repeat_interval: '4h', daily_report: false }, CLIENTS);

  it(`${CASES} malformed, oversized and hostile requests: only 4xx, no crash, an intact store, and the good events alongside all delivered`, { timeout: 150_000 }, async (t) => {
    const { emu, home, agent } = fx;
    const { token } = await rotateApiToken(home);
    svc = await startService({
      home,
      env: testEnv(home),
      host: '127.0.0.1',
      port: 0,
      logger: createLogger({
        destination: new Writable({
          write(chunk: Buffer, _enc, done) {
            for (const line of chunk.toString('utf8').split('\n')) if (/"level":(50|60)/.test(line)) errorLogs.push(line.slice(0, 2000));
            done();
          },
        }),
      }),
      tickIntervalMs: 50,
      delivery: { retryBaseMs: 200, retryMaxMs: 2000 },
      withoutPage: true,
    });
    const url = svc.url;
    const cases = fuzzCases(seededRandom(SEED), CASES);

    const problems: string[] = [];
    const goodIds: number[] = [];
    const goodAgents: string[] = [];
    const tally = new Map<string, number>();
    const describeCase = (i: number, c: FuzzCase) =>
      `case ${i} (seed ${SEED}) ${c.kind} ${c.method} ${c.path} ${JSON.stringify(c.headers)} body ${c.body ? JSON.stringify(c.body.subarray(0, 160).toString('latin1')) : 'none'}${c.body && c.body.length > 160 ? `... (${c.body.length} bytes)` : ''}`;

    let next = 0;
    const client = async () => {
      for (let i = next++; i < cases.length; i = next++) {
        const c = cases[i]!;
        let status: number;
        let text: string;
        try {
          const r = await call(agent, url, c.method, c.path, { token, body: c.body, headers: c.headers });
          status = r.status;
          text = r.text;
          if (c.expect === 'good' && r.status === 202) {
            goodIds.push(...(r.json.ids as number[]));
            goodAgents.push(...c.agents!);
          }
        } catch (err) {
          problems.push(`${describeCase(i, c)}: ${err instanceof DroppedConnectionError ? 'connection dropped' : 'failed'}: ${(err as Error).message}`);
          continue;
        }
        tally.set(`${c.expect} ${status}`, (tally.get(`${c.expect} ${status}`) ?? 0) + 1);
        const ok = c.expect === 'good' ? status === 202 : status >= 400 && status < 500;
        if (!ok) problems.push(`${describeCase(i, c)}: answered ${status} ${text.slice(0, 300)}`);
        if (i % 500 === 0) {
          const health = await call(agent, url, 'GET', '/healthz');
          if (health.status !== 200) problems.push(`after case ${i}: /healthz answered ${health.status}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));
    t.diagnostic(`answers: ${[...tally].sort().map(([k, n]) => `${k}: ${n}`).join(', ')}`);
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} requests answered wrongly`);
    assert.ok(goodIds.length >= 100, `${goodIds.length} good events were sent alongside`);

    assert.equal((await call(agent, url, 'GET', '/healthz')).status, 200, 'the service is up');
    assert.equal((await call(agent, url, 'GET', '/readyz')).status, 200, 'and ready');
    // `__proto__` and `constructor.prototype` keys stayed data.
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
    assert.deepEqual(svc.store.integrityCheck(), { ok: true, problems: [] });

    await waitFor(
      async () => {
        const q = (await call(agent, url, 'GET', '/api/v1/status', { token })).json.service.queue;
        return q.undeliveredEvents === 0 && q.outbox.queued === 0 && q.outbox.sending === 0;
      },
      'the good events to be delivered',
      60_000,
      200,
    );
    const messages = await inbox(emu);
    for (const m of messages) {
      assert.doesNotMatch(m.subject, /[\r\n]/, 'no line break in a subject');
      assert.doesNotMatch(m.body.content, /<script|<img src=x|<svg onload/i, `hostile HTML was escaped in "${m.subject}"`);
    }
    for (const a of new Set(goodAgents)) {
      const shortName = a.split(' ')[0]!;
      assert.ok(messages.some((m) => m.body.content.includes(shortName)), `an e-mail about ${shortName}`);
    }
    assert.deepEqual(errorLogs, [], 'the service logged no error');

    await closeOrExit(() => svc!.close());
    svc = undefined;
    const store = inspectStore(home, goodIds);
    assert.deepEqual(store.integrityProblems, [], 'PRAGMA integrity_check after the run');
    assert.deepEqual(store.missing, []);
    assert.deepEqual(store.notInSentEmail, [], 'every good event is in a sent e-mail');
  });
});
