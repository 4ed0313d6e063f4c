import assert from 'node:assert/strict';
import { after, afterEach, before } from 'node:test';
import { DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/infra/index.js';
import { rotateApiToken } from '../../src/server/api-token.js';
import { startService, type RunningService } from '../../src/server/runtime.js';
import { startCli, tempHome, testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

/**
 * One emulator tenant for a registration test file (started before its tests, stopped after them):
 * throwaway homes, the device-code sign-in an administrator approves, and the flags that point
 * `register` and friends at the emulator.
 */
export interface RegistrationTenant {
  readonly emu: TestEmulator;
  /** A throwaway home, removed after the file's tests. */
  newHome(): Promise<string>;
  /** Runs a command that signs someone in by device code, approving the code as `upn` through the control API. */
  withDeviceCode(args: string[], home: string, upn: string): ReturnType<typeof startCli>['done'];
  /** --emulator, --emulator-ca and --tenant-id for the demo tenant. */
  flags(): string[];
}

export function registrationTenant(): RegistrationTenant {
  let emu: TestEmulator | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  before(async () => {
    emu = await startTestEmulator();
    await emu.call('PUT', '/_emulator/behaviour', { deviceCodeIntervalSeconds: 1 });
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await emu?.stop();
  });
  const started = (): TestEmulator => {
    assert.ok(emu, 'the emulator starts in the before hook');
    return emu;
  };
  return {
    get emu() {
      return started();
    },
    async newHome() {
      const { home, cleanup } = await tempHome();
      cleanups.push(cleanup);
      return home;
    },
    async withDeviceCode(args, home, upn) {
      const run = startCli(args, { home });
      const [, code] = await run.waitFor(/enter the code (\S+) to authenticate/);
      const approve = await started().call('POST', '/_emulator/devicecode/approve', { userCode: code, upn });
      assert.equal(approve.status, 200, approve.text);
      return run.done;
    },
    flags: () => ['--emulator', started().url, '--emulator-ca', started().caPath, '--tenant-id', DEMO_TENANT_ID],
  };
}

/**
 * A running service for the credential-renewal tests (secret and certificate): its log lines kept
 * in `lines`, fast ticks and retries, no page; `post` sends n ImageManager alerts through its API.
 */
export interface RenewalService {
  svc: RunningService;
  lines: string[];
  post(n: number, from: number): Promise<void>;
}

/**
 * `serve(home)` for a describe block: each test's services stop with the test, before the tenant's
 * emulator and homes go.
 */
export function renewalServices(): (home: string, options?: { secretCheckEveryMs?: number }) => Promise<RenewalService> {
  const services: RunningService[] = [];
  afterEach(async () => {
    for (const svc of services.splice(0).reverse()) await svc.close();
  });
  return async (home, options) => {
    const running = await startRenewalService(home, options);
    services.push(running.svc);
    return running;
  };
}

export async function startRenewalService(home: string, options: { secretCheckEveryMs?: number } = {}): Promise<RenewalService> {
  const lines: string[] = [];
  const { token } = await rotateApiToken(home);
  const svc = await startService({
    home,
    env: testEnv(home),
    host: '127.0.0.1',
    port: 0,
    logger: createLogger({ destination: new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }) }),
    tickIntervalMs: 50,
    delivery: { retryBaseMs: 200, retryMaxMs: 2000 },
    withoutPage: true,
    secretCheckEveryMs: options.secretCheckEveryMs,
  });
  const post = async (n: number, from: number) => {
    const events = Array.from({ length: n }, (_, i) => ({ type: 'imagemanager.verification_failed', agent: `SRV-${from + i}`, folder: 'D:\\Backups', summary: `Verification failed on SRV-${from + i}` }));
    const r = await fetch(`${svc.url}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(events) });
    assert.equal(r.status, 202, await r.text());
  };
  return { svc, lines, post };
}
