import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rotateApiToken, type RunningService } from '../../src/server/index.js';
import { runCli, startCli } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { SENDER, TEAM, header, inbox, request, serviceHome, startTestService, waitFor, type LogCapture } from './helpers.js';

describe('a revoked sign-in while the service runs', () => {
  let emu: TestEmulator;
  let home: string;
  let cleanup: () => Promise<void>;
  let svc: RunningService;
  let logs: LogCapture;
  let token: string;

  before(async () => {
    emu = await startTestEmulator();
    ({ home, cleanup } = await serviceHome(emu));
    token = (await rotateApiToken(home)).token;
    ({ svc, logs } = await startTestService(home));
  });
  after(async () => {
    await svc?.close();
    await emu.stop();
    await cleanup();
  });

  it('status says sign in again, events queue (waiting for the sign-in), and after `login` they all go out', async () => {
    const post = (body: unknown) => request(svc.url, 'POST', '/api/v1/events', { token, body });
    assert.equal((await post({ type: 'imagemanager.verification_failed', agent: 'SRV-0', summary: 'before the revocation' })).status, 202);
    await waitFor(async () => (await inbox(emu, TEAM)).length === 1, 'the first e-mail');

    await emu.call('POST', '/_emulator/faults', { action: 'revoke-refresh-tokens', user: SENDER });
    await emu.call('POST', '/_emulator/clock', { advanceSeconds: 2 * 3600 });

    const agents = ['SRV-1', 'SRV-2', 'SRV-3'];
    for (const agent of agents) assert.equal((await post({ type: 'imagemanager.replication_failed', agent, summary: `Replication failed on ${agent}` })).status, 202);

    const status = await waitFor(async () => {
      const s = await request(svc.url, 'GET', '/api/v1/status', { token });
      return s.json.service.queue.outbox.waitingSignIn >= agents.length && s.json;
    }, 'the e-mails to wait for a sign-in');
    assert.equal(status.service.waitingForSignIn, true);
    assert.equal(status.signIn.signInRequired, true);
    assert.equal(status.signIn.problem.diagnosis.guideStep, 'sign-in-again');
    assert.equal(status.service.lastError.diagnosis.guideStep, 'sign-in-again');
    assert.ok(status.service.healthNotices.some((n: any) => n.kind === 'sign-in-renewal'));
    assert.equal((await inbox(emu, TEAM)).length, 1, 'nothing went out');
    const blocked = await request(svc.url, 'GET', '/metrics', { token });
    assert.match(blocked.text, /^o365_notify_sign_in_blocked 1$/m);

    // The CLI's status (another process in real life) reads the same store.
    const cli = await runCli(['--json', 'status'], { home });
    assert.equal(cli.code, 1);
    const cliStatus = JSON.parse(cli.stdout);
    assert.equal(cliStatus.signInRequired, true);
    assert.ok(cliStatus.notifications.queue.outbox.waitingSignIn >= agents.length);

    // More events while blocked are kept too.
    assert.equal((await post({ type: 'imagemanager.hsr_failed', agent: 'SRV-4', summary: 'HeadStart Restore failed' })).status, 202);

    // The log said what happened and how to fix it.
    const warn = logs.records().find((l) => l.msg?.startsWith('e-mail not sent') && l.diagnosis?.guideStep === 'sign-in-again');
    assert.ok(warn, 'a delivery line with the diagnosis');
    assert.match(warn.diagnosis.fix, /o365-notify login/);

    // `o365-notify login` (here in-process, as another process would): the service notices and sends everything.
    const login = startCli(['login', '--device-code'], { home });
    const [, code] = await login.waitFor(/enter the code (\S+) to authenticate/);
    assert.equal((await emu.call('POST', '/_emulator/devicecode/approve', { userCode: code, upn: SENDER })).status, 200);
    assert.equal((await login.done).code, 0);

    const mails = await waitFor(async () => {
      const m = await inbox(emu, TEAM);
      return ['SRV-1', 'SRV-2', 'SRV-3', 'SRV-4'].every((a) => m.some((x) => x.subject.includes(a))) && m;
    }, 'every queued e-mail after the sign-in');
    const ids = mails.map((m) => header(m, 'x-o365-notify-id'));
    assert.equal(new Set(ids).size, ids.length, 'each e-mail once');
    const after_ = await waitFor(async () => {
      const s = await request(svc.url, 'GET', '/api/v1/status', { token });
      return s.json.service.queue.outbox.waitingSignIn === 0 && s.json.service.queue.outbox.queued === 0 && s.json;
    }, 'the queue to drain');
    assert.equal(after_.service.waitingForSignIn, false);
    assert.equal(after_.signIn.signInRequired, false);
    assert.equal(after_.service.healthNotices.filter((n: any) => n.kind === 'sign-in-renewal').length, 0, 'the warning is closed');
    assert.equal(after_.service.queue.outbox.failed, 0, 'nothing was given up on');

    // The settings page's path (PageContext.signedIn) finishes too: it never waits on the watcher that called it.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('signedIn() did not finish')), 5000)));
    await Promise.race([svc.signedIn(), timeout]).finally(() => clearTimeout(timer));
  });
});
