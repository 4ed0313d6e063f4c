import { DEFAULT_MAX_UNDELIVERED_EVENTS, StoreSaturatedError, type NewEvent } from './rows.js';

// The refusal is the domain's (notify answers it as 429); re-exported for the store's callers.
export { DEFAULT_MAX_UNDELIVERED_EVENTS, StoreSaturatedError };
import type { Store } from './store.js';

export interface GroupCommitOptions {
  /**
   * How long the first submission of a batch waits for others. 0 (the default) commits on the next
   * turn of the event loop: every request parsed in the same I/O phase - and every one that arrived
   * while the previous commit's fsync blocked the loop - shares one transaction, with no added delay.
   */
  maxWaitMs?: number;
  /** Commit at once when this many items are waiting. */
  maxBatchItems?: number;
}

interface Waiter<T, R> {
  items: readonly T[];
  resolve: (results: R[]) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: concurrent submissions are gathered and committed by one call (one transaction,
 * one fsync; synchronous unless it must wait for a unit of work); each caller's promise resolves only after that commit returned, with
 * its own results, or rejects with the commit's error.
 */
export class GroupCommitter<T, R> {
  private waiting: Waiter<T, R>[] = [];
  private waitingItems = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private closed = false;
  private readonly maxWaitMs: number;
  private readonly maxBatchItems: number;

  constructor(
    private readonly commit: (items: T[]) => R[] | Promise<R[]>,
    options: GroupCommitOptions = {},
  ) {
    this.maxWaitMs = Math.max(0, options.maxWaitMs ?? 0);
    this.maxBatchItems = Math.max(1, options.maxBatchItems ?? 2000);
  }

  /** Items waiting for the next commit. */
  get pendingItems(): number {
    return this.waitingItems;
  }

  submit(items: readonly T[]): Promise<R[]> {
    if (this.closed) return Promise.reject(new Error('The event intake is closed (the service is stopping).'));
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<R[]>((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      this.waitingItems += items.length;
      if (this.waitingItems >= this.maxBatchItems) {
        // Not synchronously: the caller's own bookkeeping runs first, and the stack stays shallow.
        this.schedule(true);
      } else {
        this.schedule(false);
      }
    });
  }

  /** Commits what is waiting now. */
  flush(): void {
    this.clearTimer();
    const batch = this.waiting;
    if (batch.length === 0) return;
    this.waiting = [];
    this.waitingItems = 0;
    let results: R[] | Promise<R[]>;
    try {
      results = this.commit(batch.flatMap((w) => w.items));
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    // A commit that had to wait (the store port's open unit of work) answers when it is done.
    if (results instanceof Promise) results.then((r) => answer(batch, r), (err: unknown) => batch.forEach((w) => w.reject(err)));
    else answer(batch, results);
  }

  /** Commits what is waiting and refuses further submissions. */
  close(): void {
    this.flush();
    this.closed = true;
  }

  private schedule(now: boolean): void {
    if (now) {
      this.clearTimer();
      this.timer = setImmediate(() => this.flush());
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = this.maxWaitMs === 0 ? setImmediate(() => this.flush()) : setTimeout(() => this.flush(), this.maxWaitMs);
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }
}

function answer<T, R>(batch: readonly Waiter<T, R>[], results: R[]): void {
  let offset = 0;
  for (const w of batch) {
    w.resolve(results.slice(offset, offset + w.items.length));
    offset += w.items.length;
  }
}

export interface EventIntakeOptions extends GroupCommitOptions {
  /** Refuse new events while this many are undelivered (backpressure: 429, not silent loss). */
  maxUndeliveredEvents?: number;
}


/**
 * The durable front door: events are committed in groups, each submission resolves with its ids
 * only once they are on disk, and submissions beyond the store's limit are refused up front.
 */
export class EventIntake {
  private readonly committer: GroupCommitter<NewEvent, number>;
  readonly maxUndeliveredEvents: number;
  /** Called after each commit with the new ids (the service uses it to run the pipeline). */
  onCommitted: ((ids: number[]) => void) | undefined;

  constructor(
    private readonly store: Store,
    options: EventIntakeOptions = {},
  ) {
    this.maxUndeliveredEvents = options.maxUndeliveredEvents ?? DEFAULT_MAX_UNDELIVERED_EVENTS;
    this.committer = new GroupCommitter<NewEvent, number>((events) => {
      const ids = this.store.appendEvents(events);
      this.onCommitted?.(ids);
      return ids;
    }, options);
  }

  /** Undelivered events in the store plus those waiting for the next commit. */
  depth(): number {
    return this.store.undeliveredEvents() + this.committer.pendingItems;
  }

  /** Whether `count` more events fit. */
  hasRoomFor(count: number): boolean {
    return this.depth() + count <= this.maxUndeliveredEvents;
  }

  submit(events: readonly NewEvent[]): Promise<number[]> {
    if (!this.hasRoomFor(events.length)) {
      return Promise.reject(new StoreSaturatedError(this.depth(), this.maxUndeliveredEvents));
    }
    return this.committer.submit(events);
  }

  flush(): void {
    this.committer.flush();
  }

  close(): void {
    this.committer.close();
  }
}
