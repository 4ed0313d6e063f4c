import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, describe, it } from 'node:test';
import { DEMO_APPS, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { createLogger } from '../../src/infra/index.js';
import { rotateApiToken } from '../../src/server/api-token.js';
import { startService, type RunningService } from '../../src/server/runtime.js';
import { testEnv } from '../support/cli.js';
import { call, closeOrExit, inbox, inProcessFixture, waitFor } from '../reliability/support.js';

/**
 * Issue 13.11: Entra throttles the token endpoint with 429 + Retry-After and "Too Many Requests" (not
 * JSON), with invalid_grant AADSTS50196 (a request loop) or AADSTS90055 (tenant throttled)
 * (https://learn.microsoft.com/entra/msal/dotnet/advanced/client-and-server-throttling). The product
 * must back off: however many e-mails are queued and retried, the token endpoint is asked once per
 * Retry-After (a minute without one); the e-mails wait, none fails, no "sign in again".
 */

const EMAILS = 8;
const ANSWERS = [
  { name: '429 Too Many Requests, Retry-After: 120', fault: { kind: 'throttle', retryAfterSeconds: 120 }, code: 'HTTP429', wait: 120, title: /Entra ID throttled the token requests/ },
  { name: 'invalid_grant AADSTS50196 (request loop)', fault: { kind: 'error', code: 'AADSTS50196' }, code: 'AADSTS50196', wait: 60, title: /Too many identical sign-in requests/ },
  { name: 'AADSTS90055 (tenant throttled)', fault: { kind: 'error', code: 'AADSTS90055' }, code: 'AADSTS90055', wait: 60, title: /throttling this tenant/ },
];

interface Delivery {
  notification: { id: string; status: string };
  attempts: { result: string; diagnosis: { code: string; title: string; cause: string } | null }[];
}

describe('token-endpoint throttling (issue 13.11)', () => {
  let svc: RunningService | undefined;
  const fx = inProcessFixture(() => svc);
  let round = 0;
  // A failed round must not leave its service running into the next one (same home).
  afterEach(async () => {
    if (svc) await closeOrExit(() => svc!.close());
    svc = undefined;
  });

  async function serve(): Promise<{ url: string; token: string }> {
    const { token } = await rotateApiToken(fx.home);
    svc = await startService({
      home: fx.home,
      env: testEnv(fx.home),
      host: '127.0.0.1',
      port: 0,
      logger: createLogger({ destination: new Writable({ write: (_c, _e, done) => done() }) }),
      tickIntervalMs: 50,
      // Retries every second at most, far sooner than the token endpoint allows.
      delivery: { retryBaseMs: 200, retryMaxMs: 1000 },
      withoutPage: true,
    });
    return { url: svc.url, token };
  }

  it('the emulator answers each form as Entra does', async () => {
    const { emu } = fx;
    const token = (form: Record<string, string>) =>
      emu.call('POST', `/${DEMO_TENANT_ID}/oauth2/v2.0/token`, new URLSearchParams(form).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
    const form = { client_id: DEMO_APPS.singleTenant, grant_type: 'refresh_token', refresh_token: 'x', scope: 'Mail.Send' };
    await emu.call('POST', '/_emulator/faults', { endpoint: 'entra.token', kind: 'throttle', count: 1 });
    const throttled = await token(form);
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers['retry-after'], '60', 'Retry-After: 60 when none is given, as Microsoft documents');
    assert.equal(throttled.text, 'Too Many Requests');
    for (const code of [50196, 90055]) {
      await emu.call('POST', '/_emulator/faults', { endpoint: 'entra.token', kind: 'error', code: `AADSTS${code}`, count: 1 });
      const res = await token(form);
      assert.equal(res.status, 400);
      assert.equal(res.headers['retry-after'], undefined);
      const body = res.json();
      assert.equal(body.error, code === 50196 ? 'invalid_grant' : 'invalid_request');
      assert.deepEqual(body.error_codes, [code]);
      assert.match(body.error_description, new RegExp(`^AADSTS${code}: .+\\r\\nTrace ID: `));
    }
  });

  for (const answer of ANSWERS) {
    it(`${answer.name}: one token request while ${EMAILS} e-mails retry; they wait, then all go out`, { timeout: 90_000 }, async () => {
      const { emu, agent } = fx;
      round += 1;
      const before = (await inbox(emu)).length;
      // The cached access token has run out on Entra's clock (Graph refuses it), and the token endpoint throttles.
      assert.equal((await emu.call('POST', '/_emulator/clock', { advanceSeconds: 2 * 3600 })).status, 200);
      assert.equal((await emu.call('POST', '/_emulator/faults', { endpoint: 'entra.token', durationSeconds: 3600, ...answer.fault })).status, 201);
      const tokenRequests = async () => ((await emu.call('GET', '/_emulator/stats')).json().requestsByEndpoint['entra.token'] ?? 0) as number;
      const tokenRequestsBefore = await tokenRequests();

      const { url, token } = await serve();
      const events = Array.from({ length: EMAILS }, (_, i) => ({
        type: 'imagemanager.verification_failed',
        agent: `SRV-${round}-${i}`,
        folder: 'D:\\Backups',
        summary: `Verification failed (${answer.code} ${i})`,
      }));
      assert.equal((await call(agent, url, 'POST', '/api/v1/events', { token, body: events })).status, 202);
      const deliveries = async () => ((await call(agent, url, 'GET', '/api/v1/deliveries?limit=200', { token })).json.deliveries as Delivery[]);
      const retried = await waitFor(async () => {
        // Only finished attempts count: the newest one may still be in flight when the list is read.
        const page = (await deliveries())
          .map((d) => ({ ...d, attempts: d.attempts.filter((a) => a.result !== 'in-flight') }))
          .filter((d) => d.attempts.some((a) => a.diagnosis?.code === answer.code));
        return page.length === EMAILS && page.every((d) => d.attempts.length >= 3) ? page : undefined;
      }, `every e-mail retried three times against ${answer.code}`, 60_000, 200);

      assert.equal((await tokenRequests()) - tokenRequestsBefore, 1, 'one token request, however many e-mails were retried');
      for (const d of retried) {
        assert.notEqual(d.notification.status, 'failed');
        const last = d.attempts.at(-1)!;
        assert.equal(last.result, 'retry');
        assert.equal(last.diagnosis?.code, answer.code);
        assert.match(last.diagnosis!.title, answer.title);
      }
      const status = (await call(agent, url, 'GET', '/api/v1/status', { token })).json;
      assert.equal(status.signIn.signInRequired, false, 'throttling is no reason to sign in again');
      assert.equal(status.service.waitingForSignIn, false);

      // Entra answers again; a new run of the service (no pause in memory) sends everything that waited.
      await closeOrExit(() => svc!.close());
      svc = undefined;
      assert.equal((await emu.call('DELETE', '/_emulator/faults')).status, 204);
      const again = await serve();
      await waitFor(async () => {
        const q = (await call(agent, again.url, 'GET', '/api/v1/status', { token: again.token })).json.service.queue;
        return q.undeliveredEvents === 0 && q.outbox.queued === 0 && q.outbox.sending === 0;
      }, 'the queue to drain once Entra answers', 60_000, 200);
      assert.equal((await inbox(emu)).length - before, EMAILS);
      await closeOrExit(() => svc!.close());
      svc = undefined;
    });
  }
});
