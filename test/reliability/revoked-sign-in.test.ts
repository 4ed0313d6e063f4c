import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/infra/index.js';
import { rotateApiToken } from '../../src/server/api-token.js';
import { startService, type RunningService } from '../../src/server/runtime.js';
import { runCli, startCli, testEnv } from '../support/cli.js';
import { SENDER, arrivals, call, inbox, inspectStore, notifyKind, waitFor, closeOrExit, inProcessFixture } from './support.js';

const MINUTE = 60_000;

describe('a revoked sign-in', () => {
  let svc: RunningService | undefined;
  const fx = inProcessFixture(() => svc);

  it('status (API and CLI) says sign in again within a minute; events queue and all go out after `login`', { timeout: 120_000 }, async (t) => {
    const { emu, home, agent } = fx;
    const { token } = await rotateApiToken(home);
    svc = await startService({
      home,
      env: testEnv(home),
      host: '127.0.0.1',
      port: 0,
      logger: createLogger({ destination: new Writable({ write: (_c, _e, done) => done() }) }),
      tickIntervalMs: 50,
      signInCheckEveryMs: 500,
      delivery: { retryBaseMs: 200, retryMaxMs: 2000 },
      withoutPage: true,
    });
    const url = svc.url;
    const post = async (events: object[]): Promise<number[]> => {
      const r = await call(agent, url, 'POST', '/api/v1/events', { token, body: events });
      assert.equal(r.status, 202, r.text);
      return r.json.ids as number[];
    };
    const events = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ type: 'imagemanager.hsr_failed', agent: `SRV-${from + i}`, folder: 'D:\\Backups', summary: `HeadStart Restore failed on SRV-${from + i}` }));
    const apiStatus = async () => (await call(agent, url, 'GET', '/api/v1/status', { token })).json;

    const warmUp = await post(events(0, 1));
    await waitFor(async () => (await inbox(emu)).length === 1, 'the first e-mail (the token is cached)');

    // Entra ends the sign-in; the cached access token has run out too (it lives an hour).
    assert.equal((await emu.call('POST', '/_emulator/faults', { action: 'revoke-refresh-tokens', user: SENDER })).status, 200);
    assert.equal((await emu.call('POST', '/_emulator/clock', { advanceSeconds: 2 * 3600 })).status, 200);
    const revokedAt = Date.now();
    const queued = await post(events(100, 20));

    const seenByApi = await waitFor(async () => {
      const s = await apiStatus();
      return s.signIn.signInRequired === true && s.service.waitingForSignIn === true ? Date.now() : undefined;
    }, 'GET /api/v1/status to say sign in again', MINUTE, 100);
    const seenByCli = await waitFor(async () => {
      const r = await runCli(['--json', 'status'], { home });
      return r.code === 1 && JSON.parse(r.stdout).signInRequired === true ? Date.now() : undefined;
    }, '`o365-notify --json status` to say sign in again', MINUTE, 200);
    assert.ok(seenByApi - revokedAt < MINUTE, `the API said so after ${seenByApi - revokedAt} ms`);
    assert.ok(seenByCli - revokedAt < MINUTE, `the CLI said so after ${seenByCli - revokedAt} ms`);

    const s = await apiStatus();
    assert.equal(s.signIn.problem.diagnosis.guideStep, 'sign-in-again');
    assert.match(s.signIn.problem.diagnosis.fix, /o365-notify login/);
    const cli = JSON.parse((await runCli(['--json', 'status'], { home })).stdout);
    assert.ok(cli.notifications.queue.outbox.waitingSignIn >= 1, 'the CLI sees e-mails waiting for the sign-in');

    // Everything waits, nothing is dropped, and more events are still taken.
    const more = await post(events(200, 10));
    await waitFor(async () => (await apiStatus()).service.queue.outbox.waitingSignIn + (await apiStatus()).service.queue.outbox.queued >= 30, 'all 30 e-mails to queue');
    const blocked = await apiStatus();
    assert.equal(blocked.service.queue.outbox.failed, 0, 'nothing given up on');
    assert.equal(blocked.service.queue.outbox.sent, 1, 'nothing sent since the revocation');
    assert.equal((await inbox(emu)).length, 1);

    // A new sign-in (another process in real life); the service notices and sends everything.
    // A short-lived code: a login that is never approved ends instead of polling for 15 minutes.
    assert.equal((await emu.call('PUT', '/_emulator/behaviour', { deviceCodeLifetimeSeconds: 60 })).status, 200);
    const login = startCli(['login', '--device-code'], { home });
    const [, code] = await login.waitFor(/enter the code (\S+) to authenticate/);
    assert.equal((await emu.call('POST', '/_emulator/devicecode/approve', { userCode: code, upn: SENDER })).status, 200);
    assert.equal((await login.done).code, 0);
    const loggedInAt = Date.now();

    await waitFor(async () => {
      const q = (await apiStatus()).service.queue;
      return q.undeliveredEvents === 0 && q.outbox.queued === 0 && q.outbox.sending === 0 && q.outbox.waitingSignIn === 0;
    }, 'the queue to drain after the sign-in', MINUTE, 200);
    const drainedAt = Date.now();
    const after_ = await apiStatus();
    assert.equal(after_.signIn.signInRequired, false);
    assert.equal(after_.service.waitingForSignIn, false);

    // Alert e-mails only: a health warning about the sign-in may go to the same team.
    const messages = await inbox(emu);
    const counts = arrivals(messages.filter((m) => notifyKind(m) === 'alert'));
    assert.equal(counts.size, 31, 'the first e-mail and the 30 that waited');
    assert.ok([...counts.values()].every((c) => c === 1), 'each once');
    const health = messages.filter((m) => notifyKind(m) === 'health').map((m) => m.subject as string);
    // The warning could not go out while the sign-in was broken; once renewed, it is stale: it is
    // withdrawn, and one "resolved" e-mail says what happened instead (issue 9.12).
    assert.deepEqual(health, ['[Resolved] The sign-in works again'], 'no "sign in again" warning arrives after the sign-in was renewed, one "resolved" e-mail does');
    await closeOrExit(() => svc!.close());
    svc = undefined;
    const store = inspectStore(home, [...warmUp, ...queued, ...more]);
    assert.deepEqual(store.integrityProblems, []);
    assert.deepEqual(store.missing, []);
    assert.deepEqual(store.notInSentEmail, [], 'every event is in a sent e-mail');
    t.diagnostic(`sign in again shown after ${seenByApi - revokedAt} ms (API), ${seenByCli - revokedAt} ms (CLI); drained ${drainedAt - loggedInAt} ms after login`);
  });
});
