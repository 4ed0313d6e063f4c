import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * SMTP relay passwords, stored only as scrypt hashes: `scrypt$N$r$p$salt$hash` (base64url). The
 * cost (N=2^15, r=8: 32 MiB and ~0.1 s per check) makes a stolen store slow to guess from; the
 * listener's lock-out stops guessing over the wire.
 */
const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, keylen, { ...options, maxmem: 128 * N * options.r! * 2 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_BYTES, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A password to show once: 24 characters from 18 random bytes. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/** User names: what ImageManager's "User name" field takes; no spaces or control characters. */
export function userNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9._@+-]{1,64}$/.test(name)) {
    return `"${name.slice(0, 40)}" is not a usable SMTP user name: use 1-64 letters, digits and . _ @ + - (for example imagemanager).`;
  }
  return undefined;
}
