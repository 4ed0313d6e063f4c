import { stat } from 'node:fs/promises';

export interface FileChangeWatch {
  /** Takes the files as they are now as seen (after the service itself applied a change). */
  resync(): Promise<void>;
  stop(): void;
}

/** Size and mtime of each file ('' when missing): a change of either is a change. */
async function fingerprint(files: readonly string[]): Promise<string> {
  const parts = await Promise.all(files.map((f) => stat(f).then((s) => `${s.size}:${s.mtimeMs}`, () => '')));
  return parts.join('|');
}

/**
 * Polls a few small files (the settings, the encrypted client secret) and calls `onChange` once
 * per change: `setup` or `secret rotate` in another terminal reaches the running service without
 * a restart. Polling, not fs.watch: atomic renames and network file systems make events unreliable.
 */
export async function watchFileChanges(files: readonly string[], everyMs: number, onChange: () => Promise<void>): Promise<FileChangeWatch> {
  let seen = await fingerprint(files);
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void (async () => {
      try {
        const now = await fingerprint(files);
        if (now === seen) return;
        seen = now;
        await onChange();
      } finally {
        running = false;
      }
    })();
  }, everyMs);
  timer.unref();
  return {
    async resync() {
      seen = await fingerprint(files);
    },
    stop() {
      clearInterval(timer);
    },
  };
}
