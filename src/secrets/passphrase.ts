import { randomBytes, scryptSync } from 'node:crypto';
import { KEY_BYTES, keyIdOf, type MasterKey } from './envelope.js';

/**
 * A key from a passphrase, for backups that must open on another machine (without the master
 * key). scrypt with N=2^17, r=8, p=1: the parameters OWASP's Password Storage Cheat Sheet gives for
 * scrypt; about 128 MiB and a fraction of a second per derivation, so guessing is slow.
 */
export interface PassphraseKdf {
  name: 'scrypt';
  salt: string;
  N: number;
  r: number;
  p: number;
}

export const MIN_PASSPHRASE_LENGTH = 12;

export class PassphraseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PassphraseError';
  }
}

export function newPassphraseKdf(): PassphraseKdf {
  return { name: 'scrypt', salt: randomBytes(16).toString('base64'), N: 2 ** 17, r: 8, p: 1 };
}

/** The one rule for a backup passphrase, checked where it is typed. */
export function checkPassphrase(passphrase: string): void {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new PassphraseError(`The passphrase is too short (${passphrase.length} characters): use at least ${MIN_PASSPHRASE_LENGTH}, for example four random words.`);
  }
}

export function keyFromPassphrase(passphrase: string, kdf: PassphraseKdf): MasterKey {
  if (kdf.name !== 'scrypt' || !Number.isInteger(kdf.N) || kdf.N > 2 ** 20 || kdf.r > 32 || kdf.p > 16) {
    throw new PassphraseError('The backup names a key derivation this o365-notify does not use; it was not made by o365-notify, or is damaged.');
  }
  const key = scryptSync(passphrase.normalize('NFC'), Buffer.from(kdf.salt, 'base64'), KEY_BYTES, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r + 1024 * 1024,
  });
  return { key, source: 'passphrase', id: keyIdOf(key), location: 'the backup passphrase' };
}
