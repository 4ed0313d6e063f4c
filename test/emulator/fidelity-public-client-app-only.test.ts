import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { runCli, tempHome } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

/**
 * Issue 13.13: client credentials on the registration the delegated guide makes ("Allow public client
 * flows" = Yes, i.e. isFallbackPublicClient). The flag is the client type Entra falls back to when a
 * request shows none (https://learn.microsoft.com/graph/api/resources/application); a client-credentials
 * request has no redirect URI, so the app is a public client and its secret is refused with
 * AADSTS700025 (met in pnp/cli-microsoft365#948, fixed by setting "Public client" to No). The
 * emulator takes that stricter reading; the product names the setting and the separate registration.
 */

const SENDER = `alerts@${DEMO_DOMAIN}`;

describe('app-only on a registration that allows public client flows (issue 13.13)', () => {
  let emu: TestEmulator;
  let home: { home: string; cleanup: () => Promise<void> };
  before(async () => {
    emu = await startTestEmulator();
    // The guide's single-tenant registration, with the Mail.Send application permission granted too.
    const consent = await emu.call('POST', '/_emulator/consent', { clientId: DEMO_APPS.singleTenant, tenant: DEMO_DOMAIN, application: ['Mail.Send'] });
    assert.equal(consent.status, 201, consent.text);
    home = await tempHome();
    const secret = emu.seededSecrets.find((s) => s.clientId === DEMO_APPS.singleTenant)!;
    const setup = await runCli(
      ['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, '--account-type', 'single-tenant', '--client-id', DEMO_APPS.singleTenant,
        '--tenant-id', DEMO_TENANT_ID, '--auth', 'app-only', '--sender', SENDER, '--client-secret-stdin', '--secret-expires', secret.expiresAt.slice(0, 10)],
      { home: home.home, stdin: secret.value },
    );
    assert.equal(setup.code, 0, setup.stderr);
  });
  after(async () => {
    await home?.cleanup();
    await emu?.stop();
  });

  it('`login` fails with AADSTS700025 explained as the public client flows setting, not as a secret to drop', async () => {
    const login = await runCli(['login'], { home: home.home });
    assert.equal(login.code, 1, login.stdout + login.stderr);
    const out = login.stdout + login.stderr;
    assert.match(out, /AADSTS700025/);
    assert.match(out, /App-only sending on a registration that allows public client flows/);
    assert.match(out, /Allow public client flows: No/);
    assert.match(out, /o365-notify register --auth app-only/);
    assert.doesNotMatch(out, /Remove the Client Secret/, 'the delegated advice would break app-only sending');
  });

  it('with the other reading switched on (client credentials allowed), the same registration signs in', async () => {
    assert.equal((await emu.call('PUT', '/_emulator/behaviour', { clientCredentialsOnPublicClientApps: 1 })).status, 200);
    try {
      const login = await runCli(['login'], { home: home.home });
      assert.equal(login.code, 0, login.stdout + login.stderr);
    } finally {
      await emu.call('PUT', '/_emulator/behaviour', { clientCredentialsOnPublicClientApps: 0 });
    }
  });
});
