import type { Queryable } from '../queryable.js';

/**
 * Per-mailbox pacing shared by every instance on the database (issue 16): Graph's 4 requests in
 * flight per app and mailbox and Exchange's messages per minute hold for the mailbox, not per
 * process, so N instances each pacing alone would send N x 4 at once and N x the rate.
 * Implements src/graph/pacing-port.ts's SharedMailboxPacing structurally (the store layer does
 * not import graph). Design and trade-offs: docs/postgres-coordination.md.
 */
export interface PgMailboxPacingOptions {
  /** This instance's id (InstanceRegistry's): a slot's holder is "<owner>#<n>". */
  owner: string;
  /** Requests in flight per mailbox across all instances (Graph: 4). The same on every instance. */
  concurrency?: number;
  /** Messages per minute per mailbox across all instances (Exchange Online: 30). */
  messagesPerMinute?: number;
  /** Messages back to back before the pace applies (default 1: evenly spread). */
  messageBurst?: number;
  /** A slot's lease: an instance that dies holding a slot loses it after this (default 2 minutes). */
  slotLeaseMs?: number;
  /** How often a waiter looks for a free slot again (default 50 ms, with jitter). */
  pollMs?: number;
}

/** A message turn: how long to wait, and when it is on the database's clock (epoch ms, fractional). */
export interface MessageTurn {
  waitMs: number;
  turnAt: number;
}

/** As TokenBucket (src/graph/pacing.ts): the window's margin, so a sliding-window server never counts one more. */
const WINDOW_MARGIN_MS = 1_000;
const DEFAULTS = { concurrency: 4, messagesPerMinute: 30, slotLeaseMs: 120_000, pollMs: 50 } as const;

function abortable(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class PgMailboxPacing {
  readonly concurrency: number;
  /** Ms between message turns in the long run (TokenBucket's spacing). */
  readonly intervalMs: number;
  readonly capacity: number;
  private readonly slotLeaseMs: number;
  private readonly pollMs: number;
  private readonly known = new Set<string>();
  private readonly held = new Map<string, () => Promise<void>>();
  private seq = 0;

  constructor(
    private readonly q: Queryable,
    private readonly options: PgMailboxPacingOptions,
  ) {
    if (!options.owner || options.owner.includes('#')) throw new RangeError(`owner "${options.owner}": must be non-empty and without '#'`);
    this.concurrency = options.concurrency ?? DEFAULTS.concurrency;
    if (!(Number.isInteger(this.concurrency) && this.concurrency >= 1)) throw new RangeError(`concurrency ${this.concurrency}: must be a whole number of at least 1`);
    const limit = options.messagesPerMinute ?? DEFAULTS.messagesPerMinute;
    if (!(limit >= 1)) throw new RangeError(`rate limit ${limit}: must be at least 1`);
    this.capacity = Math.max(1, Math.min(Math.floor(options.messageBurst ?? 1), Math.floor(limit)));
    this.intervalMs = (60_000 + WINDOW_MARGIN_MS) / (limit - this.capacity + 1);
    this.slotLeaseMs = options.slotLeaseMs ?? DEFAULTS.slotLeaseMs;
    this.pollMs = options.pollMs ?? DEFAULTS.pollMs;
  }

  /** The mailbox's slot rows 1..concurrency, created once by whichever instance comes first. */
  private async ensureSlots(mailbox: string): Promise<void> {
    if (this.known.has(mailbox)) return;
    await this.q.query(
      `INSERT INTO mailbox_slots (mailbox, slot) SELECT $1, g FROM generate_series(1, $2::int) AS g ON CONFLICT DO NOTHING`,
      [mailbox, this.concurrency],
    );
    this.known.add(mailbox);
  }

  /** One try: a free slot (never taken, released, or its lease ran out) for `holder`, or null. */
  private async tryTake(mailbox: string, holder: string): Promise<number | null> {
    // SKIP LOCKED: concurrent takers get different rows; the row lock re-checks `until` on the
    // newest version, so two takers never both win one slot.
    const { rows } = await this.q.query<{ slot: number }>(
      `UPDATE mailbox_slots SET holder = $3, until = clock_timestamp() + $4 * interval '1 millisecond'
       WHERE (mailbox, slot) = (
         SELECT mailbox, slot FROM mailbox_slots
         WHERE mailbox = $1 AND slot <= $2 AND until < clock_timestamp()
         ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING slot`,
      [mailbox, this.concurrency, holder, this.slotLeaseMs],
    );
    return rows[0]?.slot ?? null;
  }

  /**
   * Waits for a slot of the mailbox; resolves with its release. While held, the lease is renewed
   * every third of its length; if renewals fail past the lease (the database unreachable), the
   * slot is taken as lost and is free for others once its deadline passes.
   */
  async acquire(mailboxKey: string, options: { signal?: AbortSignal } = {}): Promise<() => Promise<void>> {
    const { signal } = options;
    await this.ensureSlots(mailboxKey);
    const holder = `${this.options.owner}#${++this.seq}`;
    for (;;) {
      signal?.throwIfAborted();
      const slot = await this.tryTake(mailboxKey, holder);
      if (slot !== null) return this.hold(mailboxKey, slot, holder);
      await abortable(this.pollMs * (0.5 + Math.random()), signal);
    }
  }

  private hold(mailbox: string, slot: number, holder: string): () => Promise<void> {
    let validUntil = Date.now() + this.slotLeaseMs;
    const renew = setInterval(() => {
      if (Date.now() > validUntil) {
        clearInterval(renew);
        return;
      }
      this.q
        .query(`UPDATE mailbox_slots SET until = clock_timestamp() + $4 * interval '1 millisecond' WHERE mailbox = $1 AND slot = $2 AND holder = $3`, [
          mailbox,
          slot,
          holder,
          this.slotLeaseMs,
        ])
        .then((r) => {
          if ((r.rowCount ?? 0) > 0) validUntil = Date.now() + this.slotLeaseMs;
          else clearInterval(renew);
        })
        .catch(() => undefined);
    }, Math.max(1, Math.floor(this.slotLeaseMs / 3)));
    renew.unref();
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      clearInterval(renew);
      this.held.delete(holder);
      // Only this holder's row: a slot that expired and was taken by another stays theirs.
      await this.q.query(`UPDATE mailbox_slots SET holder = NULL, until = '-infinity' WHERE mailbox = $1 AND slot = $2 AND holder = $3`, [mailbox, slot, holder]);
    };
    this.held.set(holder, release);
    return release;
  }

  /** Slots this instance holds now. */
  get holding(): number {
    return this.held.size;
  }

  /** Reserves the mailbox's next message turn and says how long to wait for it (SharedMailboxPacing). */
  async takeRate(mailboxKey: string): Promise<number> {
    return (await this.reserveTurn(mailboxKey)).waitMs;
  }

  /**
   * The shared token bucket: one row per mailbox, updated in one statement (the row lock orders
   * concurrent takers), refilled by the time since its last update on the database's clock.
   * Tokens may go below zero: a reservation, served in lock order, each told its wait. A taker
   * whose clock reading came before the row's last update (it waited on the lock) counts from
   * that update, so time never runs backwards.
   */
  async reserveTurn(mailboxKey: string): Promise<MessageTurn> {
    const { rows } = await this.q.query<{ tokens: number; updated_ms: number; now_ms: number }>(
      `WITH t AS (SELECT clock_timestamp() AS now)
       INSERT INTO mailbox_rate AS r (mailbox, tokens, updated_at)
       SELECT $1, $2::float8 - 1, t.now FROM t
       ON CONFLICT (mailbox) DO UPDATE SET
         tokens = LEAST($2::float8, r.tokens + GREATEST(0, extract(epoch FROM EXCLUDED.updated_at - r.updated_at) * 1000) / $3::float8) - 1,
         updated_at = GREATEST(r.updated_at, EXCLUDED.updated_at)
       RETURNING r.tokens, (extract(epoch FROM r.updated_at) * 1000)::float8 AS updated_ms,
                 (extract(epoch FROM (SELECT now FROM t)) * 1000)::float8 AS now_ms`,
      [mailboxKey, this.capacity, this.intervalMs],
    );
    const row = rows[0]!;
    const turnAt = row.updated_ms + Math.max(0, -row.tokens) * this.intervalMs;
    return { turnAt, waitMs: Math.max(0, Math.ceil(turnAt - row.now_ms)) };
  }

  /** Gives back every slot this instance holds (a clean stop). */
  async close(): Promise<void> {
    await Promise.all([...this.held.values()].map((release) => release()));
  }
}
