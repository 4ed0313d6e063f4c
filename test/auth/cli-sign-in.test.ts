import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { createTokenProvider, openAuthSession } from '../../src/auth/index.js';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { allFiles, runCli, startCli, tempHome, testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';


const ACCOUNT_TYPES = [
  { type: 'single-tenant', clientId: DEMO_APPS.singleTenant, tenant: DEMO_TENANT_ID, upn: `alerts@${DEMO_DOMAIN}` },
  { type: 'multi-tenant', clientId: DEMO_APPS.multiTenant, tenant: undefined, upn: `alerts@${DEMO_DOMAIN}` },
  { type: 'multi-tenant-personal', clientId: DEMO_APPS.multiTenantPersonal, tenant: undefined, upn: 'alex@outlook.com' },
] as const;

describe('sign-in end to end through the CLI, against the emulator', () => {
  let emu: TestEmulator;
  before(async () => {
    emu = await startTestEmulator();
    // Entra asks clients to poll every 5 s; 1 s keeps the tests short.
    await emu.call('PUT', '/_emulator/behaviour', { deviceCodeIntervalSeconds: 1 });
  });
  after(async () => {
    await emu.stop();
  });

  async function setup(home: string, flags: string[]): Promise<void> {
    const r = await runCli(['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, ...flags], { home });
    assert.equal(r.code, 0, r.stderr);
  }

  async function deviceCodeLogin(home: string, upn: string) {
    const login = startCli(['login', '--device-code'], { home });
    const [, code] = await login.waitFor(/enter the code (\S+) to authenticate/);
    const approve = await emu.call('POST', '/_emulator/devicecode/approve', { userCode: code, upn });
    assert.equal(approve.status, 200, approve.text);
    return login.done;
  }

  for (const account of ACCOUNT_TYPES) {
    it(`${account.type}: setup from flags, device-code sign-in, Mail.Send in the token, silent refresh, status, logout`, async () => {
      const { home, cleanup } = await tempHome();
      try {
        await setup(home, [
          '--account-type', account.type, '--client-id', account.clientId,
          ...(account.tenant ? ['--tenant-id', account.tenant] : []),
          '--auth', 'device-code', '--to', `it-team@${DEMO_DOMAIN}`,
        ]);
        const login = await deviceCodeLogin(home, account.upn);
        assert.equal(login.code, 0, login.stdout + login.stderr);
        assert.match(login.stdout, new RegExp(`Signed in as ${account.upn}`, 'i'));
        assert.match(login.stdout, /Mail\.Send/);

        const session = await openAuthSession({ home, env: testEnv(home) });
        const provider = createTokenProvider(session);
        const token = await provider.getAccessToken();
        assert.ok(token.scopes.some((s) => /mail\.send/i.test(s)));
        const grantsBefore = (await emu.call('GET', '/_emulator/stats')).json().tokenGrantsByType.refresh_token ?? 0;
        const refreshed = await provider.getAccessToken({ forceRefresh: true });
        assert.notEqual(refreshed.accessToken, token.accessToken);
        const grantsAfter = (await emu.call('GET', '/_emulator/stats')).json().tokenGrantsByType.refresh_token ?? 0;
        assert.equal(grantsAfter, grantsBefore + 1);

        const status = await runCli(['--json', 'status'], { home });
        assert.equal(status.code, 0, status.stdout + status.stderr);
        const s = JSON.parse(status.stdout);
        assert.equal(s.signedIn, true);
        assert.equal(s.account, account.upn);
        assert.ok(s.lastRefreshAt, 'the refresh is recorded');
        assert.equal(s.refreshTokenAgeDays, 0);
        assert.ok(Date.parse(s.refreshTokenExpiresBy) > Date.now() + 89 * 86_400_000);

        // Tokens and the secret live only encrypted: nothing in the home dir shows them.
        for (const file of await allFiles(home)) {
          const text = await readFile(file, 'utf8');
          assert.ok(!text.includes(refreshed.accessToken), `access token in ${file}`);
          assert.ok(!/"secret"\s*:\s*"[^"]{20,}/.test(text) || file.endsWith('.enc'), `refresh token in ${file}`);
          if (file.endsWith('.enc')) assert.equal((await stat(file)).mode & 0o077, 0, `${file} is private`);
        }

        const logout = await runCli(['logout'], { home });
        assert.equal(logout.code, 0);
        const afterLogout = await runCli(['--json', 'status'], { home });
        assert.equal(afterLogout.code, 1);
        assert.equal(JSON.parse(afterLogout.stdout).signInRequired, true);
      } finally {
        await cleanup();
      }
    });
  }

  it('app-only: client credentials with the stored secret; the token carries the Mail.Send application permission', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const secret = emu.seededSecrets.find((s) => s.clientId === DEMO_APPS.appOnly)!;
      const r = await runCli(
        ['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, '--account-type', 'single-tenant',
          '--client-id', DEMO_APPS.appOnly, '--tenant-id', DEMO_DOMAIN, '--auth', 'app-only', '--sender', `alerts@${DEMO_DOMAIN}`,
          '--client-secret-stdin', '--secret-expires', secret.expiresAt.slice(0, 10)],
        { home, stdin: secret.value + '\n' },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stdout.includes(secret.value) && !r.stderr.includes(secret.value));
      const login = await runCli(['login'], { home });
      assert.equal(login.code, 0, login.stdout + login.stderr);
      assert.match(login.stdout, /Mail\.Send/);
      const show = await runCli(['config', 'show'], { home });
      assert.ok(!show.stdout.includes(secret.value));
      assert.match(show.stdout, /set \(expires/);
      for (const file of await allFiles(home)) {
        assert.ok(!(await readFile(file, 'utf8')).includes(secret.value), `secret in plain text in ${file}`);
      }
    } finally {
      await cleanup();
    }
  });
});
