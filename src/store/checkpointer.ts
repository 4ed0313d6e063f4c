import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints off the event loop.
 *
 * SQLite runs its automatic checkpoint inside the commit that takes the WAL past 1000 pages, on
 * the committing thread: it copies the pages into the database file and fsyncs both files.
 * Profiled under the SMTP relay's load (10 clients of 1 KB messages), those fsyncs were three
 * quarters of the store's time on the event loop - ~13 ms per checkpoint, of which the copy is
 * ~2 ms. SQLite's WAL page suggests turning automatic checkpoints off and running them "in a
 * separate thread or process" (https://www.sqlite.org/wal.html#automatic_checkpoint): this worker
 * thread does, with its own connection.
 *
 * - Every `intervalMs` it runs `PRAGMA wal_checkpoint(PASSIVE)`, which never blocks the writer
 *   (https://www.sqlite.org/pragma.html#pragma_wal_checkpoint); with nothing new in the WAL it
 *   neither copies nor syncs.
 * - A PASSIVE checkpoint racing a steady stream of commits never finds the WAL fully copied, so
 *   the WAL is never restarted and would grow; past `restartFrames` the worker runs a RESTART
 *   checkpoint, which holds the write lock only to copy what the last PASSIVE left over and sync.
 * - The main connection keeps an automatic checkpoint at `backstopFrames` (wal_autocheckpoint),
 *   so a worker that died or fell behind costs speed, never an unbounded WAL.
 *
 * Durability is unchanged: a commit is in the WAL (fsynced per `synchronous`) before it returns,
 * whoever checkpoints it later; the worker's connection uses the store's `synchronous` level, so
 * its checkpoints sync like the main connection's would.
 */
export interface CheckpointerOptions {
  file: string;
  /** The store's `synchronous` level: FULL or NORMAL (never OFF). */
  synchronous: 'FULL' | 'NORMAL';
  intervalMs?: number;
  restartFrames?: number;
}

/** The main connection's wal_autocheckpoint while the worker runs (SQLite's default is 1000). */
export const BACKSTOP_FRAMES = 20_000;

// Plain CommonJS run by the worker (eval): no TypeScript loader needed in the thread.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 200');
db.pragma('synchronous = ' + workerData.synchronous);
let closing = false;
let timer;
let last = -1;
const round = () => {
  timer = undefined;
  if (closing) return;
  try {
    let r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    if (r && r.log > workerData.restartFrames) r = db.pragma('wal_checkpoint(RESTART)')[0];
    // Said only when it did something: an idle store does not wake the main thread.
    if (r && r.checkpointed !== last) parentPort.postMessage({ log: r.log, checkpointed: r.checkpointed });
    last = r ? r.checkpointed : last;
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
  timer = setTimeout(round, workerData.intervalMs);
};
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  closing = true;
  if (timer) clearTimeout(timer);
  try { db.close(); } catch {}
  // The main thread waits for this before it closes its own connection (Checkpointer.close).
  const closed = new Int32Array(workerData.closed);
  Atomics.store(closed, 0, 1);
  Atomics.notify(closed, 0);
  parentPort.close();
});
timer = setTimeout(round, workerData.intervalMs);
`;

export interface CheckpointerStats {
  /** Rounds that checkpointed something. */
  rounds: number;
  /** The most WAL frames a round saw: bounded by restartFrames plus what arrives between rounds. */
  largestLog: number;
  errors: number;
  lastError: string | undefined;
}

/** How long close() waits for the worker's connection to close (a worker still starting up included). */
const CLOSE_WAIT_MS = 2000;

export class Checkpointer {
  private readonly worker: Worker;
  private closed = false;
  /** Set to 1 by the worker once its connection is closed. */
  private readonly workerClosed = new Int32Array(new SharedArrayBuffer(4));
  readonly stats: CheckpointerStats = { rounds: 0, largestLog: 0, errors: 0, lastError: undefined };

  /** Called when the worker stopped on its own (the main connection's backstop takes over). */
  onStopped: ((err: Error | undefined) => void) | undefined;

  constructor(o: CheckpointerOptions) {
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // The thread runs plain JavaScript: the parent's loaders (tsx) would only cost start-up time.
      execArgv: [],
      // It holds a connection and a timer: small heaps keep the thread's memory down.
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
      workerData: { closed: this.workerClosed.buffer, sqlite, file: o.file, synchronous: o.synchronous, intervalMs: o.intervalMs ?? 100, restartFrames: o.restartFrames ?? 4000 },
    });
    this.worker.on('message', (m: { error?: string; log?: number }) => {
      this.stats.rounds++;
      this.stats.largestLog = Math.max(this.stats.largestLog, m.log ?? 0);
      if (m.error !== undefined) {
        this.stats.errors++;
        this.stats.lastError = m.error;
      }
    });
    this.worker.on('error', (err) => this.stopped(err));
    this.worker.on('exit', () => this.stopped(undefined));
    // After the listeners: adding the first 'message' listener refs the thread again.
    this.worker.unref();
  }

  private stopped(err: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.onStopped?.(err);
  }

  /**
   * Asks the worker to close its connection and waits (at most CLOSE_WAIT_MS, blocking: close()
   * stays synchronous like the store's) until it has. So when the store's close() returns, no
   * other connection is left: the main connection, closed last, makes SQLite's final checkpoint
   * and removes the -wal and -shm files, and nothing writes in the data folder afterwards (a
   * backup, a restore or a removal of the folder right after the service stopped sees it still).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.worker.postMessage('close');
    Atomics.wait(this.workerClosed, 0, 0, CLOSE_WAIT_MS);
  }
}
