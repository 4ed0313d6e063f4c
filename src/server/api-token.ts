import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { ensureHomeDir, writeFileAtomic } from '../infra/index.js';
import { watchFileChanges, type FileChangeWatch } from './file-change-watch.js';
import { apiTokenPath } from './paths.js';

/**
 * The API's bearer token. It is shown once, when it is made, and only a salted SHA-256 of it is
 * kept. A fast hash is enough here: the token is 256 random bits, so there is nothing to guess
 * (a slow hash like scrypt protects low-entropy passwords, and would cost every request).
 */

export const API_TOKEN_PREFIX = 'o365n_';
const TOKEN_BYTES = 32;
const MAX_PRESENTED_LENGTH = 256;

interface TokenFile {
  version: 1;
  algorithm: 'sha256';
  /** base64 */
  salt: string;
  /** base64 of sha256(salt || token) */
  hash: string;
  createdAt: string;
}

function hashToken(salt: Buffer, token: string): Buffer {
  return createHash('sha256').update(salt).update(token, 'utf8').digest();
}

function readTokenFile(file: string): TokenFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Partial<TokenFile>;
    if (parsed.algorithm === 'sha256' && typeof parsed.salt === 'string' && typeof parsed.hash === 'string') return parsed as TokenFile;
  } catch {
    // fall through: a damaged file verifies nothing
  }
  return undefined;
}

/** Makes a new token, replacing (and so ending) any previous one. Returns the token: show it once. */
export async function rotateApiToken(home: string): Promise<{ token: string; createdAt: string }> {
  await ensureHomeDir(home);
  const token = API_TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
  const salt = randomBytes(16);
  const createdAt = new Date().toISOString();
  const record: TokenFile = { version: 1, algorithm: 'sha256', salt: salt.toString('base64'), hash: hashToken(salt, token).toString('base64'), createdAt };
  await writeFileAtomic(apiTokenPath(home), JSON.stringify(record, null, 2) + '\n');
  rotations += 1;
  return { token, createdAt };
}

/** Makes a token only when there is none; `token` is set only when one was made now. */
export async function ensureApiToken(home: string): Promise<{ created: boolean; token?: string }> {
  if (readTokenFile(apiTokenPath(home))) return { created: false };
  const { token } = await rotateApiToken(home);
  return { created: true, token };
}

export function hasApiToken(home: string): boolean {
  return readTokenFile(apiTokenPath(home)) !== undefined;
}

/** Bumped by every rotation in this process: its verifiers re-read the file on their next check. */
let rotations = 0;

/**
 * Checks presented tokens against the stored hash, with no file system work per request (issue
 * 14: a statSync per request cost ~5 % of the intake's CPU). The hash is kept in memory and read
 * again only after the file changed: a rotation in this process says so at once, and the file
 * watch (fs.watch events, and a stat every `recheckMs` for what events miss) reports another
 * process's `token rotate` or an edit.
 */
export class ApiTokenVerifier {
  private readonly file: string;
  private seen: { ino: number; mtimeMs: number; size: number } | null = null;
  private current: { salt: Buffer; hash: Buffer } | undefined;
  private stale = true;
  private seenRotations = -1;
  private changes: FileChangeWatch | undefined;

  constructor(
    home: string,
    private readonly options: { recheckMs?: number } = {},
  ) {
    this.file = apiTokenPath(home);
  }

  /** Whether a token exists at all (none: every request is refused). */
  get configured(): boolean {
    this.refresh();
    return this.current !== undefined;
  }

  verify(presented: string | undefined): boolean {
    this.refresh();
    const stored = this.current;
    if (!stored || typeof presented !== 'string' || presented.length === 0 || presented.length > MAX_PRESENTED_LENGTH) return false;
    // Both sides are 32-byte digests: the comparison takes the same time whatever the input.
    return timingSafeEqual(hashToken(stored.salt, presented), stored.hash);
  }

  /** Stops watching the file. */
  close(): void {
    this.changes?.stop();
    this.changes = undefined;
    this.stale = true;
  }

  private refresh(): void {
    if (!this.stale && this.seenRotations === rotations) return;
    // Watching starts before the read below, so a change just after it still marks the hash stale.
    this.changes ??= watchFileChanges([this.file], {
      everyMs: this.options.recheckMs ?? 1000,
      events: true,
      onChange: () => {
        this.stale = true;
      },
    });
    this.stale = false;
    this.seenRotations = rotations;
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.file);
    } catch {
      this.seen = null;
      this.current = undefined;
      return;
    }
    if (this.seen && this.seen.ino === stat.ino && this.seen.mtimeMs === stat.mtimeMs && this.seen.size === stat.size) return;
    this.seen = { ino: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size };
    const record = readTokenFile(this.file);
    const hash = record ? Buffer.from(record.hash, 'base64') : undefined;
    this.current = record && hash?.length === 32 ? { salt: Buffer.from(record.salt, 'base64'), hash } : undefined;
  }
}

/** The token from an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value);
  return m?.[1];
}
