import { Writable } from 'node:stream';
import { readSettingsFile, saveSettings } from '../../src/config/index.js';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { createLogger } from '../../src/infra/index.js';
import { rotateApiToken, startService, type RunningService, type StartServiceOptions } from '../../src/server/index.js';
import { signedInHome, testEnv } from './cli.js';
import { startTestEmulator, type TestEmulator } from './emulator.js';
import type { EmulatorOptions } from '../../packages/emulator/src/index.js';

// Starting the real service for a test: a home against the emulator, fast timings, log capture.

export const SENDER = `alerts@${DEMO_DOMAIN}`;
export const TEAM = `it-team@${DEMO_DOMAIN}`;
export const ADMIN = `admin@${DEMO_DOMAIN}`;

/** Quick timings for tests: e-mails 200 ms after the first event of a group. */
export const FAST_NOTIFICATIONS = {
  group_by: ['agent'],
  group_wait: '200ms',
  group_interval: '1s',
  repeat_interval: '4h',
  daily_report: false,
};

/** Lets the emulator and the mail client send as fast as a test wants. */
export async function unthrottle(emu: TestEmulator): Promise<void> {
  await emu.call('PUT', '/_emulator/limits', { messagesPerMinute: 6000, requestsPer10Minutes: 100_000 });
}

/** Writes settings into an existing home: `notifications:` and the mail pace. */
export async function configureHome(home: string, notifications: Record<string, unknown> = FAST_NOTIFICATIONS): Promise<void> {
  const env = testEnv(home);
  const { settings } = await readSettingsFile(home, env);
  settings.mail.messagesPerMinute = 6000;
  settings.otherSections.notifications = notifications;
  await saveSettings(home, settings, env);
}

/** A home signed in against the emulator as alerts@ (e-mails to it-team@), with fast notification timings. */
export async function serviceHome(
  emu: TestEmulator,
  notifications: Record<string, unknown> = FAST_NOTIFICATIONS,
): Promise<{ home: string; cleanup: () => Promise<void> }> {
  await unthrottle(emu);
  const h = await signedInHome(emu, { clientId: DEMO_APPS.singleTenant, tenantId: DEMO_TENANT_ID, upn: SENDER, to: TEAM });
  await configureHome(h.home, notifications);
  return h;
}

/** Log lines the service wrote, parsed. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  records(): Record<string, any>[] {
    return this.lines.map((l) => JSON.parse(l));
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export async function startTestService(home: string, options: Partial<StartServiceOptions> = {}): Promise<{ svc: RunningService; logs: LogCapture }> {
  const logs = new LogCapture();
  const svc = await startService({
    home,
    env: testEnv(home),
    host: '127.0.0.1',
    port: 0,
    logger: createLogger({ destination: logs.stream, level: 'info' }),
    tickIntervalMs: 50,
    signInCheckEveryMs: 200,
    delivery: { retryBaseMs: 200, retryMaxMs: 2000 },
    withoutPage: true,
    ...options,
  });
  return { svc, logs };
}

/** The emulator, a home made on it, and the service running there with an API token: one test's world. */
export interface ServiceRig {
  emu: TestEmulator;
  home: string;
  svc: RunningService;
  logs: LogCapture;
  /** The service's API token (Bearer). */
  token: string;
  /** Stops the service and the emulator and removes the home. */
  stop(): Promise<void>;
}

/**
 * Starts the emulator, makes the home with `makeHome` (default: `serviceHome`, signed in as SENDER),
 * issues an API token and starts the service. A start that fails half-way stops what it started.
 */
export async function startServiceRig(
  options: {
    makeHome?: (emu: TestEmulator) => Promise<{ home: string; cleanup: () => Promise<void> }>;
    emulator?: Partial<EmulatorOptions>;
    service?: Partial<StartServiceOptions>;
  } = {},
): Promise<ServiceRig> {
  const emu = await startTestEmulator(options.emulator);
  let made: { home: string; cleanup: () => Promise<void> } | undefined;
  let svc: RunningService | undefined;
  const stop = async () => {
    try {
      await svc?.close();
    } finally {
      await emu.stop();
      await made?.cleanup();
    }
  };
  try {
    made = await (options.makeHome ?? serviceHome)(emu);
    const token = (await rotateApiToken(made.home)).token;
    const started = await startTestService(made.home, options.service);
    svc = started.svc;
    return { emu, home: made.home, svc, logs: started.logs, token, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
