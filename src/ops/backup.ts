import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { SETTINGS_FILE_NAME } from '../config/index.js';
import { ensureHomeDir, PRIVATE_FILE_MODE } from '../infra/index.js';
import { productVersion } from '../shared/index.js';
import {
  KEYS_DIR_NAME,
  keyFromPassphrase,
  newPassphraseKdf,
  openEnvelope,
  openSecretStore,
  SECRET_FILES,
  SECRETS_DIR_NAME,
  SecretDecryptError,
  sealEnvelope,
  type PassphraseKdf,
  type SecretPurpose,
  type SecretStore,
} from '../secrets/index.js';
import { LATEST_SCHEMA_VERSION } from '../store/index.js';
import { inspectDatabase, isSqliteFile, snapshotDatabase } from './sqlite-snapshot.js';

/**
 * `backup FILE` / `restore FILE`: the home directory as a .tar.gz - settings, API token hash, the
 * databases as consistent snapshots, the encrypted secrets - never the master key. Without a
 * passphrase the secrets stay sealed with this home's master key (restorable only where that key
 * is); with one they are re-sealed with a key derived from it, so the backup opens anywhere.
 */
export const BACKUP_FORMAT = 'o365-notify-backup';
export const BACKUP_FORMAT_VERSION = 1;
const MANIFEST = 'manifest.json';
const PORTABLE_SECRETS_DIR = 'portable-secrets';

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_FORMAT_VERSION;
  productVersion: string;
  createdAt: string;
  hostname: string;
  /** Highest schema version among the databases (null when the home had none yet). */
  schemaVersion: number | null;
  secrets: 'master-key' | 'passphrase';
  kdf?: PassphraseKdf;
  files: { path: string; bytes: number; sha256: string }[];
}

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

// Never in a backup: the master key, earlier backups, logs, the Windows service wrapper, the demo's emulator.
const SKIPPED_DIRS = new Set([KEYS_DIR_NAME, 'backups', 'logs', 'service', 'emulator']);
// service.json: the running service's address record (issue 9.4), never restored.
const SKIPPED_FILES = /(-wal|-shm|-journal|\.lock|\.tmp)$|^service\.json$/;

const SECRET_ACCESS: Record<SecretPurpose, { read(s: SecretStore): Promise<string | undefined>; write(s: SecretStore, v: string): Promise<void> }> = {
  'client-secret': { read: (s) => s.getClientSecret(), write: (s, v) => s.setClientSecret(v) },
  'token-cache': { read: (s) => s.readTokenCache(), write: (s, v) => s.writeTokenCache(v) },
  'client-certificate': {
    read: async (s) => {
      const c = await s.getClientCertificate();
      return c && JSON.stringify(c);
    },
    write: (s, v) => s.setClientCertificate(JSON.parse(v) as Parameters<SecretStore['setClientCertificate']>[0]),
  },
};

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The home's files a backup holds, relative with forward slashes. */
async function homeFiles(home: string, dir = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(path.join(home, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) out.push(...(await homeFiles(home, rel)));
    } else if (entry.isFile() && !SKIPPED_FILES.test(entry.name)) out.push(rel);
  }
  return out;
}

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'o365-backup-'));
}

export async function createBackup(options: { home: string; file: string; env: NodeJS.ProcessEnv; passphrase?: string }): Promise<BackupManifest> {
  const { home } = options;
  if (!(await fs.stat(home).then((s) => s.isDirectory(), () => false))) throw new BackupError(`There is nothing to back up: ${home} does not exist.`);
  const staging = await tempDir();
  try {
    const kdf = options.passphrase === undefined ? undefined : newPassphraseKdf();
    let schemaVersion: number | null = null;
    for (const rel of await homeFiles(home)) {
      const source = path.join(home, rel);
      if (kdf && rel.startsWith(`${SECRETS_DIR_NAME}/`)) continue; // re-sealed below
      const target = path.join(staging, 'home', rel);
      await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      if (await isSqliteFile(source)) {
        const snapshot = snapshotDatabase(source, target);
        schemaVersion = Math.max(schemaVersion ?? 0, snapshot.schemaVersion);
      } else await fs.copyFile(source, target);
    }
    if (kdf) {
      const key = keyFromPassphrase(options.passphrase!, kdf);
      const secrets = await openSecretStore(home, options.env);
      await fs.mkdir(path.join(staging, PORTABLE_SECRETS_DIR), { mode: 0o700 });
      for (const purpose of Object.keys(SECRET_FILES) as SecretPurpose[]) {
        const value = await SECRET_ACCESS[purpose].read(secrets);
        if (value !== undefined) await fs.writeFile(path.join(staging, PORTABLE_SECRETS_DIR, `${purpose}.enc`), sealEnvelope(key, purpose, value), { mode: PRIVATE_FILE_MODE });
      }
    }
    const files: BackupManifest['files'] = [];
    for (const rel of await homeFiles(staging)) {
      const file = path.join(staging, rel);
      files.push({ path: rel, bytes: (await fs.stat(file)).size, sha256: await sha256(file) });
    }
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      version: BACKUP_FORMAT_VERSION,
      productVersion: productVersion(),
      createdAt: new Date().toISOString(),
      hostname: os.hostname(),
      schemaVersion,
      secrets: kdf ? 'passphrase' : 'master-key',
      ...(kdf ? { kdf } : {}),
      files,
    };
    await fs.writeFile(path.join(staging, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { mode: PRIVATE_FILE_MODE });
    // Written beside the target and renamed: a crash never leaves half a backup under the real name.
    const partial = `${options.file}.${process.pid}.tmp`;
    await tar.create({ gzip: true, file: partial, cwd: staging, portable: true, mode: PRIVATE_FILE_MODE }, [MANIFEST, ...files.map((f) => f.path)]);
    await fs.chmod(partial, PRIVATE_FILE_MODE);
    await fs.rename(partial, options.file);
    return manifest;
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

function parseManifest(text: string): BackupManifest {
  let manifest: Partial<BackupManifest>;
  try {
    manifest = JSON.parse(text) as Partial<BackupManifest>;
  } catch {
    throw new BackupError('The backup\'s manifest is not JSON: the file is damaged or not an o365-notify backup.');
  }
  if (manifest.format !== BACKUP_FORMAT) throw new BackupError('This file is not an o365-notify backup (made by `o365-notify backup FILE`).');
  if (manifest.version !== BACKUP_FORMAT_VERSION) {
    throw new BackupError(`The backup has format version ${String(manifest.version)}, made by o365-notify ${String(manifest.productVersion)}; install that version or newer to restore it.`);
  }
  if (!Array.isArray(manifest.files)) throw new BackupError('The backup\'s manifest lists no files: the file is damaged.');
  return manifest as BackupManifest;
}

/** Reads and checks a backup (manifest, every file's checksum, the databases' integrity) into a staging folder. */
async function unpack(file: string, staging: string): Promise<BackupManifest> {
  try {
    // strict: a damaged archive is an error, not a warning; absolute paths and .. are refused by tar.
    await tar.extract({ file, cwd: staging, strict: true, preservePaths: false });
  } catch (err) {
    throw new BackupError(`${file} cannot be read as a backup (${(err as Error).message}).`);
  }
  const manifest = parseManifest(await fs.readFile(path.join(staging, MANIFEST), 'utf8').catch(() => {
    throw new BackupError(`${file} has no manifest: it is not an o365-notify backup.`);
  }));
  for (const entry of manifest.files) {
    const inside = path.join(staging, entry.path);
    if (path.relative(staging, inside).startsWith('..')) throw new BackupError(`The backup names a file outside itself (${entry.path}): it is damaged or not ours.`);
    const actual = await sha256(inside).catch(() => undefined);
    if (actual !== entry.sha256) throw new BackupError(`${entry.path} in the backup is ${actual ? 'damaged (its checksum differs)' : 'missing'}: the backup cannot be restored.`);
  }
  if (manifest.schemaVersion !== null && manifest.schemaVersion > LATEST_SCHEMA_VERSION) {
    throw new BackupError(
      `The backup's store has schema version ${manifest.schemaVersion} (o365-notify ${manifest.productVersion}); this o365-notify ${productVersion()} ` +
        `reads up to ${LATEST_SCHEMA_VERSION}. Install o365-notify ${manifest.productVersion} or newer, then restore.`,
    );
  }
  for (const entry of manifest.files) {
    const inside = path.join(staging, entry.path);
    if (!(await isSqliteFile(inside))) continue;
    const { problems } = inspectDatabase(inside);
    if (problems.length > 0) throw new BackupError(`The database ${entry.path} in the backup fails SQLite's integrity check (${problems[0]}).`);
  }
  return manifest;
}

/** What in a home a restore would overwrite: settings or a database. */
async function existingData(home: string): Promise<string[]> {
  const found: string[] = [];
  for (const rel of await homeFiles(home).catch(() => [])) {
    if (rel === SETTINGS_FILE_NAME || (await isSqliteFile(path.join(home, rel)))) found.push(rel);
  }
  return found;
}

export interface RestoreResult {
  manifest: BackupManifest;
  restored: string[];
  /** With `replace`: where the home's previous files were moved. */
  movedAside?: string;
}

export async function restoreBackup(options: { home: string; file: string; env: NodeJS.ProcessEnv; passphrase?: string; replace?: boolean }): Promise<RestoreResult> {
  const { home } = options;
  const staging = await tempDir();
  try {
    const manifest = await unpack(options.file, staging);
    if (manifest.secrets === 'passphrase' && options.passphrase === undefined) {
      throw new BackupError('This backup\'s secrets are sealed with a passphrase: give it with --passphrase-file FILE or --passphrase-stdin.');
    }
    const key = manifest.secrets === 'passphrase' ? keyFromPassphrase(options.passphrase!, manifest.kdf!) : undefined;
    const portable = new Map<SecretPurpose, string>();
    for (const entry of manifest.files.filter((f) => f.path.startsWith(`${PORTABLE_SECRETS_DIR}/`))) {
      const purpose = path.basename(entry.path, '.enc') as SecretPurpose;
      if (!(purpose in SECRET_FILES) || !key) continue;
      try {
        portable.set(purpose, openEnvelope(key, purpose, entry.path, await fs.readFile(path.join(staging, entry.path), 'utf8')));
      } catch (err) {
        if (err instanceof SecretDecryptError) throw new BackupError('The passphrase does not open this backup\'s secrets: type the passphrase the backup was made with.');
        throw err;
      }
    }
    const inTheWay = await existingData(home);
    let movedAside: string | undefined;
    if (inTheWay.length > 0) {
      if (!options.replace) {
        throw new BackupError(
          `${home} already has ${inTheWay.join(', ')}. Restore into a new home (--home DIR), or stop the service and ` +
            'add --replace (the current files are moved to <home>/backups/replaced-<time>/, nothing is deleted).',
        );
      }
      movedAside = path.join(home, 'backups', `replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      await fs.mkdir(movedAside, { recursive: true, mode: 0o700 });
      for (const entry of await fs.readdir(home)) {
        if (SKIPPED_DIRS.has(entry)) continue;
        await fs.rename(path.join(home, entry), path.join(movedAside, entry));
      }
    }
    try {
      await ensureHomeDir(home);
      const restored: string[] = [];
      for (const entry of manifest.files.filter((f) => f.path.startsWith('home/'))) {
        const rel = entry.path.slice('home/'.length);
        const target = path.join(home, rel);
        await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
        await fs.copyFile(path.join(staging, entry.path), target);
        await fs.chmod(target, PRIVATE_FILE_MODE);
        restored.push(rel);
      }
      const secrets = await openSecretStore(home, options.env);
      for (const [purpose, value] of portable) {
        await SECRET_ACCESS[purpose].write(secrets, value);
        restored.push(`${SECRETS_DIR_NAME}/${SECRET_FILES[purpose]}`);
      }
      if (manifest.secrets === 'master-key') await checkSecretsOpen(home, secrets, restored);
      return { manifest, restored, ...(movedAside ? { movedAside } : {}) };
    } catch (err) {
      // Put back what --replace moved aside: a failed restore leaves the home as it was.
      if (movedAside) await putBack(home, movedAside);
      throw err;
    }
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

async function putBack(home: string, movedAside: string): Promise<void> {
  for (const entry of await fs.readdir(movedAside)) {
    await fs.rm(path.join(home, entry), { recursive: true, force: true });
    await fs.rename(path.join(movedAside, entry), path.join(home, entry));
  }
  await fs.rm(movedAside, { recursive: true, force: true });
}

/** Secrets sealed with a master key open only where that key is: say so, and take back what was restored. */
async function checkSecretsOpen(home: string, secrets: SecretStore, restored: string[]): Promise<void> {
  try {
    for (const access of Object.values(SECRET_ACCESS)) await access.read(secrets);
  } catch (err) {
    if (!(err instanceof SecretDecryptError)) throw err;
    for (const rel of restored) await fs.rm(path.join(home, rel), { force: true });
    throw new BackupError(
      `The backup's secrets were encrypted with another master key than this home's (${secrets.keyLocation}), so nothing was restored. ` +
        'Restore where the backup was made (the same home, with its key), or make the backup again with a passphrase ' +
        '(`o365-notify backup FILE --passphrase-stdin`), which restores on any machine.',
    );
  }
}
