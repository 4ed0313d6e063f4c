import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { completeBrowserSignIn, createBrowserSignInRequest } from '../../src/auth/sign-in.js';
import { openAuthSession, SignInError } from '../../src/auth/index.js';
import { DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { runCli, tempHome, testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { signIn } from '../support/msal.js';

/**
 * Issue 13.2: Entra ignores the port of every localhost redirect URI and then applies the platform
 * of the URI that matched (https://learn.microsoft.com/entra/identity-platform/reply-url, "Localhost
 * exceptions"). http://localhost under Web passes /authorize at any port; the code redemption then
 * wants a secret (AADSTS7000218) or succeeds with one. The product names the wrong platform.
 */

const ALERTS = `alerts@${DEMO_DOMAIN}`;
const REDIRECT = 'http://localhost:53123';

describe('localhost on the Web platform (issue 13.2)', () => {
  let emu: TestEmulator;
  const cleanups: (() => Promise<void>)[] = [];
  before(async () => {
    emu = await startTestEmulator();
  });
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
    await emu.stop();
  });

  async function webApp(web: string[] = ['http://localhost'], mobileAndDesktop: string[] = []): Promise<{ clientId: string; secret: string }> {
    const res = await emu.call('POST', '/_emulator/apps', {
      displayName: `ImageManager ${randomUUID().slice(0, 8)}`,
      tenant: DEMO_DOMAIN,
      signInAudience: 'AzureADMyOrg',
      redirectUris: { web, mobileAndDesktop },
      allowPublicClientFlows: true,
      delegatedPermissions: ['Mail.Send'],
      secrets: [{ displayName: 'ImageManager', expiresInDays: 180 }],
      consent: [{ tenant: DEMO_DOMAIN, delegated: ['Mail.Send'] }],
    });
    assert.equal(res.status, 201, res.text);
    return { clientId: res.json().clientId, secret: res.json().secretValues[0].value };
  }

  async function home(clientId: string, secret?: string): Promise<string> {
    const { home: dir, cleanup } = await tempHome();
    cleanups.push(cleanup);
    const secretFlags = secret ? ['--client-secret-stdin', '--secret-expires', new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10)] : [];
    const r = await runCli(
      ['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, '--account-type', 'single-tenant', '--client-id', clientId,
        '--tenant-id', DEMO_TENANT_ID, '--auth', 'browser', ...secretFlags],
      { home: dir, stdin: secret },
    );
    assert.equal(r.code, 0, r.stderr);
    return dir;
  }

  /** The product's browser sign-in against REDIRECT, the pages walked as a browser would. */
  async function browserSignIn(dir: string) {
    const session = await openAuthSession({ home: dir, env: testEnv(dir) });
    const request = await createBrowserSignInRequest(session, REDIRECT);
    const step = await signIn(emu, request.url, ALERTS, { consent: 'accept' });
    assert.equal(step.kind, 'redirect', 'Entra passes /authorize: the Web URI http://localhost matched port 53123');
    if (step.kind !== 'redirect') throw new Error('no redirect');
    assert.equal(step.location.port, '53123');
    return completeBrowserSignIn(session, request, { code: step.fields.code, state: step.fields.state, clientInfo: step.fields.client_info });
  }

  it('emulator: a Web http://localhost matches any port at /authorize; redemption without a secret is AADSTS7000218, with the secret it succeeds', async () => {
    const { clientId, secret } = await webApp();
    const authorize = (port: number) =>
      `${emu.url}/${DEMO_TENANT_ID}/oauth2/v2.0/authorize?client_id=${clientId}&response_type=code&scope=Mail.Send&redirect_uri=${encodeURIComponent(`http://localhost:${port}`)}`;
    for (const port of [1234, 53123]) {
      const step = await signIn(emu, authorize(port), ALERTS, { consent: 'accept' });
      assert.equal(step.kind, 'redirect');
      if (step.kind !== 'redirect') return;
      const form = (extra: Record<string, string>) =>
        new URLSearchParams({ client_id: clientId, grant_type: 'authorization_code', code: step.fields.code!, redirect_uri: `http://localhost:${port}`, ...extra }).toString();
      const headers = { 'content-type': 'application/x-www-form-urlencoded' };
      const pub = await emu.call('POST', `/${DEMO_TENANT_ID}/oauth2/v2.0/token`, form({}), headers);
      assert.equal(pub.status, 401, pub.text);
      assert.equal(pub.json().error, 'invalid_client');
      assert.match(pub.json().error_description, /^AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'\./);
      const conf = await emu.call('POST', `/${DEMO_TENANT_ID}/oauth2/v2.0/token`, form({ client_secret: secret }), headers);
      assert.equal(conf.status, 200, conf.text);
      assert.ok(conf.json().access_token);
    }
  });

  it('emulator: a Web URI on another host still matches exactly (port included)', async () => {
    const { clientId } = await webApp(['https://app.example:8443/cb'], ['http://localhost']);
    const res = await emu.call('GET', `/${DEMO_TENANT_ID}/oauth2/v2.0/authorize?client_id=${clientId}&response_type=code&scope=Mail.Send&redirect_uri=${encodeURIComponent('https://app.example:9443/cb')}`);
    assert.equal(res.status, 400);
    assert.match(res.text, /AADSTS50011/);
  });

  it('product without a secret: sign-in fails, the diagnosis names the Web platform and the move to Mobile and desktop applications', async () => {
    const { clientId } = await webApp();
    const dir = await home(clientId);
    const err = await browserSignIn(dir).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SignInError, String(err));
    assert.equal(err.diagnosis?.code, 'AADSTS7000218');
    assert.equal(err.diagnosis?.guideStep, 'redirect-uri');
    assert.match(err.diagnosis!.cause, /under Web/);
    assert.match(err.diagnosis!.fix, /Mobile and desktop applications/);
    assert.doesNotMatch(err.diagnosis!.fix, /Allow public client flows/);

    const status = await runCli(['--json', 'status'], { home: dir });
    const s = JSON.parse(status.stdout);
    assert.equal(s.problem?.diagnosis?.code, 'AADSTS7000218');
    assert.equal(s.problem?.diagnosis?.guideStep, 'redirect-uri', status.stdout);
  });

  it('product with the secret stored: the same registration signs in as a confidential client', async () => {
    const { clientId, secret } = await webApp();
    const dir = await home(clientId, secret);
    const result = await browserSignIn(dir);
    assert.equal(result.account.username.toLowerCase(), ALERTS);
    const status = await runCli(['--json', 'status'], { home: dir });
    assert.equal(JSON.parse(status.stdout).problem ?? null, null, status.stdout);
  });
});
