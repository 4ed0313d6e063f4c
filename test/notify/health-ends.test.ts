import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTokenProvider, openAuthSession } from '../../src/auth/index.js';
import { DEMO_APPS, DEMO_DOMAIN } from '../../packages/emulator/src/index.js';
import type { RunningService } from '../../src/server/index.js';
import { runCli, setUpHome, startCli, tempHome, testEnv } from '../support/cli.js';
import type { TestEmulator } from '../support/emulator.js';
import { SENDER, TEAM, configureHome, startServiceRig, unthrottle, type ServiceRig } from '../support/service.js';
import { inbox, request, waitFor } from '../server/helpers.js';

/**
 * Issue 9.12: a health warning ends when the evidence says its cause is gone, with exactly one
 * "resolved" e-mail that names what was fixed. Real service, real emulator, real sockets; the
 * refresh "from another process" is the product's own token provider on the same home.
 */
describe('health warnings end with their cause (issue 9.12)', () => {
  let emu: TestEmulator;
  let rig: ServiceRig;
  let home: string;
  let svc: RunningService;
  let token: string;

  before(async () => {
    rig = await startServiceRig();
    ({ emu, home, svc, token } = rig);
  });
  after(() => rig?.stop());

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

describe('app-only: the client secret expires and is replaced (issue 9.12)', () => {
  let emu: TestEmulator;
  let rig: ServiceRig;
  let home: string;
  let svc: RunningService;
  let token: string;
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const setupArgs = (expires: string) =>
    ['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, '--account-type', 'single-tenant', '--client-id', DEMO_APPS.appOnly,
      '--tenant-id', DEMO_DOMAIN, '--auth', 'app-only', '--sender', SENDER, '--to', TEAM, '--client-secret-stdin', '--secret-expires', expires];

  // App-only with a secret that expires in 40 days, made in the portal (the emulator) for this test.
  const appOnlyHome = async (on: TestEmulator) => {
    emu = on;
    await unthrottle(emu);
    const made = await tempHome();
    const first = (await emu.call('POST', `/_emulator/apps/${DEMO_APPS.appOnly}/secrets`, { displayName: 'first', expiresInDays: 40 })).json();
    const setup = await runCli(setupArgs(day(40)), { home: made.home, stdin: first.value + '\n' });
    assert.equal(setup.code, 0, setup.stderr);
    await configureHome(made.home);
    return made;
  };

  before(async () => {
    rig = await startServiceRig({ makeHome: appOnlyHome });
    ({ emu, home, svc, token } = rig);
  });
  after(() => rig?.stop());

  it('refused while expired (e-mails wait, status warns); after the new secret one "resolved" e-mail and the waiting alert go out, no stale warning', async () => {
    const post = (agent: string) =>
      request(svc.url, 'POST', '/api/v1/events', { token, body: { type: 'imagemanager.verification_failed', agent, summary: `Verification failed on ${agent}` } });
    assert.equal((await post('SRV-1')).status, 202);
    await waitFor(async () => (await inbox(emu, TEAM)).some((m) => m.subject.includes('SRV-1')), 'the first alert');

    // 41 days on in Entra: the secret has expired (and so has the access token).
    await emu.call('POST', '/_emulator/clock', { advanceSeconds: 41 * 86_400 });
    assert.equal((await post('SRV-2')).status, 202);
    const refused = await waitFor(async () => {
      const s = (await request(svc.url, 'GET', '/api/v1/status', { token })).json;
      return s.service.healthNotices.some((n: any) => n.kind === 'secret-expiring' && n.subject === 'AADSTS7000222') && s.service.queue.outbox.waitingSignIn >= 1 && s;
    }, 'the refused secret to be a warning, the alert waiting');
    assert.match(refused.service.healthNotices.find((n: any) => n.kind === 'secret-expiring').message, /client secret/);

    // The administrator adds a new secret in the portal and enters it with `setup` in another
    // terminal: the running service notices the changed secret by itself (no restart, no page).
    const second = (await emu.call('POST', `/_emulator/apps/${DEMO_APPS.appOnly}/secrets`, { displayName: 'second', expiresInDays: 180 })).json();
    const replace = await runCli(setupArgs(day(170)), { home, stdin: second.value + '\n' });
    assert.equal(replace.code, 0, replace.stderr);

    const mails = await waitFor(async () => {
      const m = await inbox(emu, TEAM);
      return m.some((x) => x.subject.includes('SRV-2')) && m.some((x) => x.subject.startsWith('[Resolved]')) && m;
    }, 'the waiting alert and the "resolved" e-mail');
    const resolved = mails.filter((m) => m.subject.startsWith('[Resolved]'));
    assert.equal(resolved.length, 1);
    assert.match(resolved[0].subject, /Microsoft 365 accepts the client secret again/);
    assert.match(resolved[0].body.content, /AADSTS7000222/);
    assert.equal(mails.filter((m) => m.subject.startsWith('[Action needed]')).length, 0, 'the warning that could not go out is withdrawn, not sent late');
    const s = await waitFor(async () => {
      const x = (await request(svc.url, 'GET', '/api/v1/status', { token })).json;
      return x.service.healthNotices.length === 0 && x;
    }, 'no warning left');
    assert.equal(s.signIn.problem, undefined);

    // Later sends bring no second "resolved" e-mail.
    assert.equal((await post('SRV-3')).status, 202);
    const later = await waitFor(async () => {
      const m = await inbox(emu, TEAM);
      return m.some((x) => x.subject.includes('SRV-3')) && m;
    }, 'a later alert');
    assert.equal(later.filter((m) => m.subject.startsWith('[Resolved]')).length, 1);
  });
});

describe('"Allow public client flows" = No at sign-in (issue 9.12)', () => {
  let emu: TestEmulator;
  let rig: ServiceRig;
  let home: string;
  let svc: RunningService;
  let token: string;

  // Set up for device-code sign-in but not signed in: the test signs in itself.
  const notSignedInHome = async (emu: TestEmulator) => {
    await unthrottle(emu);
    await emu.call('PUT', '/_emulator/behaviour', { deviceCodeIntervalSeconds: 1 });
    const made = await setUpHome(emu, { clientId: DEMO_APPS.singleTenant, tenantId: DEMO_DOMAIN, to: TEAM });
    await configureHome(made.home);
    return made;
  };

  before(async () => {
    rig = await startServiceRig({ makeHome: notSignedInHome });
    ({ emu, home, svc, token } = rig);
  });
  after(() => rig?.stop());

  const deviceLogin = async () => {
    const login = startCli(['login', '--device-code'], { home });
    const [, code] = await login.waitFor(/enter the code (\S+) to authenticate/);
    await emu.call('POST', '/_emulator/devicecode/approve', { userCode: code, upn: SENDER });
    return login.done;
  };

  it('the warning names the portal fix, not `o365-notify login`; once fixed, it ends with one "resolved" e-mail naming the setting', async () => {
    const flows = (allow: boolean) => emu.call('PATCH', `/_emulator/apps/${DEMO_APPS.singleTenant}`, { allowPublicClientFlows: allow });
    assert.equal((await flows(false)).status, 200);
    const refused = await deviceLogin();
    assert.equal(refused.code, 1);
    assert.match(refused.stdout + refused.stderr, /AADSTS7000218/);

    const notice = await waitFor(async () => {
      const s = (await request(svc.url, 'GET', '/api/v1/status', { token })).json;
      return s.service.healthNotices.find((n: any) => n.subject === 'AADSTS7000218');
    }, 'the warning about public client flows');
    assert.equal(notice.kind, 'app-registration');
    assert.match(notice.message, /Allow public client flows/);
    assert.match(notice.message, /Azure portal \(App registrations > \(your app\) > Authentication > Advanced settings\)/);
    assert.doesNotMatch(notice.message, /run `o365-notify login`/);
    // The warning e-mail (queued: nobody can send before a sign-in) says the same, with the exact fix.
    const queued = (await request(svc.url, 'GET', '/api/v1/deliveries?bodies=1', { token })).json.deliveries.find((d: any) => d.notification.kind === 'health' && /app registration/.test(d.notification.subject));
    assert.ok(queued, 'a warning e-mail was queued');
    assert.match(queued.notification.subject, /The app registration refuses the sign-in: Allow public client flows/);
    assert.match(queued.notification.text, /Authentication > Advanced settings and set Allow public client flows = Yes/);
    assert.doesNotMatch(queued.notification.text, /run `o365-notify login`/);
    const refusedStatus = await runCli(['status'], { home });
    assert.match(refusedStatus.stdout, /First fix it in the Azure portal as below, then run `o365-notify login`/, refusedStatus.stdout);
    assert.match(refusedStatus.stdout, /Allow public client flows = Yes/);

    // Fixed in the portal; the sign-in works now.
    assert.equal((await flows(true)).status, 200);
    assert.equal((await deviceLogin()).code, 0);
    const mails = await waitFor(async () => {
      const m = await inbox(emu, TEAM);
      return m.some((x) => x.subject.startsWith('[Resolved]')) && m;
    }, 'the "resolved" e-mail');
    const resolved = mails.filter((m) => m.subject.startsWith('[Resolved]'));
    assert.equal(resolved.length, 1);
    assert.match(resolved[0].body.content, /Allow public client flows no longer refuses the sign-in \(AADSTS7000218 is gone\)/);
    assert.equal(mails.filter((m) => m.subject.startsWith('[Action needed]')).length, 0, 'the stale warning is not sent');
    await waitFor(async () => (await request(svc.url, 'GET', '/api/v1/status', { token })).json.service.healthNotices.length === 0, 'no warning left');
    const cli = await runCli(['status'], { home });
    assert.doesNotMatch(cli.stdout, /Warning \(|Sign in again needed/);
  });
});
