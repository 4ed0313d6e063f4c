import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LockOptions {
  /** How long to wait for another holder, then fail with LockTimeoutError. */
  timeoutMs?: number;
  /** A lock not refreshed for this long is abandoned and may be taken over. */
  staleMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  nonce: string;
  since: string;
}

interface SeenLock {
  text: string;
  mtimeMs: number;
  owner: LockOwner | undefined;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_STALE_MS = 30_000;
// Breaking a stale lock takes microseconds; a break marker older than this was left by a crash.
const BREAK_MARKER_STALE_MS = 5_000;

export class LockTimeoutError extends Error {
  readonly lockFile: string;

  constructor(lockFile: string, waitedMs: number, owner: LockOwner | undefined) {
    const holder = owner
      ? `process ${owner.pid} on ${owner.host} has held it since ${owner.since}`
      : 'its holder is unknown';
    super(
      `Timed out after ${Math.round(waitedMs / 1000)} s waiting for the lock ${lockFile}: ${holder}. ` +
        `If no o365-notify process is running, delete ${lockFile} and try again.`,
    );
    this.name = 'LockTimeoutError';
    this.lockFile = lockFile;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.nonce === 'string' ? (owner as LockOwner) : undefined;
  } catch {
    return undefined; // being written right now, or left empty by a crash: age decides
  }
}

async function readLock(lockFile: string): Promise<SeenLock | undefined> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(lockFile, 'utf8'), fs.stat(lockFile)]);
    return { text, mtimeMs: stat.mtimeMs, owner: parseOwner(text) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(seen: SeenLock, staleMs: number): boolean {
  if (Date.now() - seen.mtimeMs > staleMs) return true;
  // A holder on this machine whose process is gone will never release it.
  return seen.owner !== undefined && seen.owner.host === os.hostname() && !processIsAlive(seen.owner.pid);
}

async function tryCreate(lockFile: string, owner: LockOwner): Promise<boolean> {
  let handle;
  try {
    handle = await fs.open(lockFile, 'wx', 0o600); // O_CREAT | O_EXCL: exactly one process wins
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(JSON.stringify(owner));
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * Removes an abandoned lock. Waiters serialise on a break marker and remove the lock only if it
 * is still the very one they saw as stale, so a lock freshly taken by another waiter survives.
 */
async function breakStaleLock(lockFile: string, seen: SeenLock, staleMs: number): Promise<void> {
  const marker = `${lockFile}.break`;
  let handle;
  try {
    handle = await fs.open(marker, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const stat = await fs.stat(marker).catch(() => undefined);
    if (stat && Date.now() - stat.mtimeMs > BREAK_MARKER_STALE_MS) await fs.rm(marker, { force: true });
    return;
  }
  try {
    await handle.close();
    const now = await readLock(lockFile);
    if (now && now.text === seen.text && now.mtimeMs === seen.mtimeMs && isStale(now, staleMs)) {
      await fs.rm(lockFile, { force: true });
    }
  } finally {
    await fs.rm(marker, { force: true });
  }
}

/**
 * Runs `fn` while holding an exclusive cross-process lock on `target` (the lock is the file
 * `target.lock`). For read-modify-write of files shared by the CLI and the service. Not re-entrant:
 * do not nest two locks on the same target in one process.
 */
export async function withFileLock<T>(target: string, fn: () => Promise<T> | T, options: LockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const lockFile = `${target}.lock`;
  // node:crypto on first lock, not at start-up (issue 14).
  const { randomBytes } = await import('node:crypto');
  const owner: LockOwner = {
    pid: process.pid,
    host: os.hostname(),
    nonce: randomBytes(12).toString('hex'),
    since: new Date().toISOString(),
  };
  await fs.mkdir(path.dirname(lockFile), { recursive: true, mode: 0o700 });
  const started = Date.now();
  let delay = 5;
  for (;;) {
    if (await tryCreate(lockFile, owner)) break;
    const seen = await readLock(lockFile);
    if (seen === undefined) continue; // released between our attempts
    if (isStale(seen, staleMs)) {
      await breakStaleLock(lockFile, seen, staleMs);
      await sleep(Math.random() * 5); // another waiter may be breaking it: let it finish
      continue;
    }
    if (Date.now() - started >= timeoutMs) throw new LockTimeoutError(lockFile, Date.now() - started, seen.owner);
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
  }
  // Keeps a long-running holder from looking abandoned.
  const heartbeat = setInterval(() => {
    const now = new Date();
    fs.utimes(lockFile, now, now).catch(() => undefined);
  }, Math.max(10, Math.floor(staleMs / 3)));
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    const current = await readLock(lockFile).catch(() => undefined);
    if (current?.owner?.nonce === owner.nonce) await fs.rm(lockFile, { force: true });
  }
}
