import type { Clock } from './clock.js';
import { MailboxPacer, type PacingOptions } from './pacing.js';

/**
 * The per-mailbox pacing that several instances must share (issue 16): Graph allows 4 requests
 * in flight per app and mailbox, Exchange a number of messages per minute per mailbox, whichever
 * process sends. Types only for a store to implement (src/store/postgres/coordination implements
 * it structurally: the store layer does not import graph), plus the in-process implementation.
 */
export interface SharedMailboxPacing {
  /**
   * Waits for one of the mailbox's concurrency slots; resolves with the function that gives it
   * back. Rejects with the signal's reason if `signal` aborts first (no slot is then held).
   */
  acquire(mailboxKey: string, options?: { signal?: AbortSignal }): Promise<() => Promise<void>>;
  /**
   * Reserves the mailbox's next message turn; resolves with how many ms to wait before sending
   * (0: now). Turns are handed out in call order. The time is the implementation's own clock:
   * on PostgreSQL the database's, never the caller's (instances' clocks differ).
   */
  takeRate(mailboxKey: string): Promise<number>;
}

/**
 * Pacing held in this process: per mailbox a MailboxPacer's own ConcurrencyLimiter and message
 * TokenBucket (same limits, defaults and spacing), so on SQLite - one instance -
 * nothing changes. MailboxPacer and the mail client take one as an option (MailClientOptions.sharedPacing).
 */
export class InProcessMailboxPacing implements SharedMailboxPacing {
  private readonly mailboxes = new Map<string, MailboxPacer>();

  constructor(
    private readonly clock: Clock,
    private readonly options: PacingOptions = {},
  ) {}

  /** A MailboxPacer per mailbox: its slots and its message bucket are the ones used here. */
  private mailbox(key: string): MailboxPacer {
    let state = this.mailboxes.get(key);
    if (!state) {
      state = new MailboxPacer(this.clock, this.options);
      this.mailboxes.set(key, state);
    }
    return state;
  }

  /** Slots in use for a mailbox now, and the most seen at once (tests, figures). */
  inFlight(mailboxKey: string): { now: number; peak: number } {
    const slots = this.mailbox(mailboxKey).slots;
    return { now: slots.inFlight, peak: slots.peak };
  }

  async acquire(mailboxKey: string, options: { signal?: AbortSignal } = {}): Promise<() => Promise<void>> {
    const { signal } = options;
    signal?.throwIfAborted();
    const granted = this.mailbox(mailboxKey).slots.acquire();
    const wrap = (release: () => void) => async () => release();
    if (!signal) return wrap(await granted);
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      void granted.then((release) => {
        signal.removeEventListener('abort', onAbort);
        // Aborted while queued: the FIFO turn still comes; it is handed straight to the next one.
        if (signal.aborted) release();
        else resolve(wrap(release));
      });
    });
  }

  takeRate(mailboxKey: string): Promise<number> {
    return Promise.resolve(this.mailbox(mailboxKey).messages.reserve());
  }
}
