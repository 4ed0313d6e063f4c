import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { runCli, tempHome } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

/**
 * Issue 13.4: MSAL.NET's maintainers found /devicecode errors sent with 200 OK
 * (AzureAD/microsoft-authentication-library-for-dotnet#1466). msal-node then hands the app an answer
 * without a code. The product must keep the error body whatever the status, say what Entra said
 * (here AADSTS700016, a Client ID that does not exist) and never show "enter the code undefined".
 */

describe('/devicecode errors with HTTP 200 (issue 13.4)', () => {
  let emu: TestEmulator;
  const cleanups: (() => Promise<void>)[] = [];
  before(async () => {
    emu = await startTestEmulator();
  });
  after(async () => {
    for (const c of cleanups) await c();
    await emu.stop();
  });

  async function homeWithUnknownClientId(): Promise<string> {
    const { home, cleanup } = await tempHome();
    cleanups.push(cleanup);
    const setup = await runCli(
      ['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, '--account-type', 'single-tenant', '--client-id', randomUUID(),
        '--tenant-id', DEMO_TENANT_ID, '--auth', 'device-code'],
      { home },
    );
    assert.equal(setup.code, 0, setup.stderr);
    return home;
  }

  it('emulator: with the switch on, a /devicecode error comes with 200 OK and Entra\'s error body', async () => {
    assert.equal((await emu.call('PUT', '/_emulator/behaviour', { deviceCodeErrorStatus: 200 })).status, 200);
    const res = await emu.call('POST', `/${DEMO_TENANT_ID}/oauth2/v2.0/devicecode`, new URLSearchParams({ client_id: randomUUID(), scope: 'Mail.Send' }).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(res.status, 200);
    assert.equal(res.json().error, 'unauthorized_client');
    assert.deepEqual(res.json().error_codes, [700016]);
    assert.equal(res.json().device_code, undefined);
  });

  for (const status of [200, 400]) {
    it(`product: \`login --device-code\` stops at the refusal (${status}) and names the Client ID step, showing no code`, async () => {
      assert.equal((await emu.call('PUT', '/_emulator/behaviour', { deviceCodeErrorStatus: status })).status, 200);
      const home = await homeWithUnknownClientId();
      const polls = async () => ((await emu.call('GET', '/_emulator/stats')).json().requestsByEndpoint['entra.token'] ?? 0) as number;
      const before_ = await polls();
      const login = await runCli(['login', '--device-code'], { home });
      const out = login.stdout + login.stderr;
      assert.equal(login.code, 1, out);
      assert.match(out, /AADSTS700016/);
      assert.doesNotMatch(out, /undefined/, 'no "enter the code undefined"');
      assert.doesNotMatch(out, /enter the code/);
      assert.equal((await polls()) - before_, 0, 'no polling of the token endpoint with a device code that does not exist');
      const status_ = JSON.parse((await runCli(['--json', 'status'], { home })).stdout);
      assert.equal(status_.problem?.diagnosis?.guideStep ?? status_.signIn?.problem?.diagnosis?.guideStep, 'client-id', JSON.stringify(status_).slice(0, 400));
    });
  }
});
