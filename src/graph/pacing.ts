import type { Clock } from './clock.js';
import type { SharedMailboxPacing } from './pacing-port.js';

/**
 * Pacing per mailbox, so known limits are never hit: at most N requests in flight, a message
 * budget per minute and a request budget per 10 minutes (token buckets that spread a burst),
 * and a shared pause when Graph answers 429/503 with Retry-After.
 */

export interface PacingOptions {
  /** Requests in flight per mailbox, or per app when the client names its app (Graph: 4 per app). */
  concurrency?: number;
  /** Messages per minute per mailbox (Exchange Online: 30). */
  messagesPerMinute?: number;
  /** Messages sent back to back before the pace applies (default 1: evenly spread). */
  messageBurst?: number;
  /**
   * Requests per 10 minutes per app and mailbox (Graph: 10,000,
   * https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits); the setting
   * `mail.requestsPer10Minutes`.
   */
  requestsPer10Minutes?: number;
  /** Requests sent back to back before that pace applies (default 10 % of the budget). */
  requestBurst?: number;
  /**
   * Recipients per mailbox in a rolling 24 hours (Exchange Online's recipient rate limit: 10,000;
   * over it Exchange accepts the message and answers with a non-delivery report); the setting
   * `mail.recipientsPerDay`.
   */
  recipientsPerDay?: number;
  /**
   * The recipients this mailbox already sent to (the store's sent e-mails after `sinceMs`, oldest
   * first), read once when this process's budget for it starts: a restart does not count from zero.
   */
  recipientHistory?: RecipientHistory;
}

/** Sent e-mails' recipient counts since a time, oldest first (the outbox's sent rows). */
export type RecipientHistory = (sinceMs: number) => readonly { sentAt: number; recipients: number }[];

export const DEFAULT_PACING = { concurrency: 4, messagesPerMinute: 30, requestsPer10Minutes: 10_000, recipientsPerDay: 10_000 } as const;

/**
 * Margin on the window so that the limit holds for a server counting in a sliding window, even
 * with a little network jitter between our clock and Graph's.
 */
const WINDOW_MARGIN_MS = 1_000;
/** A message sent this much after its turn takes a new one (half the window margin). */
const LATE_MESSAGE_MS = WINDOW_MARGIN_MS / 2;

/**
 * A token bucket with reservations: callers are served in call order, each told how long to wait.
 * `limit` events per `windowMs` with a `burst`: the spacing makes any window of `windowMs` hold
 * at most `limit` events (burst included), whether the server counts in a fixed window, a
 * sliding window or a bucket of its own.
 */
export class TokenBucket {
  readonly intervalMs: number;
  readonly capacity: number;
  private tokens: number;
  private last: number;
  /** Callers sleeping in `take` for their turn now. */
  waiting = 0;

  constructor(
    private readonly clock: Clock,
    options: { limit: number; windowMs: number; burst?: number; marginMs?: number },
  ) {
    if (!(options.limit >= 1)) throw new RangeError(`rate limit ${options.limit}: must be at least 1`);
    this.capacity = Math.max(1, Math.min(Math.floor(options.burst ?? 1), Math.floor(options.limit)));
    this.intervalMs = (options.windowMs + (options.marginMs ?? WINDOW_MARGIN_MS)) / (options.limit - this.capacity + 1);
    this.tokens = this.capacity;
    this.last = clock.now();
  }

  /** Reserves one token; returns how many ms to wait before using it (0: now). */
  reserve(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) / this.intervalMs);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil(-this.tokens * this.intervalMs);
  }

  async take(): Promise<number> {
    const wait = this.reserve();
    if (wait > 0) {
      this.waiting += 1;
      try {
        await this.clock.sleep(wait);
      } finally {
        this.waiting -= 1;
      }
    }
    return wait;
  }

  /** Events per minute this bucket allows in the long run. */
  get ratePerMinute(): number {
    return 60_000 / this.intervalMs;
  }
}

/** A FIFO semaphore: at most `max` holders; `peak` records the most seen at once. */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  peak = 0;

  constructor(readonly max: number) {
    if (!(max >= 1)) throw new RangeError(`concurrency ${max}: must be at least 1`);
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once a slot is free. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.active += 1;
        if (this.active > this.peak) this.peak = this.active;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.active -= 1;
          this.waiting.shift()?.();
        });
      };
      if (this.active < this.max && this.waiting.length === 0) grant();
      else this.waiting.push(grant);
    });
  }
}

/**
 * Graph counts its 4 concurrent Outlook requests per app ID, whichever mailboxes they reach
 * (https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits): every mail client of
 * one app in this process (one per sender mailbox, the service's and a test send from the page)
 * takes its slots from one limiter.
 */
const appLimiters = new Map<string, ConcurrencyLimiter>();

export function appConcurrencyLimiter(appKey: string, max: number): ConcurrencyLimiter {
  const key = `${appKey}|${max}`;
  let limiter = appLimiters.get(key);
  if (!limiter) {
    limiter = new ConcurrencyLimiter(max);
    appLimiters.set(key, limiter);
  }
  return limiter;
}

/**
 * A count per rolling window (Exchange's recipient rate limit): `take` succeeds while the window
 * has room and otherwise says how long until it has. Not paced: the window's budget may go at
 * once, as Exchange allows. A take is given back when its message was not accepted.
 */
export class RollingBudget {
  private entries: { t: number; n: number }[] = [];
  private sum = 0;

  constructor(
    readonly clock: Clock,
    readonly limit: number,
    private readonly windowMs: number,
  ) {
    if (!(limit >= 1)) throw new RangeError(`budget ${limit}: must be at least 1`);
  }

  private prune(now: number): void {
    // The margin keeps an entry a little longer than the server does (clock skew, network time).
    while (this.entries.length > 0 && this.entries[0]!.t <= now - this.windowMs - WINDOW_MARGIN_MS) this.sum -= this.entries.shift()!.n;
  }

  /**
   * Counts what went out before this budget existed (an earlier run of the process), so the
   * window holds them until they leave it; oldest first, taken before anything of its own.
   */
  seed(history: readonly { sentAt: number; recipients: number }[]): void {
    const now = this.clock.now();
    const earlier = history
      .filter((h) => h.recipients > 0 && h.sentAt <= now)
      .map((h) => ({ t: h.sentAt, n: h.recipients }))
      .sort((a, b) => a.t - b.t);
    this.entries = [...earlier, ...this.entries].sort((a, b) => a.t - b.t);
    this.sum += earlier.reduce((total, e) => total + e.n, 0);
    this.prune(now);
  }

  get used(): number {
    this.prune(this.clock.now());
    return this.sum;
  }

  /** Takes `n` now, or returns the ms until `n` fit (Infinity when `n` is over the limit itself). */
  take(n: number): { release: () => void } | { waitMs: number } {
    const now = this.clock.now();
    this.prune(now);
    if (n > this.limit) return { waitMs: Infinity };
    let over = this.sum + n - this.limit;
    if (over <= 0) {
      const entry = { t: now, n };
      this.entries.push(entry);
      this.sum += n;
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          const index = this.entries.indexOf(entry);
          if (index >= 0) {
            this.entries.splice(index, 1);
            this.sum -= n;
          }
        },
      };
    }
    for (const e of this.entries) {
      over -= e.n;
      if (over <= 0) return { waitMs: Math.max(1, e.t + this.windowMs + WINDOW_MARGIN_MS - now + 1) };
    }
    return { waitMs: this.windowMs };
  }
}

const DAY_MS = 24 * 3600_000;

/** One recipient budget per mailbox (and clock) in this process, whichever mail client or connection sends. */
const recipientBudgets = new WeakMap<Clock, Map<string, RollingBudget>>();

export function mailboxRecipientBudget(mailboxKey: string, limit: number, clock: Clock, history?: RecipientHistory): RollingBudget {
  let byKey = recipientBudgets.get(clock);
  if (!byKey) {
    byKey = new Map();
    recipientBudgets.set(clock, byKey);
  }
  const key = `${mailboxKey}|${limit}`;
  let budget = byKey.get(key);
  if (!budget) {
    budget = new RollingBudget(clock, limit, DAY_MS);
    // Seeded once per process: later sends are this budget's own takes (no double count).
    if (history) budget.seed(history(clock.now() - DAY_MS - WINDOW_MARGIN_MS));
    byKey.set(key, budget);
  }
  return budget;
}

/** What a request waited for before it went out (for overhead figures). */
export interface SlotWait {
  release: () => void;
  waitedMs: number;
}

/** Pacing kept with other instances (issue 16): this mailbox's slots and message turns come from it too. */
export interface SharedPacing {
  pacing: SharedMailboxPacing;
  /** Whose 4 slots: the app's when the client names its app (Graph counts per app), else the mailbox's. */
  slotKey: string;
  /** Whose message rate: the mailbox's. */
  rateKey: string;
}

/** The pacing state of one mailbox, shared by every send of a client. */
export class MailboxPacer {
  readonly slots: ConcurrencyLimiter;
  readonly messages: TokenBucket;
  readonly requests: TokenBucket;
  private pausedUntil = 0;

  constructor(
    private readonly clock: Clock,
    options: PacingOptions = {},
    /** Slots shared with the app's other mailboxes (appConcurrencyLimiter); default: this mailbox's own. */
    slots?: ConcurrencyLimiter,
    /**
     * Across instances (PostgreSQL): a slot and a message turn from `shared` as well as this
     * process's own; without it, this process's pacing alone, as on SQLite.
     */
    private readonly shared?: SharedPacing,
  ) {
    const requestsPer10Minutes = options.requestsPer10Minutes ?? DEFAULT_PACING.requestsPer10Minutes;
    this.slots = slots ?? new ConcurrencyLimiter(options.concurrency ?? DEFAULT_PACING.concurrency);
    this.messages = new TokenBucket(clock, {
      limit: options.messagesPerMinute ?? DEFAULT_PACING.messagesPerMinute,
      windowMs: 60_000,
      burst: options.messageBurst ?? 1,
    });
    this.requests = new TokenBucket(clock, {
      limit: requestsPer10Minutes,
      windowMs: 600_000,
      burst: options.requestBurst ?? Math.max(1, Math.floor(requestsPer10Minutes / 10)),
    });
  }

  /** Graph said to wait (Retry-After): every request to this mailbox holds off until then. */
  pauseUntil(timeMs: number): void {
    if (timeMs > this.pausedUntil) this.pausedUntil = timeMs;
  }

  get pausedUntilMs(): number {
    return this.pausedUntil;
  }

  /**
   * Waits for the message budget (in call order), then for a slot and the request budget. The
   * message token is taken before the slot so requests that send no message (uploads) are never
   * stuck behind messages waiting for their turn. A message that then waited long for its slot
   * takes a new turn: sent late, it would sit closer to the messages after it than planned.
   */
  async begin(options: { countsAsMessage: boolean }): Promise<SlotWait> {
    const started = this.clock.now();
    await this.waitForPause();
    let due = this.clock.now();
    if (options.countsAsMessage) due += await this.takeTurn();
    const release = await this.acquireSlot();
    try {
      await this.requests.take();
      // The last check before sending is always the pause (Retry-After).
      for (;;) {
        await this.waitForPause();
        if (!options.countsAsMessage || this.clock.now() - due <= LATE_MESSAGE_MS) break;
        due = this.clock.now() + (await this.takeTurn());
      }
    } catch (err) {
      release();
      throw err;
    }
    return { release, waitedMs: this.clock.now() - started };
  }

  /** This process's message turn, then the instances' shared one; the ms waited. */
  private async takeTurn(): Promise<number> {
    const local = await this.messages.take();
    if (!this.shared) return local;
    const wait = await this.shared.pacing.takeRate(this.shared.rateKey);
    if (wait > 0) await this.clock.sleep(wait);
    return local + wait;
  }

  /** This process's slot, then one of the instances' shared slots (given back together). */
  private async acquireSlot(): Promise<() => void> {
    const local = await this.slots.acquire();
    if (!this.shared) return local;
    try {
      const remote = await this.shared.pacing.acquire(this.shared.slotKey);
      // A release that cannot reach the database frees itself when the slot's lease runs out.
      return () => {
        local();
        remote().catch(() => undefined);
      };
    } catch (err) {
      local();
      throw err;
    }
  }

  private async waitForPause(): Promise<void> {
    for (let now = this.clock.now(); now < this.pausedUntil; now = this.clock.now()) {
      await this.clock.sleep(this.pausedUntil - now);
    }
  }
}
