import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTokenProvider, openAuthSession } from '../../src/auth/index.js';
import { DEMO_APPS, DEMO_DOMAIN } from '../../src/emulator/index.js';
import { rotateApiToken, type RunningService } from '../../src/server/index.js';
import { runCli, testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { TEAM, inbox, request, serviceHome, startTestService, waitFor } from '../server/helpers.js';

/**
 * Issue 9.12: a health warning ends when the evidence says its cause is gone, with exactly one
 * "resolved" e-mail that names what was fixed. Real service, real emulator, real sockets; the
 * refresh "from another process" is the product's own token provider on the same home.
 */
describe('health warnings end with their cause (issue 9.12)', () => {
  let emu: TestEmulator;
  let home: string;
  let cleanup: () => Promise<void>;
  let svc: RunningService;
  let token: string;

  before(async () => {
    emu = await startTestEmulator();
    ({ home, cleanup } = await serviceHome(emu));
    token = (await rotateApiToken(home)).token;
    ({ svc } = await startTestService(home));
  });
  after(async () => {
    await svc?.close();
    await emu.stop();
    await cleanup();
  });

  const refreshElsewhere = async () => {
    const session = await openAuthSession({ home, env: testEnv(home) });
    return createTokenProvider(session).getAccessToken({ forceRefresh: true });
  };
  const status = async () => (await request(svc.url, 'GET', '/api/v1/status', { token })).json;
  const health = (mails: any[], tag: string) => mails.filter((m) => m.subject.startsWith(`[${tag}]`));

  it('consent revoked: one warning; consent granted again and a refresh works: the warning ends, one "resolved" e-mail names the fix', async () => {
    const post = (agent: string) =>
      request(svc.url, 'POST', '/api/v1/events', { token, body: { type: 'imagemanager.verification_failed', agent, summary: `Verification failed on ${agent}` } });
    assert.equal((await post('SRV-1')).status, 202);
    await waitFor(async () => (await inbox(emu, TEAM)).some((m) => m.subject.includes('SRV-1')), 'the first alert');

    // An administrator removes the consent; the next refresh (here: another process's) is refused.
    const revoke = await emu.call('DELETE', '/_emulator/consent', { clientId: DEMO_APPS.singleTenant, tenant: DEMO_DOMAIN });
    assert.ok(revoke.status < 300, revoke.text);
    await assert.rejects(refreshElsewhere(), /AADSTS65001|consent/i);

    // The service warns once (its access token still sends, so the warning goes out).
    const warned = await waitFor(async () => {
      const m = health(await inbox(emu, TEAM), 'Action needed');
      return m.length > 0 && m;
    }, 'the consent warning e-mail');
    assert.match(warned[0].subject, /Consent for sending mail was revoked/);
    const open = await status();
    assert.ok(open.service.healthNotices.some((n: any) => n.kind === 'consent-revoked'), 'status shows the warning');

    // Consent is granted again, and a refresh works: that is the evidence.
    const grant = await emu.call('POST', '/_emulator/consent', { clientId: DEMO_APPS.singleTenant, tenant: DEMO_DOMAIN, delegated: ['Mail.Send'] });
    assert.ok(grant.status < 300, grant.text);
    await refreshElsewhere();

    const resolved = await waitFor(async () => {
      const m = health(await inbox(emu, TEAM), 'Resolved');
      return m.length > 0 && m;
    }, 'the "resolved" e-mail');
    assert.match(resolved[0].subject, /Consent for Mail\.Send is in place again/);
    assert.match(resolved[0].body.content, /Microsoft Entra ID issued a new token/);
    const closed = await waitFor(async () => {
      const s = await status();
      return s.service.healthNotices.length === 0 && s;
    }, 'the warning to end in status');
    assert.equal(closed.signIn.problem, undefined, 'the sign-in problem is gone too');
    const cli = await runCli(['status'], { home });
    assert.doesNotMatch(cli.stdout, /Warning \(/, 'the CLI status shows no warning');

    // More evidence (another refresh, an alert that goes out) sends no second "resolved" e-mail.
    await refreshElsewhere();
    assert.equal((await post('SRV-2')).status, 202);
    const mails = await waitFor(async () => {
      const m = await inbox(emu, TEAM);
      return m.some((x) => x.subject.includes('SRV-2')) && m;
    }, 'the next alert');
    assert.equal(health(mails, 'Resolved').length, 1, 'exactly one "resolved" e-mail');
    assert.equal(health(mails, 'Action needed').length, 1, 'exactly one warning');
  });
});
