import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { entraState } from '../../packages/emulator/src/entra/index.js';
import { allFiles, runCli, startCli, tempHome, type CliRun } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';


/**
 * Setup + sign-in + sends, then a search of the whole home dir and all output for the client
 * secret and every token the emulator issued: none may appear in plain text.
 */
describe('secrets and tokens never appear in plain text', () => {
  let emu: TestEmulator;
  const issuedRefreshTokens: string[] = [];
  const issuedJwts: string[] = [];
  const outputs: CliRun[] = [];
  const homes: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    emu = await startTestEmulator();
    await emu.call('PUT', '/_emulator/behaviour', { deviceCodeIntervalSeconds: 1 });
    // Record every token the emulator hands out (its own store keeps only hashes).
    const grants = entraState(emu.context).grants;
    const issue = grants.issueRefreshToken.bind(grants);
    grants.issueRefreshToken = (record) => {
      const value = issue(record);
      issuedRefreshTokens.push(value);
      return value;
    };
    const sign = emu.context.signer.sign.bind(emu.context.signer);
    emu.context.signer.sign = async (claims) => {
      const jwt = await sign(claims);
      issuedJwts.push(jwt);
      return jwt;
    };
  });
  after(async () => {
    for (const c of cleanups) await c();
    await emu.stop();
  });

  const run = async (args: string[], home: string, stdin?: string) => {
    const r = await runCli(args, { home, stdin });
    outputs.push(r);
    return r;
  };

  it('delegated: a secret stored (not needed), device-code sign-in, refresh, sends', async () => {
    const { home, cleanup } = await tempHome();
    homes.push(home);
    cleanups.push(cleanup);
    const secret = emu.seededSecrets.find((s) => s.clientId === DEMO_APPS.singleTenant)!.value;
    const setup = await run(['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, '--account-type', 'single-tenant',
      '--client-id', DEMO_APPS.singleTenant, '--tenant-id', DEMO_TENANT_ID, '--auth', 'device-code', '--to', `it-team@${DEMO_DOMAIN}`,
      '--client-secret-stdin'], home, secret);
    assert.equal(setup.code, 0, setup.stderr);
    const login = startCli(['login', '--device-code'], { home });
    const [, code] = await login.waitFor(/enter the code (\S+) to authenticate/);
    await emu.call('POST', '/_emulator/devicecode/approve', { userCode: code, upn: `alerts@${DEMO_DOMAIN}` });
    outputs.push(await login.done);
    assert.equal((await run(['test'], home)).code, 0);
    await emu.call('POST', '/_emulator/clock', { advanceSeconds: 2 * 3600 });
    assert.equal((await run(['test'], home)).code, 0, 'a refresh after the access token expired');
    for (const args of [['status'], ['--json', 'status'], ['config', 'show'], ['--json', 'config', 'show'], ['doctor', '--no-send']]) await run(args, home);
    assert.ok(issuedRefreshTokens.length >= 2, 'sign-in and refresh both issued refresh tokens');
  });

  it('app-only: secret from stdin, client credentials, send', async () => {
    const { home, cleanup } = await tempHome();
    homes.push(home);
    cleanups.push(cleanup);
    const secret = emu.seededSecrets.find((s) => s.clientId === DEMO_APPS.appOnly)!.value;
    await run(['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, '--account-type', 'single-tenant',
      '--client-id', DEMO_APPS.appOnly, '--tenant-id', DEMO_TENANT_ID, '--auth', 'app-only', '--sender', `alerts@${DEMO_DOMAIN}`,
      '--to', `it-team@${DEMO_DOMAIN}`, '--client-secret-stdin'], home, secret);
    assert.equal((await run(['login'], home)).code, 0);
    assert.equal((await run(['test'], home)).code, 0);
    await run(['--json', 'config', 'show'], home);
  });

  it('no file in the home dirs and no output line holds a secret or a token', async () => {
    const secrets = emu.seededSecrets.map((s) => s.value);
    const needles = [...secrets, ...issuedRefreshTokens, ...issuedJwts];
    assert.ok(issuedJwts.length >= 4);
    for (const home of homes) {
      for (const file of await allFiles(home)) {
        const bytes = await readFile(file);
        const text = bytes.toString('latin1');
        for (const needle of needles) assert.ok(!text.includes(needle), `${file} holds a secret or token in plain text`);
      }
    }
    for (const out of outputs) {
      for (const needle of needles) assert.ok(!(out.stdout + out.stderr).includes(needle), 'a secret or token was printed');
    }
  });
});
