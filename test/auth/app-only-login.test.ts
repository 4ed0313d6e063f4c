import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_APPS, DEMO_DOMAIN } from '../../packages/emulator/src/index.js';
import { runCli, tempHome } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

/** App-only `login` through the CLI against the emulator (issue 9.14 and the "tenant ." small one). */
describe('app-only login', () => {
  let emu: TestEmulator;
  let home: string;
  let cleanup: () => Promise<void>;

  before(async () => {
    emu = await startTestEmulator();
    ({ home, cleanup } = await tempHome());
    const secret = emu.seededSecrets.find((s) => s.clientId === DEMO_APPS.appOnly)!;
    const setup = await runCli(
      ['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, '--account-type', 'single-tenant', '--client-id', DEMO_APPS.appOnly,
        '--tenant-id', DEMO_DOMAIN, '--auth', 'app-only', '--sender', `alerts@${DEMO_DOMAIN}`, '--client-secret-stdin', '--secret-expires', secret.expiresAt.slice(0, 10)],
      { home, stdin: secret.value + '\n' },
    );
    assert.equal(setup.code, 0, setup.stderr);
  });
  after(async () => {
    await emu.stop();
    await cleanup();
  });

  it('names the tenant it signed in to, never "tenant ." (issue 9, small ones)', async () => {
    const login = await runCli(['login'], { home });
    assert.equal(login.code, 0, login.stdout + login.stderr);
    assert.doesNotMatch(login.stdout, /tenant \.|tenant \)|\(tenant\s*\)/);
    assert.match(login.stdout, new RegExp(`tenant ${DEMO_DOMAIN.replace(/\./g, '\\.')}\\.`), 'the configured tenant when the token names none');
    assert.match(login.stdout, /Mail\.Send/);
  });

  it('after the permission is granted, `login` takes a fresh token at once, not the cached one without it (issue 9.14)', async () => {
    // The administrator removes the application permission's consent; login is refused and says why.
    const revoke = await emu.call('DELETE', `/_emulator/consent?clientId=${DEMO_APPS.appOnly}&tenant=${DEMO_DOMAIN}`);
    assert.equal(revoke.status, 200, revoke.text);
    const refused = await runCli(['login'], { home });
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stdout + refused.stderr, /Mail\.Send/);
    const tokensBefore = (await emu.call('GET', '/_emulator/stats')).json();

    // Granted again in the portal: the advised re-run of `login` works at once (the refused
    // token is still valid for an hour in the cache; only a fresh one carries the permission).
    const grant = await emu.call('POST', '/_emulator/consent', { clientId: DEMO_APPS.appOnly, tenant: DEMO_DOMAIN, application: ['Mail.Send'] });
    assert.equal(grant.status, 201, grant.text);
    const again = await runCli(['login'], { home });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /Mail\.Send/);
    const tokensAfter = (await emu.call('GET', '/_emulator/stats')).json();
    assert.notDeepEqual(tokensAfter, tokensBefore, 'the token endpoint was asked again');
  });
});
