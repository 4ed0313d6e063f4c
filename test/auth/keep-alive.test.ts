import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTokenProvider, openAuthSession, readAuthState, startKeepAlive, updateAuthState } from '../../src/auth/index.js';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { runCli, startCli, tempHome, testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

const DAY = 86_400;

describe('keep-alive: the sign-in survives quiet months', () => {
  let emu: TestEmulator;
  let home: string;
  let cleanup: () => Promise<void>;

  before(async () => {
    emu = await startTestEmulator();
    await emu.call('PUT', '/_emulator/behaviour', { deviceCodeIntervalSeconds: 1 });
    ({ home, cleanup } = await tempHome());
    const setup = await runCli(
      ['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, '--account-type', 'single-tenant',
        '--client-id', DEMO_APPS.singleTenant, '--tenant-id', DEMO_TENANT_ID, '--auth', 'device-code'],
      { home },
    );
    assert.equal(setup.code, 0, setup.stderr);
    const login = startCli(['login', '--device-code'], { home });
    const [, code] = await login.waitFor(/enter the code (\S+) to authenticate/);
    await emu.call('POST', '/_emulator/devicecode/approve', { userCode: code, upn: `alerts@${DEMO_DOMAIN}` });
    assert.equal((await login.done).code, 0);
  });
  after(async () => {
    await emu.stop();
    await cleanup();
  });

  it('refreshes a week-old refresh token, records the rotation, and so outlives 90 days without sends', async () => {
    const session = await openAuthSession({ home, env: testEnv(home) });
    const provider = createTokenProvider(session);
    // Eleven quiet weeks: each week the refresh token is a week old, keep-alive rotates it.
    for (let week = 1; week <= 14; week++) {
      await emu.call('POST', '/_emulator/clock', { advanceSeconds: 7 * DAY });
      await updateAuthState(home, (s) => ({ ...s, lastRefreshAt: new Date(Date.now() - 7 * DAY * 1000 - 1000).toISOString() }));
      const results: { refreshed: boolean; error?: Error }[] = [];
      const stop = startKeepAlive({ home, provider, checkEveryMs: 60_000, onResult: (r) => results.push(r) });
      while (results.length === 0) await new Promise((r) => setTimeout(r, 20));
      stop();
      assert.equal(results[0]!.error, undefined, `week ${week}: ${results[0]!.error?.message}`);
      assert.equal(results[0]!.refreshed, true);
    }
    const state = await readAuthState(home);
    assert.ok(Date.now() - Date.parse(state.lastRefreshAt!) < 60_000);
    assert.equal(state.problem, undefined);
    const grants = (await emu.call('GET', '/_emulator/stats')).json().tokenGrantsByType;
    assert.ok(grants.refresh_token >= 14);
  });

  it('does nothing while the refresh token is fresh', async () => {
    const session = await openAuthSession({ home, env: testEnv(home) });
    const before_ = (await emu.call('GET', '/_emulator/stats')).json().tokenGrantsByType.refresh_token;
    const results: { refreshed: boolean }[] = [];
    const stop = startKeepAlive({ home, provider: createTokenProvider(session), onResult: (r) => results.push(r) });
    while (results.length === 0) await new Promise((r) => setTimeout(r, 20));
    stop();
    assert.equal(results[0]!.refreshed, false);
    assert.equal((await emu.call('GET', '/_emulator/stats')).json().tokenGrantsByType.refresh_token, before_);
  });

  it('without keep-alive, 91 quiet days end the sign-in: AADSTS700082, "sign in again" in status', async () => {
    await emu.call('POST', '/_emulator/clock', { advanceSeconds: 91 * DAY });
    const session = await openAuthSession({ home, env: testEnv(home) });
    await assert.rejects(createTokenProvider(session).getAccessToken({ forceRefresh: true }));
    const status = await runCli(['--json', 'status'], { home });
    assert.equal(status.code, 1);
    const s = JSON.parse(status.stdout);
    assert.equal(s.signInRequired, true);
    assert.equal(s.problem.diagnosis.code, 'AADSTS700082');
    assert.equal(s.problem.diagnosis.guideStep, 'sign-in-again');
  });
});
