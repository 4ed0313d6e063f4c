import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A running CLI command whose output can be watched while it runs (e.g. a device-code login). */
export interface CliProcess {
  done: Promise<CliRun>;
  /** Resolves with the first match of `pattern` in stdout+stderr, as it appears. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  output(): string;
}

/** Environment for tests: no OS keyring (never touch a developer's), nothing inherited that changes settings. */
export function testEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, O365_NOTIFY_KEYRING: 'off', ...extra };
  return env;
}

export function startCli(args: string[], options: { home: string; env?: NodeJS.ProcessEnv; stdin?: string }): CliProcess {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  const watchers: (() => void)[] = [];
  stdout.on('data', (c: Buffer) => {
    out += c.toString();
    watchers.forEach((w) => w());
  });
  stderr.on('data', (c: Buffer) => {
    err += c.toString();
    watchers.forEach((w) => w());
  });
  if (options.stdin !== undefined) stdin.end(options.stdin);
  else stdin.end();
  const done = main(args, { stdout, stderr, stdin, env: options.env ?? testEnv(options.home), home: options.home }).then((code) => ({
    code,
    stdout: out,
    stderr: err,
  }));
  return {
    done,
    output: () => out + err,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = (out + err).match(pattern);
          if (m) {
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output so far:\n${out}${err}`)), timeoutMs);
        watchers.push(check);
        check();
        void done.then(() => {
          check();
        });
      });
    },
  };
}

export function runCli(args: string[], options: { home: string; env?: NodeJS.ProcessEnv; stdin?: string }): Promise<CliRun> {
  return startCli(args, options).done;
}

export async function tempHome(): Promise<{ home: string; cleanup: () => Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'o365-home-'));
  return { home, cleanup: () => rm(home, { recursive: true, force: true }) };
}

/** A home dir set up against the emulator for device-code sign-in (`setup --non-interactive`), not signed in yet. */
export async function setUpHome(
  emu: { url: string; caPath: string },
  options: { clientId: string; tenantId?: string; accountType?: string; to?: string },
): Promise<{ home: string; cleanup: () => Promise<void> }> {
  const { home, cleanup } = await tempHome();
  const setup = await runCli(
    ['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, '--account-type', options.accountType ?? 'single-tenant',
      '--client-id', options.clientId, ...(options.tenantId ? ['--tenant-id', options.tenantId] : []), '--auth', 'device-code',
      ...(options.to ? ['--to', options.to] : [])],
    { home },
  );
  if (setup.code !== 0) {
    await cleanup();
    throw new Error(`setup failed: ${setup.stderr}`);
  }
  return { home, cleanup };
}

/**
 * A home dir set up against the emulator and signed in through the device-code flow
 * (the emulator's control API approves the code as `upn`).
 */
export async function signedInHome(
  emu: { url: string; caPath: string; call: (m: string, p: string, b?: unknown) => Promise<{ status: number; text: string }> },
  options: { clientId: string; tenantId?: string; accountType?: string; upn: string; to?: string },
): Promise<{ home: string; cleanup: () => Promise<void> }> {
  const { home, cleanup } = await setUpHome(emu, options);
  await emu.call('PUT', '/_emulator/behaviour', { deviceCodeIntervalSeconds: 1 });
  const login = startCli(['login', '--device-code'], { home });
  const [, code] = await login.waitFor(/enter the code (\S+) to authenticate/);
  const approve = await emu.call('POST', '/_emulator/devicecode/approve', { userCode: code, upn: options.upn });
  if (approve.status !== 200) throw new Error(`approve failed: ${approve.text}`);
  const done = await login.done;
  if (done.code !== 0) throw new Error(`login failed: ${done.stdout}${done.stderr}`);
  return { home, cleanup };
}

/** Every file under dir, recursively (for "no secret on disk" checks). */
export async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(p)));
    else out.push(p);
  }
  return out;
}
