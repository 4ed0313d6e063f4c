import fs from 'node:fs/promises';
import path from 'node:path';

/** Owner-only file mode for everything that holds settings, secrets or keys. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

async function syncDirectory(dir: string): Promise<void> {
  // Makes the rename itself durable. Windows cannot open a directory for fsync: nothing to do there.
  if (process.platform === 'win32') return;
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

type Rename = (from: string, to: string) => Promise<void>;
const WINDOWS_RENAME_RETRY = /^(EPERM|EACCES|EBUSY)$/;

/**
 * rename() that replaces the target. On Windows a virus scanner or the search indexer may hold the
 * target open for a moment, and MoveFileEx then fails with EPERM/EACCES/EBUSY: retry for up to about
 * 2 s (graceful-fs does the same, for longer). Elsewhere a failure is real and reported at once.
 */
export async function renameReplacing(from: string, to: string, platform: NodeJS.Platform = process.platform, rename: Rename = fs.rename): Promise<void> {
  for (let attempt = 0, delay = 10; ; attempt++, delay = Math.min(delay * 2, 500)) {
    try {
      await rename(from, to);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (platform !== 'win32' || !WINDOWS_RENAME_RETRY.test(code) || attempt >= 8) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * Replaces `file` so that a reader sees either the old or the new content, never a mix, and
 * a crash never leaves a half-written file: temp file in the same directory, fsync, rename.
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  mode: number = PRIVATE_FILE_MODE,
): Promise<void> {
  const dir = path.dirname(file);
  // node:crypto on first write, not at start-up: `explain` never writes (issue 14: ~5 ms).
  const { randomBytes } = await import('node:crypto');
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'wx', mode);
  try {
    // open()'s mode is narrowed by the umask; set it exactly.
    await handle.chmod(mode);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    await renameReplacing(temp, file);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.rm(temp, { force: true });
    throw err;
  }
  await syncDirectory(dir);
}

/** The file's text, or undefined when it does not exist (any other error is thrown). */
export async function readFileIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Creates `dir` (and parents) owner-only; an existing directory of ours is narrowed to owner-only. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (process.platform === 'win32') return;
  const stat = await fs.stat(dir);
  if ((stat.mode & 0o777) !== PRIVATE_DIR_MODE) await fs.chmod(dir, PRIVATE_DIR_MODE);
}

/** Creates the home directory owner-only when it does not exist; an existing one is left as it is. */
export async function ensureHomeDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}
