import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryError, type DurableDirectory } from './directory.js';
import type { DurableGrants } from './entra/grants.js';
import type { SeedFile } from './seed.js';

/**
 * The tenant file (`<dataDir>/tenant.json`): directory, client secrets (by SHA-256 only),
 * consents, Graph's object ids and the issued refresh tokens (by hash). A real tenant outlives
 * any client's restart; so a restart of the emulator on the same data dir keeps ids, secrets and
 * sign-ins. Mailboxes, codes and switches stay in memory. `--reset` (`reset: true`) starts fresh.
 */

export const TENANT_FILE = 'tenant.json';
const VERSION = 1;

export interface TenantFileContents {
  version: typeof VERSION;
  /** The seed the tenant was made from: another seed starts a new tenant. */
  seedSha256: string;
  directory: DurableDirectory;
  graphObjects: Record<string, [string, string][]>;
  grants: DurableGrants;
}

export function seedFingerprint(seed: SeedFile): string {
  return createHash('sha256').update(JSON.stringify(seed), 'utf8').digest('hex');
}

export function tenantFilePath(dataDir: string): string {
  return join(dataDir, TENANT_FILE);
}

/** The stored tenant, or undefined when there is none yet. A damaged file is an error with the fix. */
export function readTenantFile(path: string): TenantFileContents | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let data: Partial<TenantFileContents>;
  try {
    data = JSON.parse(text) as Partial<TenantFileContents>;
  } catch (err) {
    throw new DirectoryError(`${path} is not a tenant file this emulator can read (${(err as Error).message}). Start the emulator with --reset to make a new tenant.`);
  }
  if (data.version !== VERSION || !data.directory || !data.grants) {
    throw new DirectoryError(`${path} was written by another version of the emulator (version ${String(data.version)}, expected ${VERSION}). Start the emulator with --reset to make a new tenant.`);
  }
  return data as TenantFileContents;
}

export function removeTenantFile(path: string): void {
  rmSync(path, { force: true });
}

/** Writes the tenant file when its contents changed (after each request and at close). */
export class TenantFileWriter {
  private written = '';

  constructor(
    private readonly path: string,
    private readonly contents: () => TenantFileContents,
  ) {}

  saveIfChanged(): void {
    const text = JSON.stringify(this.contents());
    if (text === this.written) return;
    // Write then rename: a crash mid-write leaves the previous file whole.
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, this.path);
    this.written = text;
  }
}
