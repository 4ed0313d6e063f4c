import { Writable } from 'node:stream';
import { readSettingsFile, saveSettings } from '../../src/config/index.js';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../src/emulator/index.js';
import { createLogger } from '../../src/infra/index.js';
import { startService, type RunningService, type StartServiceOptions } from '../../src/server/index.js';
import { signedInHome, testEnv } from '../support/cli.js';
import type { TestEmulator } from '../support/emulator.js';

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

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** One HTTP request to the service. `body`: an object is sent as JSON; a string or Buffer as is. */
export async function request(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | ArrayBuffer | undefined;
  if (typeof options.body === 'string') body = options.body;
  else if (Buffer.isBuffer(options.body)) body = options.body.buffer.slice(options.body.byteOffset, options.body.byteOffset + options.body.byteLength) as ArrayBuffer;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(baseUrl + path, { method, headers, body });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Polls until `fn` returns a truthy value. */
export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

export async function waitFor<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 15_000): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last) return last as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The messages in a mailbox's inbox (the emulator's control API). */
export async function inbox(emu: TestEmulator, upn: string): Promise<any[]> {
  return (await emu.call('GET', `/_emulator/mailboxes/${upn}/messages?folder=inbox&includeContent=1`)).json();
}

export function header(message: any, name: string): string | undefined {
  return message.internetMessageHeaders?.find((h: { name: string }) => h.name.toLowerCase() === name)?.value;
}
