import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { runCli, signedInHome, tempHome } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

describe('doctor: live checks in order, stopping at the first failure', () => {
  let emu: TestEmulator;
  const cleanups: (() => Promise<void>)[] = [];
  before(async () => {
    emu = await startTestEmulator();
  });
  after(async () => {
    for (const c of cleanups) await c();
    await emu.stop();
  });

  it('passes every check on a good setup and the test e-mail arrives', async () => {
    const { home, cleanup } = await signedInHome(emu, { clientId: DEMO_APPS.singleTenant, tenantId: DEMO_TENANT_ID, upn: `alerts@${DEMO_DOMAIN}`, to: `it-team@${DEMO_DOMAIN}` });
    cleanups.push(cleanup);
    const r = await runCli(['--json', 'doctor'], { home });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.checks.map((c: { name: string }) => c.name), ['settings', 'registration', 'authority', 'token', 'public client flows', 'Mail.Send', 'test send']);
    assert.ok(out.checks.every((c: { ok: boolean }) => c.ok));
    const inbox = (await emu.call('GET', `/_emulator/mailboxes/it-team@${DEMO_DOMAIN}/messages`)).json();
    assert.ok(inbox.some((m: { subject: string }) => m.subject.includes('doctor')));
  });

  it('fails when "Allow public client flows" is No, before the service\'s refresh would (issue 9.13)', async () => {
    const { home, cleanup } = await signedInHome(emu, { clientId: DEMO_APPS.singleTenant, tenantId: DEMO_TENANT_ID, upn: `alerts@${DEMO_DOMAIN}`, to: `it-team@${DEMO_DOMAIN}` });
    cleanups.push(cleanup);
    const off = await emu.call('PATCH', `/_emulator/apps/${DEMO_APPS.singleTenant}`, { allowPublicClientFlows: false });
    assert.equal(off.status, 200, off.text);
    try {
      const r = await runCli(['doctor', '--no-send'], { home });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /FAIL {2}public client flows: "Allow public client flows" is No/);
      assert.match(r.stdout, /AADSTS7000218/);
    } finally {
      await emu.call('PATCH', `/_emulator/apps/${DEMO_APPS.singleTenant}`, { allowPublicClientFlows: true });
    }
  });

  it('stops at the authority with AADSTS90002 when the Tenant ID does not exist', async () => {
    const { home, cleanup } = await tempHome();
    cleanups.push(cleanup);
    const setup = await runCli(['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, '--account-type', 'single-tenant',
      '--client-id', DEMO_APPS.singleTenant, '--tenant-id', randomUUID(), '--auth', 'device-code'], { home });
    assert.equal(setup.code, 0, setup.stderr);
    const r = await runCli(['doctor'], { home });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL {2}authority/);
    assert.match(r.stdout, /AADSTS90002/);
    assert.doesNotMatch(r.stdout, /test send/);
  });

  it('stops at the settings when they break the guide', async () => {
    const { home, cleanup } = await tempHome();
    cleanups.push(cleanup);
    const r = await runCli(['--json', 'doctor'], { home });
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout);
    assert.equal(out.checks.length, 1);
    assert.equal(out.checks[0].name, 'settings');
    assert.equal(out.checks[0].ok, false);
  });

  it('stops at the token when no one is signed in', async () => {
    const { home, cleanup } = await tempHome();
    cleanups.push(cleanup);
    await runCli(['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, '--account-type', 'single-tenant',
      '--client-id', DEMO_APPS.singleTenant, '--tenant-id', DEMO_TENANT_ID, '--auth', 'device-code'], { home });
    const r = await runCli(['doctor'], { home });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL {2}token/);
    assert.match(r.stdout, /o365-notify login/);
  });
});
