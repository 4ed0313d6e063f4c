/**
 * What the reliability tests share: a signed-in home with fast notification timings, the real
 * `o365-notify serve` process, a keep-alive HTTP client that tells a dropped connection from an
 * answer, a seeded PRNG, and a read-only look into the store after the service stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { readSettingsFile, saveSettings } from '../../src/config/index.js';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { serviceStorePath } from '../../src/server/paths.js';
import type { RunningService } from '../../src/server/runtime.js';
import { signedInHome, testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

export const SENDER = `alerts@${DEMO_DOMAIN}`;
export const TEAM = `it-team@${DEMO_DOMAIN}`;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every event its own e-mail group, e-mails 100 ms after a group's first event. */
export const PER_FOLDER_NOTIFICATIONS = {
  group_by: ['agent', 'folder'],
  group_wait: '100ms',
  group_interval: '1s',
  repeat_interval: '4h',
  daily_report: false,
};

/**
 * A home signed in as alerts@ (device code, approved through the control API), e-mails to
 * it-team@, the given `notifications:` section, and both sides' mail pace raised so a test
 * measures the service, not Exchange's 30 messages a minute (the home's `configuredPerMinute`
 * may be set below the emulator's `messagesPerMinute`).
 */
export async function reliabilityHome(
  emu: TestEmulator,
  notifications: Record<string, unknown>,
  messagesPerMinute = 6000,
  configuredPerMinute = messagesPerMinute,
): Promise<{ home: string; cleanup: () => Promise<void> }> {
  await emu.call('PUT', '/_emulator/limits', { messagesPerMinute, requestsPer10Minutes: 1_000_000 });
  const h = await signedInHome(emu, { clientId: DEMO_APPS.singleTenant, tenantId: DEMO_TENANT_ID, upn: SENDER, to: TEAM });
  const env = testEnv(h.home);
  const { settings } = await readSettingsFile(h.home, env);
  settings.mail.messagesPerMinute = configuredPerMinute;
  settings.otherSections.notifications = notifications;
  await saveSettings(h.home, settings, env);
  return h;
}

/**
 * Batch `b` of `size` events: groups of `alertsPerGroup` distinct alerts (dedupKey chain-N), each
 * group its own agent/folder pair (ten folders an agent, its number `agentDigits` wide).
 */
export function alertBatch(b: number, size: number, alertsPerGroup: number, agentDigits: number): object[] {
  return Array.from({ length: size }, (_, i) => {
    const group = b * (size / alertsPerGroup) + Math.floor(i / alertsPerGroup);
    return {
      type: 'imagemanager.verification_failed',
      severity: 'critical',
      agent: `SRV-${String(Math.floor(group / 10)).padStart(agentDigits, '0')}`,
      folder: `D:\\Backups\\Folder-${group % 10}`,
      dedupKey: `chain-${i % alertsPerGroup}`,
      summary: `Verification failed for image chain ${i % alertsPerGroup} (batch ${b})`,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP over real sockets

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** The connection ended (or failed) without an HTTP answer. */
export class DroppedConnectionError extends Error {
  constructor(
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'DroppedConnectionError';
  }
}

export function keepAliveAgent(maxSockets = 8): Agent {
  return new Agent({ keepAlive: true, maxSockets });
}

/**
 * One request through `agent`. `body`: an object is sent as JSON; a string or Buffer as is (with
 * whatever content type `headers` gives, or none). Rejects with DroppedConnectionError only when
 * no answer came back.
 */
export function call(
  agent: Agent,
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: Buffer | undefined;
  if (typeof options.body === 'string') body = Buffer.from(options.body, 'utf8');
  else if (Buffer.isBuffer(options.body)) body = options.body;
  else if (options.body !== undefined) {
    body = Buffer.from(JSON.stringify(options.body), 'utf8');
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = httpRequest(baseUrl + path, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', (err: NodeJS.ErrnoException) => reject(new DroppedConnectionError(err.code, `the answer to ${method} ${path} was cut off: ${err.message}`)));
    });
    req.on('error', (err: NodeJS.ErrnoException) => reject(new DroppedConnectionError(err.code, `${method} ${path} got no answer: ${err.message}`)));
    // A hung request is a failure to report, not a test that never ends.
    const timeoutMs = options.timeoutMs ?? 30_000;
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      reject(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`));
    });
    req.end(body);
  });
}

/** Rejects when `promise` takes longer than `ms` (for cleanup that must not hang a test run). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Stops an in-process service for an after() hook. A stop that hangs fails the test file, and
 * the process then exits on its own: the hung service's handles must not stall the whole run.
 */
export async function closeOrExit(close: (() => Promise<void>) | undefined, ms = 30_000): Promise<void> {
  if (!close) return;
  try {
    await within(close(), ms, 'stopping the service');
  } catch (err) {
    setTimeout(() => process.exit(1), 5_000).unref();
    throw err;
  }
}

/** Polls until `fn` returns a truthy value. */
export async function waitFor<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 30_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---------------------------------------------------------------------------------------------
// The real service process

export interface ServiceProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (or signal) once the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** stdout + stderr so far (JSON log lines included), for failure messages. */
  output(): string;
  /** SIGTERM and wait: the graceful stop (SIGKILL after 30 s). */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `o365-notify serve --port 0` in its own Node process, as an administrator runs it. */
export async function startServiceProcess(home: string, extraEnv: Record<string, string> = {}, extraArgs: string[] = []): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'serve', '--port', '0', ...extraArgs], {
    cwd: ROOT,
    env: { ...testEnv(home), O365_NOTIFY_HOME: home, O365_NOTIFY_KEYRING: 'off', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Keep the head (start-up) and the tail (the end) of the output; the middle can be long.
  let head = '';
  let tail = '';
  const take = (c: Buffer) => {
    const s = c.toString('utf8');
    if (head.length < 20_000) head += s;
    else tail = (tail + s).slice(-20_000);
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const output = () => head + (tail ? `\n...\n${tail}` : '');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start within 30 s:\n${output()}`)), 30_000);
    const look = () => {
      const m = /o365-notify service listening on (http:\/\/\S+)/.exec(head);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', look);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', look);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (${code ?? signal}) before listening:\n${output()}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    child,
    exited,
    output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      // A stop that hangs is a failure the caller sees in the exit status, not a test run that never ends.
      const force = setTimeout(() => child.kill('SIGKILL'), 30_000);
      try {
        return await exited;
      } finally {
        clearTimeout(force);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Reproducible randomness

/** mulberry32: a small seeded PRNG, so a failing run can be repeated with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// The store, read-only, after the service stopped

export interface StoreFindings {
  /** PRAGMA integrity_check rows other than "ok", and foreign-key problems. */
  integrityProblems: string[];
  /** Of the ids asked about: not in the store at all. */
  missing: number[];
  /** Of the ids asked about: in the store but in no e-mail that was sent. */
  notInSentEmail: { id: number; outcome: string | null }[];
  /** Notifications by status. */
  notificationsByStatus: Record<string, number>;
  /** Delivery attempts per sent notification: the largest number. */
  maxAttemptsPerEmail: number;
  /** Attempts a stop cut off (the service was killed while they were in flight). */
  interruptedAttempts: number;
}

/** Opens `<home>/data/o365-notify.db` read-only and checks it and the given event ids. */
export function inspectStore(home: string, eventIds: readonly number[]): StoreFindings {
  const db = new Database(serviceStorePath(home), { readonly: true, fileMustExist: true });
  try {
    const integrityProblems = (db.pragma('integrity_check') as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .filter((r) => r !== 'ok');
    for (const r of db.pragma('foreign_key_check') as { table: string; rowid: number }[]) integrityProblems.push(`foreign key: ${r.table} row ${r.rowid}`);
    const outcomeOf = db.prepare<[number], { outcome: string | null }>('SELECT outcome FROM events WHERE id = ?');
    const sentWith = db.prepare<[number], { n: number }>(
      `SELECT count(*) AS n FROM notification_events ne JOIN notifications n ON n.id = ne.notification_id
        WHERE ne.event_id = ? AND n.status = 'sent'`,
    );
    const missing: number[] = [];
    const notInSentEmail: { id: number; outcome: string | null }[] = [];
    for (const id of eventIds) {
      const row = outcomeOf.get(id);
      if (!row) missing.push(id);
      else if (sentWith.get(id)!.n === 0) notInSentEmail.push({ id, outcome: row.outcome });
    }
    const notificationsByStatus: Record<string, number> = {};
    for (const r of db.prepare<[], { status: string; n: number }>('SELECT status, count(*) AS n FROM notifications GROUP BY status').all()) {
      notificationsByStatus[r.status] = r.n;
    }
    const maxAttemptsPerEmail =
      db.prepare<[], { m: number | null }>(
        `SELECT max(c) AS m FROM (SELECT count(*) AS c FROM delivery_attempts GROUP BY notification_id)`,
      ).get()?.m ?? 0;
    const interruptedAttempts = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM delivery_attempts WHERE result = 'interrupted'`).get()!.n;
    return { integrityProblems, missing, notInSentEmail, notificationsByStatus, maxAttemptsPerEmail, interruptedAttempts };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The emulator's mailbox

/** it-team@'s inbox as the emulator holds it (the control API). */
export async function inbox(emu: TestEmulator, upn = TEAM): Promise<any[]> {
  const r = await emu.call('GET', `/_emulator/mailboxes/${upn}/messages?folder=inbox`);
  if (r.status === 404) return [];
  return r.json();
}

export function notifyId(message: any): string | undefined {
  return message.internetMessageHeaders?.find((h: { name: string }) => h.name.toLowerCase() === 'x-o365-notify-id')?.value;
}

/** `alert`, `health`, `report` or `test`: the x-o365-notify-kind header. */
export function notifyKind(message: any): string | undefined {
  return message.internetMessageHeaders?.find((h: { name: string }) => h.name.toLowerCase() === 'x-o365-notify-kind')?.value;
}

/** How many times each x-o365-notify-id arrived. */
export function arrivals(messages: any[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of messages) {
    const id = notifyId(m);
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

export interface InProcessFixture {
  emu: TestEmulator;
  home: string;
  agent: Agent;
}

/**
 * One emulator and one signed-in home for a test file whose service runs in-process; after the
 * file, the service (whatever `current()` returns then), the emulator and the home are torn down.
 */
export function inProcessFixture(
  current: () => RunningService | undefined,
  notifications: Record<string, unknown> = PER_FOLDER_NOTIFICATIONS,
  clients = 4,
): InProcessFixture {
  const fx = { agent: keepAliveAgent(clients) } as InProcessFixture;
  let cleanup: () => Promise<void> = async () => undefined;
  before(async () => {
    fx.emu = await startTestEmulator();
    ({ home: fx.home, cleanup } = await reliabilityHome(fx.emu, notifications));
  });
  after(async () => {
    fx.agent.destroy();
    const svc = current();
    try {
      await closeOrExit(svc && (() => svc.close()));
    } finally {
      await fx.emu.stop();
      await cleanup();
    }
  });
  return fx;
}
