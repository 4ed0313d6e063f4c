import type { GroupCommitOptions } from '../group-commit.js';

interface Waiter<T, R> {
  items: readonly T[];
  resolve: (results: R[]) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit with an asynchronous commit (PostgreSQL's COMMIT is a round trip, not a call that
 * returns): the idea of src/store/group-commit.ts, plus one commit in flight at a time - what
 * arrives while a transaction commits waits and goes into the next one together, so the number
 * of transactions follows the database's commit time, not the number of callers. Each caller's
 * promise resolves after the COMMIT of its transaction, with its own results, or rejects with
 * that transaction's error.
 */
export class AsyncGroupCommitter<T, R> {
  private waiting: Waiter<T, R>[] = [];
  private waitingItems = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private inFlight: Promise<void> | undefined;
  private inFlightCount = 0;
  private closed = false;
  private readonly maxWaitMs: number;
  private readonly maxBatchItems: number;

  constructor(
    private readonly commit: (items: T[]) => Promise<R[]>,
    options: GroupCommitOptions = {},
  ) {
    this.maxWaitMs = Math.max(0, options.maxWaitMs ?? 0);
    this.maxBatchItems = Math.max(1, options.maxBatchItems ?? 2000);
  }

  /** Items waiting for the next commit (not those of the commit in flight). */
  get pendingItems(): number {
    return this.waitingItems;
  }

  /** Items of the commit in flight (not acknowledged yet). */
  get inFlightItems(): number {
    return this.inFlightCount;
  }

  submit(items: readonly T[]): Promise<R[]> {
    if (this.closed) return Promise.reject(new Error('The event intake is closed (the service is stopping).'));
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<R[]>((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      this.waitingItems += items.length;
      this.schedule();
    });
  }

  /** Commits what is waiting (after the commit in flight); resolves when nothing is left. */
  async flush(): Promise<void> {
    this.clearTimer();
    while (this.inFlight || this.waiting.length > 0) {
      if (this.inFlight) await this.inFlight;
      else this.start();
    }
  }

  /** Refuses further submissions and commits what is waiting. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private schedule(): void {
    if (this.inFlight) return; // the commit in flight starts the next batch when it ends
    if (this.waitingItems >= this.maxBatchItems) {
      this.clearTimer();
      this.timer = setImmediate(() => this.start());
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = this.maxWaitMs === 0 ? setImmediate(() => this.start()) : setTimeout(() => this.start(), this.maxWaitMs);
  }

  private start(): void {
    this.clearTimer();
    if (this.inFlight || this.waiting.length === 0) return;
    const batch = this.takeBatch();
    this.inFlightCount = batch.reduce((n, w) => n + w.items.length, 0);
    this.inFlight = this.run(batch).finally(() => {
      this.inFlight = undefined;
      if (this.waiting.length > 0) this.schedule();
    });
  }

  /** Whole submissions up to maxBatchItems (at least one). */
  private takeBatch(): Waiter<T, R>[] {
    let n = 0;
    let count = 0;
    while (n < this.waiting.length && (n === 0 || count + this.waiting[n]!.items.length <= this.maxBatchItems)) {
      count += this.waiting[n]!.items.length;
      n++;
    }
    const batch = this.waiting.splice(0, n);
    this.waitingItems -= count;
    return batch;
  }

  private async run(batch: Waiter<T, R>[]): Promise<void> {
    let results: R[];
    try {
      results = await this.commit(batch.flatMap((w) => w.items));
    } catch (err) {
      this.inFlightCount = 0;
      for (const w of batch) w.reject(err);
      return;
    }
    // Before any caller resumes: its items are committed (and counted by the store) now.
    this.inFlightCount = 0;
    let offset = 0;
    for (const w of batch) {
      w.resolve(results.slice(offset, offset + w.items.length));
      offset += w.items.length;
    }
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }
}
