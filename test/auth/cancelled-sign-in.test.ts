import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { runCli, signedInHome, testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

describe('a cancelled or failed sign-in leaves the existing one as it was (issue 9.11)', () => {
  let emu: TestEmulator;
  let home: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    emu = await startTestEmulator();
    ({ home, cleanup } = await signedInHome(emu, { clientId: DEMO_APPS.singleTenant, tenantId: DEMO_TENANT_ID, upn: `alerts@${DEMO_DOMAIN}`, to: `it-team@${DEMO_DOMAIN}` }));
  });
  after(async () => {
    await cleanup();
    await emu.stop();
  });

  it('Ctrl-C during a device-code login says "cancelled" (not AADSTS70016) and status still says signed in', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve('src/cli/bin.ts'), '--home', home, 'login', '--device-code'], { env: testEnv(home), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const deadline = Date.now() + 30_000;
    while (!/enter the code/.test(out)) {
      if (Date.now() > deadline) throw new Error(`no device code shown: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Let at least one poll answer authorization_pending before Ctrl-C.
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 1, out);
    assert.match(out, /Sign-in cancelled/);
    assert.doesNotMatch(out, /AADSTS70016|authorization_pending/);
    const status = await runCli(['status'], { home });
    assert.doesNotMatch(status.stdout, /Sign in again needed/, status.stdout);
    assert.match(status.stdout, /alerts@/);
  });

  it('a failed new attempt (the code expires) does not mark the working sign-in broken', async () => {
    const r = await runCli(['login', '--device-code', '--timeout', '2'], { home });
    assert.equal(r.code, 1);
    const status = await runCli(['status'], { home });
    assert.doesNotMatch(status.stdout, /Sign in again needed/, status.stdout);
    const test = await runCli(['test'], { home });
    assert.equal(test.code, 0, test.stdout + test.stderr);
  });
});
