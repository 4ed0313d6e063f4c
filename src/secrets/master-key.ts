import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE, withFileLock } from '../infra/index.js';
import { KEY_BYTES, keyIdOf, type KeySource, type MasterKey } from './envelope.js';
import type { Keyring } from './keyring.js';

export { KEY_ENVIRONMENT_VARIABLES } from './key-variables.js';

export const KEYS_DIR_NAME = 'keys';
export const KEY_FILE_NAME = 'master.key';

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

function decodeKey(text: string, where: string, fix: string): Buffer {
  const trimmed = text.trim();
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (key.length !== KEY_BYTES) {
    throw new MasterKeyError(
      `${where} is not a valid key: it must be ${KEY_BYTES} random bytes in base64 (44 characters), ` +
        `but it ${key.length === 0 ? 'is not base64' : `decodes to ${key.length} bytes`}. ${fix}`,
    );
  }
  return key;
}

function master(key: Buffer, source: KeySource, location: string): MasterKey {
  return { key, source, id: keyIdOf(key), location };
}

async function readKeyFile(file: string): Promise<MasterKey | undefined> {
  let text: string;
  try {
    if (process.platform !== 'win32') {
      const stat = await fs.stat(file);
      if ((stat.mode & 0o077) !== 0) {
        throw new MasterKeyError(
          `The key file ${file} can be read by other users (mode ${(stat.mode & 0o777).toString(8)}). ` +
            `Fix: chmod 600 ${file}`,
        );
      }
    }
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const key = decodeKey(text, `The key file ${file}`, 'Restore the original key file, or delete it together with the encrypted files and set up again.');
  return master(key, 'key-file', file);
}

/** Creates the key file if it does not exist yet; a file made concurrently by another process wins. */
async function createKeyFile(file: string, isDefaultLocation: boolean): Promise<MasterKey> {
  const dir = path.dirname(file);
  if (isDefaultLocation) await ensurePrivateDir(dir);
  else await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(temp, randomBytes(KEY_BYTES).toString('base64') + '\n', { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  try {
    await fs.chmod(temp, PRIVATE_FILE_MODE);
    // link() fails if the name exists: never replaces a key another process just made.
    await fs.link(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await fs.rm(temp, { force: true });
  }
  const key = await readKeyFile(file);
  if (!key) throw new MasterKeyError(`The key file ${file} disappeared right after it was created.`);
  return key;
}

/**
 * Finds (and on first use creates) the master key. Explicit choices win over detection:
 * O365_NOTIFY_KEY, then O365_NOTIFY_KEY_FILE; then an existing default key file (kept so a
 * home whose secrets were made without a keyring stays readable); then the OS keyring where one
 * works; else the default key file <home>/keys/master.key (0600, in a 0700 directory).
 */
export class MasterKeyProvider {
  private constructor(
    private readonly home: string,
    private readonly keyFile: string,
    private readonly isDefaultKeyFile: boolean,
    private current: { source: KeySource; location: string; key?: MasterKey },
    private readonly keyring: Keyring | undefined,
    /** Why the keyring is not used, for messages. */
    readonly keyringProblem: string | undefined,
  ) {}

  static async open(home: string, env: NodeJS.ProcessEnv, keyring: Keyring | undefined): Promise<MasterKeyProvider> {
    const defaultKeyFile = path.join(home, KEYS_DIR_NAME, KEY_FILE_NAME);
    const envKey = env.O365_NOTIFY_KEY?.trim();
    if (envKey) {
      const key = decodeKey(envKey, 'O365_NOTIFY_KEY', 'Generate one with `openssl rand -base64 32`.');
      return new MasterKeyProvider(home, defaultKeyFile, true, { source: 'env', location: 'O365_NOTIFY_KEY', key: master(key, 'env', 'O365_NOTIFY_KEY') }, undefined, undefined);
    }
    const explicitFile = env.O365_NOTIFY_KEY_FILE?.trim();
    if (explicitFile) {
      const file = path.resolve(explicitFile);
      return new MasterKeyProvider(home, file, false, { source: 'key-file', location: file }, undefined, undefined);
    }
    const keyFileOnly = (problem?: string) =>
      new MasterKeyProvider(home, defaultKeyFile, true, { source: 'key-file', location: defaultKeyFile }, undefined, problem);
    if (await fs.stat(defaultKeyFile).then(() => true, () => false)) return keyFileOnly();
    if (!keyring) return keyFileOnly('no OS keyring is available to this process');
    try {
      const stored = await keyring.get(home);
      const key = stored === undefined ? undefined : master(decodeKey(stored, `The key in ${keyring.name}`, 'Delete the entry "o365-notify" for this home directory from the keyring, and set up again.'), 'keyring', keyring.name);
      return new MasterKeyProvider(home, defaultKeyFile, true, { source: 'keyring', location: keyring.name, key }, keyring, undefined);
    } catch (err) {
      if (err instanceof MasterKeyError) throw err;
      return keyFileOnly(`${keyring.name} does not work here: ${(err as Error).message}`);
    }
  }

  get source(): KeySource {
    return this.current.source;
  }

  get location(): string {
    return this.current.location;
  }

  /** The key if it exists; never creates one. */
  async load(): Promise<MasterKey | undefined> {
    if (this.current.key) return this.current.key;
    if (this.current.source === 'key-file') this.current.key = await readKeyFile(this.keyFile);
    return this.current.key;
  }

  /** The key, created on first use (under a lock, so concurrent first uses agree on one key). */
  async loadOrCreate(): Promise<MasterKey> {
    const existing = await this.load();
    if (existing) return existing;
    await ensurePrivateDir(path.join(this.home, KEYS_DIR_NAME));
    return withFileLock(path.join(this.home, KEYS_DIR_NAME, 'create'), async () => {
      if (this.current.source === 'keyring' && this.keyring) {
        const created = await this.createInKeyring(this.keyring);
        if (created) return created;
      }
      this.current = { source: 'key-file', location: this.keyFile };
      this.current.key = await createKeyFile(this.keyFile, this.isDefaultKeyFile);
      return this.current.key;
    });
  }

  /** Stores a new key and reads it back: a keyring that cannot keep it does not "work". */
  private async createInKeyring(keyring: Keyring): Promise<MasterKey | undefined> {
    try {
      const raced = await keyring.get(this.home);
      if (raced !== undefined) {
        this.current.key = master(decodeKey(raced, `The key in ${keyring.name}`, ''), 'keyring', keyring.name);
        return this.current.key;
      }
      const value = randomBytes(KEY_BYTES).toString('base64');
      await keyring.set(this.home, value);
      if ((await keyring.get(this.home)) !== value) return undefined;
      this.current.key = master(Buffer.from(value, 'base64'), 'keyring', keyring.name);
      return this.current.key;
    } catch {
      return undefined;
    }
  }
}
