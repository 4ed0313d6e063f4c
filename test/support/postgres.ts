import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { parseStoreUrl } from '../../src/shared/index.js';
import type { PgLocation } from '../../src/store/postgres/index.js';
import { startTestEmulator, type TestEmulator } from './emulator.js';
import { fastDeviceCodes } from './msal.js';

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL cluster for tests (issue 16): `initdb` into a temp dir and `pg_ctl` on a
 * free loopback port, torn down by stop(). The cluster checks passwords over TCP (scram-sha-256),
 * so tests use URLs with credentials in them as a user would, and can check those never leak.
 * PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` user (or `nobody`)
 * through runuser, with its dir chowned to that user.
 */
export interface TestPostgres {
  /** postgres://USER:PASSWORD@127.0.0.1:PORT/postgres */
  url: string;
  user: string;
  password: string;
  port: number;
  /**
   * A new, empty database; returns its URL (same credentials). `icuLocale` gives it a locale's
   * collation (ICU, e.g. 'en-US') instead of the cluster's C: text ordered as a user's database would.
   */
  createDatabase(prefix?: string, options?: { icuLocale?: string }): Promise<string>;
  /** Stops the server (fast shutdown: connections are closed), keeping the data: a database outage. */
  stopServer(): Promise<void>;
  /** Starts it again on the same port, with the same data. */
  startServer(): Promise<void>;
  /** `pg_ctl stop` (immediate) and the temp dir removed. */
  stop(): Promise<void>;
}

export type StartedPostgres = { ok: true; postgres: TestPostgres } | { ok: false; reason: string };

/** The newest Debian install (/usr/lib/postgresql/<major>/bin), else initdb on PATH. */
function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const major of majors) {
    const dir = path.join(root, major, 'bin');
    if (fs.existsSync(path.join(dir, 'initdb'))) return dir;
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** As root: the account to run the cluster as (PostgreSQL will not run as root). */
async function unprivilegedUser(): Promise<{ name: string; uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number((await run('id', ['-u', name])).stdout.trim());
      const gid = Number((await run('id', ['-g', name])).stdout.trim());
      return { name, uid, gid };
    } catch {
      // try the next one
    }
  }
  throw new Error('running as root and neither a postgres nor a nobody user exists to run PostgreSQL as');
}

function chownTree(dir: string, uid: number, gid: number): void {
  fs.chownSync(dir, uid, gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, uid, gid);
    else fs.chownSync(p, uid, gid);
  }
}

/**
 * Starts a cluster; `{ ok: false, reason }` only when PostgreSQL is not installed or cannot start
 * here (the reason says which), so tests skip with that reason instead of failing.
 */
export async function startTestPostgres(): Promise<StartedPostgres> {
  const bin = findBinDir();
  if (!bin) return { ok: false, reason: 'PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH): run scripts/ensure-system-deps.sh' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'o365-pg-'));
  const data = path.join(dir, 'data');
  const user = 'o365';
  const password = randomBytes(12).toString('hex');
  let asUser: Awaited<ReturnType<typeof unprivilegedUser>>;
  const exec = (file: string, args: string[]) =>
    asUser ? run('runuser', ['-u', asUser.name, '--', path.join(bin, file), ...args]) : run(path.join(bin, file), args);
  try {
    asUser = await unprivilegedUser();
    fs.writeFileSync(path.join(dir, 'pwfile'), password + '\n', { mode: 0o600 });
    if (asUser) chownTree(dir, asUser.uid, asUser.gid);
    await exec('initdb', ['-D', data, '-U', user, `--pwfile=${path.join(dir, 'pwfile')}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync']);
    fs.rmSync(path.join(dir, 'pwfile'));
    // A port taken between freePort() and the start: try again on another.
    let lastError: unknown;
    for (let tries = 0; tries < 3; tries++) {
      const port = await freePort();
      const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c max_connections=200`;
      const startServer = async () => {
        await exec('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
      };
      try {
        await startServer();
      } catch (err) {
        lastError = err;
        continue;
      }
      const url = `postgres://${user}:${password}@127.0.0.1:${port}/postgres`;
      const postgres: TestPostgres = {
        url,
        user,
        password,
        port,
        async createDatabase(prefix = 'o365_test', options = {}) {
          const name = `${prefix}_${randomBytes(4).toString('hex')}`;
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          try {
            const icu = options.icuLocale ? ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${options.icuLocale.replace(/'/g, '')}' LOCALE 'C.UTF-8'` : '';
            await client.query(`CREATE DATABASE ${name}${icu}`);
          } finally {
            await client.end();
          }
          return `postgres://${user}:${password}@127.0.0.1:${port}/${name}`;
        },
        startServer,
        async stopServer() {
          await exec('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
        },
        async stop() {
          await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
      return { ok: true, postgres };
    }
    const log = fs.existsSync(path.join(dir, 'server.log')) ? fs.readFileSync(path.join(dir, 'server.log'), 'utf8').slice(-2000) : '';
    throw new Error(`pg_ctl start failed: ${(lastError as Error).message}\n${log}`);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: `a PostgreSQL test cluster cannot start here: ${(err as Error).message}` };
  }
}

/** For `describe(name, { skip }, ...)`: prints why the PostgreSQL tests are skipped. */
export function skipReason(started: StartedPostgres): string | false {
  if (started.ok) return false;
  console.log(`# skipping PostgreSQL tests: ${started.reason}`);
  return started.reason;
}

/** Where a URL from createDatabase() points, as the PostgreSQL store takes it. */
export function pgLocation(url: string): PgLocation {
  const parsed = parseStoreUrl(url);
  assert.ok(parsed.ok && parsed.location.kind === 'postgres');
  return parsed.location;
}

/** A suite's cluster and Graph emulator; stop() ends both, the emulator first. */
export interface PostgresAndEmulator {
  postgres: TestPostgres;
  emu: TestEmulator;
  stop(): Promise<void>;
}

/**
 * For the before() of a suite skipped unless `started.ok`: the cluster and a new emulator (with
 * `fastDeviceCodes`, its device codes approvable at once). Should the emulator not start, the
 * cluster is stopped here, as the suite gets no stop() to call.
 */
export async function startWithEmulator(started: StartedPostgres, options: { fastDeviceCodes?: boolean } = {}): Promise<PostgresAndEmulator> {
  assert.ok(started.ok);
  const { postgres } = started;
  const emu = await startTestEmulator().catch(async (err: unknown) => {
    await postgres.stop();
    throw err;
  });
  const stop = async () => {
    await emu.stop();
    await postgres.stop();
  };
  if (options.fastDeviceCodes) {
    await fastDeviceCodes(emu).catch(async (err: unknown) => {
      await stop();
      throw err;
    });
  }
  return { postgres, emu, stop };
}
