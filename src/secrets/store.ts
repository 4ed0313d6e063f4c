import { X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ensureHomeDir, ensurePrivateDir, readFileIfExists, writeFileAtomic, withFileLock, type LockOptions, registerSecretForRedaction, registerTokenCacheForRedaction } from '../infra/index.js';
import { open, parseEnvelope, seal, SecretDecryptError, type KeySource, type SecretPurpose } from './envelope.js';
import { systemKeyring, type Keyring } from './keyring.js';
import { MasterKeyError, MasterKeyProvider } from './master-key.js';

export const SECRETS_DIR_NAME = 'secrets';
export const SECRET_FILES: Record<SecretPurpose, string> = {
  'client-secret': 'client-secret.enc',
  'token-cache': 'token-cache.enc',
  'client-certificate': 'client-certificate.enc',
};

/** App-only's certificate credential: the private key (PKCS#8 PEM) and its certificate (PEM). */
export interface ClientCertificate {
  privateKeyPem: string;
  certificatePem: string;
}

/** The client secret and the MSAL token cache, encrypted at rest (AES-256-GCM). */
export interface SecretStore {
  readonly home: string;
  /** Where the encrypted files are: <home>/secrets. */
  readonly dir: string;
  /** Where the master key comes from (may become 'key-file' when the keyring refuses a new key). */
  readonly keySource: KeySource;
  /** "the Secret Service keyring (GNOME Keyring, KWallet)", "O365_NOTIFY_KEY" or the key file's path. */
  readonly keyLocation: string;
  /** True when a client secret is stored; does not decrypt it. */
  hasClientSecret(): Promise<boolean>;
  getClientSecret(): Promise<string | undefined>;
  setClientSecret(value: string): Promise<void>;
  clearClientSecret(): Promise<void>;
  /** The certificate credential (`certificate create`), encrypted like the secret. */
  getClientCertificate(): Promise<ClientCertificate | undefined>;
  /** True when a certificate credential is stored and can be read; one that cannot be decrypted counts as absent. */
  hasClientCertificate(): Promise<boolean>;
  /** The stored certificate's end date (its notAfter, ISO 8601): read from the certificate, never typed. */
  clientCertificateEnd(): Promise<string | undefined>;
  setClientCertificate(value: ClientCertificate): Promise<void>;
  clearClientCertificate(): Promise<void>;
  /** The serialized MSAL cache, or undefined before the first sign-in. Does not lock. */
  readTokenCache(): Promise<string | undefined>;
  /** Replaces the cache atomically. Does not lock: wrap read-modify-write in withTokenCacheLock. */
  writeTokenCache(json: string): Promise<void>;
  clearTokenCache(): Promise<void>;
  /**
   * The cache sealed as the file would hold it (same key, same envelope), for a shared store that
   * keeps the blob elsewhere (issue 16: PostgreSQL). Makes the key on first use, as a write does.
   */
  sealTokenCache(json: string): Promise<string>;
  /** Opens a blob sealTokenCache made (here or on an instance with the same key); `where` names it in errors. */
  openTokenCache(sealed: string, where: string): Promise<string>;
  /** Exclusive across processes (CLI and service) for the duration of `fn`. Not re-entrant. */
  withTokenCacheLock<T>(fn: () => Promise<T>): Promise<T>;
}

export interface SecretStoreOptions {
  /** The OS keyring to use; null for none. Default: the system's, when it works. */
  keyring?: Keyring | null;
  lock?: LockOptions;
}

class EncryptedFileStore implements SecretStore {
  constructor(
    readonly home: string,
    readonly dir: string,
    private readonly keys: MasterKeyProvider,
    private readonly lockOptions: LockOptions,
  ) {}

  get keySource(): KeySource {
    return this.keys.source;
  }

  get keyLocation(): string {
    return this.keys.location;
  }

  private file(purpose: SecretPurpose): string {
    return path.join(this.dir, SECRET_FILES[purpose]);
  }

  private async read(purpose: SecretPurpose): Promise<string | undefined> {
    const file = this.file(purpose);
    const text = await readFileIfExists(file);
    if (text === undefined) return undefined;
    const key = await this.keys.load();
    if (!key) {
      const envelope = parseEnvelope(file, purpose, text);
      const fix =
        purpose === 'client-secret' ? 'enter the client secret again with `o365-notify setup`' : 'sign in again with `o365-notify login`';
      throw new SecretDecryptError(
        file,
        purpose,
        'wrong-key',
        `${file} was encrypted with key ${envelope.keyId} from ${envelope.keySource}, but that key cannot be found ` +
          `(looked in ${this.keys.location}${this.keys.keyringProblem ? `; ${this.keys.keyringProblem}` : ''}). ` +
          `Fix: restore the key, or delete ${file} and ${fix}.`,
      );
    }
    return open(key, purpose, file, text);
  }

  /** Refuses to make a new key while files encrypted with a missing one exist: they would be lost silently. */
  private async keyForWriting(): Promise<Awaited<ReturnType<MasterKeyProvider['loadOrCreate']>>> {
    const existing = await this.keys.load();
    if (existing) return existing;
    for (const purpose of Object.keys(SECRET_FILES) as SecretPurpose[]) {
      const other = this.file(purpose);
      const text = await readFileIfExists(other);
      if (text === undefined) continue;
      const envelope = parseEnvelope(other, purpose, text);
      throw new MasterKeyError(
        `The key that encrypted ${other} (key ${envelope.keyId} from ${envelope.keySource}) cannot be found in ` +
          `${this.keys.location}, so no new key is made. Fix: restore the key, or delete the files in ${this.dir}, ` +
          'then enter the client secret again with `o365-notify setup` and sign in again with `o365-notify login`.',
      );
    }
    return this.keys.loadOrCreate();
  }

  private async write(purpose: SecretPurpose, plaintext: string): Promise<void> {
    const key = await this.keyForWriting();
    await ensureHomeDir(this.home);
    await ensurePrivateDir(this.dir);
    await writeFileAtomic(this.file(purpose), seal(key, purpose, plaintext));
  }

  async hasClientSecret(): Promise<boolean> {
    return (await readFileIfExists(this.file('client-secret'))) !== undefined;
  }

  async getClientSecret(): Promise<string | undefined> {
    const value = await this.read('client-secret');
    if (value !== undefined) registerSecretForRedaction(value);
    return value;
  }

  async setClientSecret(value: string): Promise<void> {
    const secret = value.trim(); // a paste often brings a newline
    if (secret === '') throw new Error('The client secret is empty: paste the secret\'s Value from Certificates & secrets.');
    registerSecretForRedaction(secret);
    await ensurePrivateDir(this.dir);
    await withFileLock(this.file('client-secret'), () => this.write('client-secret', secret), this.lockOptions);
  }

  async clearClientSecret(): Promise<void> {
    await fs.rm(this.file('client-secret'), { force: true });
  }

  async getClientCertificate(): Promise<ClientCertificate | undefined> {
    const text = await this.read('client-certificate');
    if (text === undefined) return undefined;
    const value = JSON.parse(text) as ClientCertificate;
    registerSecretForRedaction(value.privateKeyPem);
    return value;
  }

  async hasClientCertificate(): Promise<boolean> {
    // A damaged or foreign-key file cannot sign anything: for "which credential is in use" it is not there.
    return (await this.getClientCertificate().catch(() => undefined)) !== undefined;
  }

  async clientCertificateEnd(): Promise<string | undefined> {
    const certificate = await this.getClientCertificate().catch(() => undefined);
    if (!certificate) return undefined;
    try {
      return new Date(new X509Certificate(certificate.certificatePem).validTo).toISOString();
    } catch {
      return undefined;
    }
  }

  async setClientCertificate(value: ClientCertificate): Promise<void> {
    registerSecretForRedaction(value.privateKeyPem);
    await ensurePrivateDir(this.dir);
    await withFileLock(this.file('client-certificate'), () => this.write('client-certificate', JSON.stringify(value)), this.lockOptions);
  }

  async clearClientCertificate(): Promise<void> {
    await fs.rm(this.file('client-certificate'), { force: true });
  }

  async readTokenCache(): Promise<string | undefined> {
    const json = await this.read('token-cache');
    if (json !== undefined) registerTokenCacheForRedaction(json);
    return json;
  }

  async writeTokenCache(json: string): Promise<void> {
    registerTokenCacheForRedaction(json);
    await this.write('token-cache', json);
  }

  async clearTokenCache(): Promise<void> {
    await fs.rm(this.file('token-cache'), { force: true });
  }

  async sealTokenCache(json: string): Promise<string> {
    registerTokenCacheForRedaction(json);
    return seal(await this.keyForWriting(), 'token-cache', json);
  }

  async openTokenCache(sealed: string, where: string): Promise<string> {
    const key = await this.keys.load();
    if (!key) {
      const envelope = parseEnvelope(where, 'token-cache', sealed);
      throw new SecretDecryptError(
        where,
        'token-cache',
        'wrong-key',
        `${where} was encrypted with key ${envelope.keyId} from ${envelope.keySource}, but this instance has no key ` +
          `(looked in ${this.keys.location}). Fix: copy the key of the instance that signed in to this one ` +
          '(docs/postgres-token-cache.md), or sign in again with `o365-notify login`.',
      );
    }
    const json = open(key, 'token-cache', where, sealed);
    registerTokenCacheForRedaction(json);
    return json;
  }

  async withTokenCacheLock<T>(fn: () => Promise<T>): Promise<T> {
    await ensurePrivateDir(this.dir);
    return withFileLock(this.file('token-cache'), fn, this.lockOptions);
  }
}

/**
 * Opens the encrypted store of `home` (an absolute, resolved home directory). Finds the master key
 * without creating anything: the key and the files are made on the first write.
 */
export async function openSecretStore(
  home: string,
  env: NodeJS.ProcessEnv = process.env,
  options: SecretStoreOptions = {},
): Promise<SecretStore> {
  const absoluteHome = path.resolve(home);
  const keyring = options.keyring === null ? undefined : (options.keyring ?? systemKeyring(env));
  const keys = await MasterKeyProvider.open(absoluteHome, env, keyring);
  return new EncryptedFileStore(absoluteHome, path.join(absoluteHome, SECRETS_DIR_NAME), keys, options.lock ?? {});
}
