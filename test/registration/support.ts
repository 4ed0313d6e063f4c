import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { DEMO_TENANT_ID } from '../../src/emulator/index.js';
import { startCli, tempHome } from '../support/cli.js';
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
