import fs from 'node:fs';
import path from 'node:path';

/**
 * The one "a file changed on disk" mechanism of the service: the settings and the client secret
 * (`setup` or `secret rotate` in another terminal), the API token (`token rotate`) and the sign-in
 * state (`login`, a refresh in another process) all reach the running service through it.
 */
export interface FileChangeWatch {
  /** Takes the files as they are now as seen (after the service itself applied a change). */
  resync(): Promise<void>;
  stop(): void;
}

export interface FileChangeWatchOptions {
  /** How often the files are stat'ed. This poll is what counts: it sees every change, late at worst. */
  everyMs: number;
  /**
   * Also look at once when fs.watch reports something in the files' directories. Events only hurry
   * the poll: atomic renames, network file systems and some platforms lose them.
   */
  events?: boolean;
  /** Called once per change seen (several changes between two looks are one call). */
  onChange: () => unknown;
  onError?: (err: unknown) => void;
}

type Stats = Pick<fs.Stats, 'ino' | 'size' | 'mtimeMs'>;

/**
 * Inode, size and mtime of each file ('' when missing): a change of any is a change. The inode
 * matters: an atomic write replaces the file, often with the same size (the API token file).
 */
function describe(stats: readonly (Stats | null)[]): string {
  return stats.map((s) => (s ? `${s.ino}:${s.size}:${s.mtimeMs}` : '')).join('|');
}

function fingerprintNow(files: readonly string[]): string {
  return describe(files.map((f) => fs.statSync(f, { throwIfNoEntry: false }) ?? null));
}

async function fingerprint(files: readonly string[]): Promise<string> {
  return describe(await Promise.all(files.map((f) => fs.promises.stat(f).catch(() => null))));
}

/**
 * Calls `onChange` once per change of `files`. Starts synchronously: the files as they are when
 * it returns are the ones seen, so a change right after the caller read them is not lost.
 */
export function watchFileChanges(files: readonly string[], options: FileChangeWatchOptions): FileChangeWatch {
  let seen = fingerprintNow(files);
  let stopped = false;
  let checking: Promise<void> | undefined;
  let again = false;

  const check = (): Promise<void> => {
    // A look asked for during one in progress runs after it: that one may have stat'ed too early.
    if (checking) {
      again = true;
      return checking;
    }
    checking = (async () => {
      do {
        again = false;
        const now = await fingerprint(files);
        if (stopped || now === seen) continue;
        seen = now;
        try {
          await options.onChange();
        } catch (err) {
          options.onError?.(err);
        }
      } while (again && !stopped);
    })().finally(() => {
      checking = undefined;
    });
    return checking;
  };

  const dirWatches = new Map<string, fs.FSWatcher | undefined>();
  const watchDirs = () => {
    for (const file of files) {
      const dir = path.dirname(file);
      if (dirWatches.get(dir)) continue;
      try {
        // Not persistent: a watch never keeps the process alive.
        const watcher = fs.watch(dir, { persistent: false }, (_event, changed) => {
          if (!changed || files.some((f) => path.dirname(f) === dir && path.basename(f) === changed.toString())) void check();
        });
        watcher.on('error', () => {
          watcher.close();
          dirWatches.set(dir, undefined);
        });
        dirWatches.set(dir, watcher);
      } catch {
        // The directory is missing (a home made later) or the platform cannot: the poll still sees changes.
        dirWatches.set(dir, undefined);
      }
    }
  };
  if (options.events) watchDirs();

  const timer = setInterval(() => {
    // A directory that appeared since (or whose watch failed) is watched from now on.
    if (options.events) watchDirs();
    void check();
  }, options.everyMs);
  timer.unref();

  return {
    async resync() {
      seen = await fingerprint(files);
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      for (const watcher of dirWatches.values()) watcher?.close();
      dirWatches.clear();
    },
  };
}
