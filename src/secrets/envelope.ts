import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/** What an encrypted file holds; bound into the ciphertext so files cannot be swapped. */
export type SecretPurpose = 'client-secret' | 'token-cache' | 'client-certificate';
// 'passphrase': a portable backup's secrets (src/secrets/passphrase.ts), never the live files.
export type KeySource = 'keyring' | 'env' | 'key-file' | 'passphrase';

export const ENVELOPE_FORMAT = 'o365-notify-encrypted';
export const ENVELOPE_VERSION = 1;
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/** On disk: JSON, so a person can see what the file is without being able to read it. */
export interface Envelope {
  format: typeof ENVELOPE_FORMAT;
  v: typeof ENVELOPE_VERSION;
  alg: 'AES-256-GCM';
  purpose: SecretPurpose;
  /** Which key encrypted it (not the key): tells "wrong key" from "damaged file". */
  keyId: string;
  keySource: KeySource;
  iv: string;
  tag: string;
  data: string;
}

export interface MasterKey {
  key: Buffer;
  source: KeySource;
  /** Short fingerprint of the key, safe to show. */
  id: string;
  /** Where it is, for messages: "the Secret Service keyring (GNOME Keyring, KWallet)", "O365_NOTIFY_KEY", a file path. */
  location: string;
}

export function keyIdOf(key: Buffer): string {
  return createHmac('sha256', key).update('o365-notify key id v1').digest('hex').slice(0, 16);
}

function aad(purpose: SecretPurpose): Buffer {
  return Buffer.from(`${ENVELOPE_FORMAT}:v${ENVELOPE_VERSION}:${purpose}`, 'utf8');
}

function fixFor(purpose: SecretPurpose): string {
  if (purpose === 'client-certificate') return 'make a new certificate with `o365-notify certificate create`';
  return purpose === 'client-secret'
    ? 'enter the client secret again with `o365-notify setup`'
    : 'sign in again with `o365-notify login`';
}

/** An encrypted file that cannot be decrypted; the message says why and how to fix it. */
export class SecretDecryptError extends Error {
  readonly file: string;
  readonly purpose: SecretPurpose;
  readonly reason: 'malformed' | 'wrong-purpose' | 'wrong-key' | 'tampered' | 'unsupported-version';

  constructor(file: string, purpose: SecretPurpose, reason: SecretDecryptError['reason'], message: string) {
    super(message);
    this.name = 'SecretDecryptError';
    this.file = file;
    this.purpose = purpose;
    this.reason = reason;
  }
}

export function seal(master: MasterKey, purpose: SecretPurpose, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, master.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(purpose));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const envelope: Envelope = {
    format: ENVELOPE_FORMAT,
    v: ENVELOPE_VERSION,
    alg: 'AES-256-GCM',
    purpose,
    keyId: master.id,
    keySource: master.source,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
  return JSON.stringify(envelope, null, 2) + '\n';
}

/** Reads the envelope's header (no key needed); throws SecretDecryptError when it is not one. */
export function parseEnvelope(file: string, purpose: SecretPurpose, text: string): Envelope {
  const malformed = (detail: string) =>
    new SecretDecryptError(
      file,
      purpose,
      'malformed',
      `${file} is not an o365-notify encrypted file (${detail}). Delete it and ${fixFor(purpose)}.`,
    );
  let parsed: Partial<Envelope>;
  try {
    parsed = JSON.parse(text) as Partial<Envelope>;
  } catch {
    throw malformed('not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.format !== ENVELOPE_FORMAT) throw malformed('unknown format');
  if (parsed.v !== ENVELOPE_VERSION) {
    throw new SecretDecryptError(
      file,
      purpose,
      'unsupported-version',
      `${file} was written by a newer o365-notify (format version ${String(parsed.v)}); update o365-notify, or delete it and ${fixFor(purpose)}.`,
    );
  }
  for (const field of ['iv', 'tag', 'data', 'keyId', 'purpose'] as const) {
    if (typeof parsed[field] !== 'string') throw malformed(`missing ${field}`);
  }
  return parsed as Envelope;
}

export function open(master: MasterKey, purpose: SecretPurpose, file: string, text: string): string {
  const envelope = parseEnvelope(file, purpose, text);
  if (envelope.purpose !== purpose) {
    throw new SecretDecryptError(
      file,
      purpose,
      'wrong-purpose',
      `${file} holds the ${envelope.purpose}, not the ${purpose}: the files were swapped or copied over each other. ` +
        `Delete it and ${fixFor(purpose)}.`,
    );
  }
  if (envelope.keyId !== master.id) {
    throw new SecretDecryptError(
      file,
      purpose,
      'wrong-key',
      `${file} was encrypted with a different key (key ${envelope.keyId} from ${envelope.keySource}) than the one in use ` +
        `now (key ${master.id} from ${master.location}): the key changed or was lost. Fix: restore the original key ` +
        `(the key file, O365_NOTIFY_KEY, or the OS keyring entry), or ${fixFor(purpose)}.`,
    );
  }
  try {
    const decipher = createDecipheriv(ALGORITHM, master.key, Buffer.from(envelope.iv, 'base64'), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(purpose));
    decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(envelope.data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretDecryptError(
      file,
      purpose,
      'tampered',
      `${file} failed its integrity check: it was modified or damaged after it was written (or made for another ` +
        `purpose). Delete it and ${fixFor(purpose)}.`,
    );
  }
}
