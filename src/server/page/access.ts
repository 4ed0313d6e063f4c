import { createHash, createHmac, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { ensureHomeDir, writeFileAtomic } from '../../infra/index.js';

/**
 * Who may use the settings page: the administrator, proven by a one-time sign-in link (printed by
 * `serve` and `demo`) or by the optional admin password. Either is exchanged for a session cookie.
 * Only hashes are kept: of link tokens and session ids (in memory) and of the password (scrypt,
 * in the home dir). CSRF tokens are derived from the session id with a per-process key.
 */

/** A sign-in link works once, within this time. */
export const ADMIN_LINK_LIFETIME_MS = 15 * 60_000;
/** A session ends after this long without a request... */
export const SESSION_IDLE_MS = 2 * 60 * 60_000;
/** ...and at the latest this long after it began. */
export const SESSION_MAX_MS = 12 * 60 * 60_000;
const PAGE_ACCESS_FILE = 'page-access.json';
const MIN_PASSWORD_LENGTH = 12;
/** Failed password attempts allowed per window before logins are refused for the rest of it. */
const MAX_FAILED_LOGINS = 5;
const FAILED_LOGIN_WINDOW_MS = 10 * 60_000;

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 };

interface StoredPassword {
  scheme: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  hash: string;
  setAt: string;
}

interface AccessFile {
  password?: StoredPassword;
}

interface Session {
  createdAt: number;
  lastSeenAt: number;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function scrypt(password: string, salt: Buffer, params: { N: number; r: number; p: number; keyLength: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize('NFC'), salt, params.keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export class PasswordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasswordError';
  }
}

export class PageAccess {
  private readonly links = new Map<string, number>();
  private readonly sessions = new Map<string, Session>();
  private readonly csrfKey = randomBytes(32);
  private failedLogins: number[] = [];

  constructor(
    readonly home: string,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A new one-time sign-in token; only its hash is kept. */
  createLinkToken(lifetimeMs = ADMIN_LINK_LIFETIME_MS): string {
    const now = this.clock();
    for (const [hash, expiresAt] of this.links) if (expiresAt <= now) this.links.delete(hash);
    const token = newToken();
    this.links.set(sha256(token), now + lifetimeMs);
    return token;
  }

  /** True once for a valid, unexpired token; the token is spent either way. */
  redeemLinkToken(token: string): boolean {
    const hash = sha256(token);
    const expiresAt = this.links.get(hash);
    this.links.delete(hash);
    return expiresAt !== undefined && expiresAt > this.clock();
  }

  /** Starts a session; the returned id goes into the cookie and is never stored. */
  createSession(): string {
    const now = this.clock();
    for (const [hash, s] of this.sessions) if (!this.isLive(s, now)) this.sessions.delete(hash);
    const id = newToken();
    this.sessions.set(sha256(id), { createdAt: now, lastSeenAt: now });
    return id;
  }

  /** Whether the id names a live session; a live one is kept alive. */
  touchSession(id: string | undefined): boolean {
    if (!id) return false;
    const hash = sha256(id);
    const session = this.sessions.get(hash);
    const now = this.clock();
    if (!session || !this.isLive(session, now)) {
      this.sessions.delete(hash);
      return false;
    }
    session.lastSeenAt = now;
    return true;
  }

  endSession(id: string | undefined): void {
    if (id) this.sessions.delete(sha256(id));
  }

  /** Ends every session (after the password changed). */
  endAllSessions(except?: string): void {
    const keep = except ? sha256(except) : undefined;
    for (const hash of [...this.sessions.keys()]) if (hash !== keep) this.sessions.delete(hash);
  }

  /** Seconds the cookie should live: the session's remaining absolute lifetime. */
  get sessionMaxAgeSeconds(): number {
    return SESSION_MAX_MS / 1000;
  }

  /** The synchronizer token for a session: HMAC of its id with this process's key. */
  csrfToken(sessionId: string): string {
    return createHmac('sha256', this.csrfKey).update(sessionId).digest('base64url');
  }

  checkCsrfToken(sessionId: string, token: string | undefined): boolean {
    return typeof token === 'string' && sameText(this.csrfToken(sessionId), token);
  }

  // ---- the optional admin password --------------------------------------------------------

  private file(): string {
    return join(this.home, PAGE_ACCESS_FILE);
  }

  private async readFile(): Promise<AccessFile> {
    try {
      return JSON.parse(await readFile(this.file(), 'utf8')) as AccessFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new Error(`Cannot read ${this.file()}: ${(err as Error).message}. Delete the file to remove the admin password.`);
    }
  }

  async passwordSetAt(): Promise<string | undefined> {
    return (await this.readFile()).password?.setAt;
  }

  async setPassword(password: string): Promise<void> {
    if (password.length < MIN_PASSWORD_LENGTH) {
      throw new PasswordError(`The admin password must have at least ${MIN_PASSWORD_LENGTH} characters.`);
    }
    const salt = randomBytes(16);
    const hash = await scrypt(password, salt, SCRYPT);
    const stored: StoredPassword = {
      scheme: 'scrypt',
      N: SCRYPT.N,
      r: SCRYPT.r,
      p: SCRYPT.p,
      salt: salt.toString('base64'),
      hash: hash.toString('base64'),
      setAt: new Date(this.clock()).toISOString(),
    };
    await ensureHomeDir(this.home);
    await writeFileAtomic(this.file(), JSON.stringify({ ...(await this.readFile()), password: stored }, null, 2) + '\n');
  }

  async clearPassword(): Promise<void> {
    const { password: _removed, ...rest } = await this.readFile();
    await ensureHomeDir(this.home);
    await writeFileAtomic(this.file(), JSON.stringify(rest, null, 2) + '\n');
  }

  /** Too many wrong passwords lately: refuse without checking. */
  loginsBlocked(): boolean {
    const since = this.clock() - FAILED_LOGIN_WINDOW_MS;
    this.failedLogins = this.failedLogins.filter((t) => t > since);
    return this.failedLogins.length >= MAX_FAILED_LOGINS;
  }

  async verifyPassword(password: string): Promise<boolean> {
    const stored = (await this.readFile()).password;
    let ok = false;
    if (stored?.scheme === 'scrypt' && password.length > 0 && password.length <= 1024) {
      const expected = Buffer.from(stored.hash, 'base64');
      const actual = await scrypt(password, Buffer.from(stored.salt, 'base64'), { N: stored.N, r: stored.r, p: stored.p, keyLength: expected.length });
      ok = actual.length === expected.length && timingSafeEqual(actual, expected);
    }
    if (!ok) this.failedLogins.push(this.clock());
    return ok;
  }

  private isLive(session: Session, now: number): boolean {
    return now - session.lastSeenAt < SESSION_IDLE_MS && now - session.createdAt < SESSION_MAX_MS;
  }
}

const registry = new Map<string, PageAccess>();

/** One PageAccess per home dir and process: createAdminLink and the page's routes share it. */
export function pageAccessFor(home: string): PageAccess {
  home = resolvePath(home);
  let access = registry.get(home);
  if (!access) {
    access = new PageAccess(home);
    registry.set(home, access);
  }
  return access;
}
