import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import type { NotifyStore, NotifyStoreTx } from '../../notify/index.js';
import type { GroupCommitOptions } from '../group-commit.js';
import type { NewEvent } from '../rows.js';
import type { QueueDepth } from '../store.js';
import { PgAlerts, PgGroups } from './alerts.js';
import { PgEvents, type UndeliveredTally } from './events.js';
import { AsyncGroupCommitter } from './group-commit.js';
import { PgHealthNotices, PgMeta } from './health.js';
import { migratePg, type PgMigrationResult } from './migrate.js';
import { PgOutbox } from './outbox.js';
import { createPgPool, type PgLocation, type PgPoolOptions } from './pool.js';
import { ContextualQueryable, isConnectionError, runInTransaction, type Queryable } from './queryable.js';
import { PgRelay } from './relay.js';
import { PgSilences } from './silences.js';
import { ContextualTally, StoreTally, UnitTally } from './tally.js';

/** The repositories, all over one Queryable: the pool, or a unit of work's client. */
export class PgRepositories {
  readonly events: PgEvents;
  readonly alerts: PgAlerts;
  readonly groups: PgGroups;
  readonly silences: PgSilences;
  readonly outbox: PgOutbox;
  readonly health: PgHealthNotices;
  readonly meta: PgMeta;
  /** The SMTP relay's messages and users. */
  readonly relay: PgRelay;

  constructor(q: Queryable, tally: UndeliveredTally) {
    this.events = new PgEvents(q, tally);
    this.alerts = new PgAlerts(q);
    this.groups = new PgGroups(q);
    this.silences = new PgSilences(q);
    this.outbox = new PgOutbox(q);
    this.health = new PgHealthNotices(q);
    this.meta = new PgMeta(q);
    this.relay = new PgRelay(q);
  }
}

/** One transaction's repositories; `unitOfWork` on it joins the same transaction. */
export class PgUnit extends PgRepositories implements NotifyStoreTx {
  /** Set at COMMIT or ROLLBACK: work started by the unit that outlives it must not join it. */
  finished = false;

  constructor(
    readonly client: pg.PoolClient,
    readonly tally: UnitTally,
  ) {
    super(client, tally);
  }

  async unitOfWork<T>(fn: (tx: PgUnit) => Promise<T>): Promise<T> {
    if (this.finished) throw new Error('This unit of work has already ended (committed or rolled back); start a new one on the store.');
    return fn(this);
  }
}

export interface PgStoreOptions extends GroupCommitOptions {
  /**
   * How often the in-memory count of undelivered events is counted again from the table (other
   * instances deliver and receive too); 0 turns it off. Default 5 s.
   */
  recountEveryMs?: number;
}

/**
 * The store on PostgreSQL: one pool per process, migrated on open (under the schema advisory
 * lock). The repositories mirror the SQLite ones method for method, async; `unitOfWork` runs
 * several of their calls in one transaction on one connection, and `appendEvents` is the group
 * commit of the event intake (docs/postgres.md).
 */
export class PgStore extends PgRepositories implements NotifyStore {
  private readonly tally: StoreTally;
  /** The unit of work the current async context runs in: a nested unitOfWork joins it, and so do the store's repositories. */
  private readonly currentUnit: AsyncLocalStorage<PgUnit>;
  private readonly committer: AsyncGroupCommitter<NewEvent, number>;
  private readonly recountTimer: NodeJS.Timeout | undefined;
  private recounting: Promise<void> | undefined;
  private recountAgain = false;
  private closed = false;

  constructor(
    readonly pool: pg.Pool,
    readonly location: PgLocation,
    readonly migration: PgMigrationResult,
    options: PgStoreOptions = {},
  ) {
    const currentUnit = new AsyncLocalStorage<PgUnit>();
    const open = () => {
      const unit = currentUnit.getStore();
      return unit && !unit.finished ? unit : undefined;
    };
    const recount = { run: () => undefined as void };
    const tally = new StoreTally(() => recount.run());
    super(new ContextualQueryable(pool, () => open()?.client), new ContextualTally(tally, () => open()?.tally));
    recount.run = () => void this.recount().catch(() => undefined);
    this.currentUnit = currentUnit;
    this.tally = tally;
    // One INSERT on the pool (a statement commits by itself), never inside a unit even when the
    // first caller of a batch was in one: the batch holds other callers' events too.
    this.committer = new AsyncGroupCommitter((events) => this.currentUnit.exit(() => this.events.append(events)), options);
    const every = options.recountEveryMs ?? 5000;
    if (every > 0) {
      this.recountTimer = setInterval(() => void this.recount().catch(() => undefined), every);
      this.recountTimer.unref();
    }
  }

  get schemaVersion(): number {
    return this.migration.version;
  }

  /**
   * Runs `fn` in one transaction: one client from the pool, BEGIN, the repositories over that
   * client, then COMMIT, or ROLLBACK if `fn` throws (the error is passed on). Called inside a unit
   * (through the store or the unit), it joins that unit: no nested BEGIN.
   */
  async unitOfWork<T>(fn: (tx: PgUnit) => Promise<T>): Promise<T> {
    const open = this.currentUnit.getStore();
    if (open && !open.finished) return fn(open);
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const tally = new UnitTally(this.tally);
    const unit = new PgUnit(client, tally);
    try {
      const result = await runInTransaction(client, () => this.currentUnit.run(unit, () => fn(unit)));
      unit.finished = true;
      tally.applyTo(this.tally);
      return result;
    } catch (err) {
      unit.finished = true;
      if (isConnectionError(err)) broken = err as Error;
      // The unit's changes are gone; so are those its tally held. Count again from the table.
      void this.recount().catch(() => undefined);
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Group commit: concurrent callers share one transaction; each gets its events' ids, in order,
   * once that transaction has committed (an event is acknowledged only then).
   */
  appendEvents(events: readonly NewEvent[]): Promise<number[]> {
    return this.committer.submit(events);
  }

  /** Commits the appends still gathering now (before routing, at stop); resolves when they are committed. */
  async flushAppends(): Promise<void> {
    await this.committer.flush();
  }

  /** Events waiting for a group commit or in the one committing now. */
  get pendingAppends(): number {
    return this.committer.pendingItems + this.committer.inFlightItems;
  }

  /**
   * What backpressure compares with its limit: this instance's count, kept in memory (no query
   * per request), corrected from the table every `recountEveryMs` and after a rollback, plus the
   * appends not committed yet.
   */
  undeliveredEvents(): number {
    return this.tally.value + this.pendingAppends;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  async queueDepth(): Promise<QueueDepth> {
    return { undeliveredEvents: this.tally.value, outbox: await this.outbox.countByStatus() };
  }

  /** Counts the undelivered events from the table (one count at a time; a request meanwhile runs once more after it). */
  async recount(): Promise<void> {
    if (this.closed) return;
    if (this.recounting) {
      this.recountAgain = true;
      return this.recounting;
    }
    this.recounting = (async () => {
      try {
        do {
          this.recountAgain = false;
          this.tally.reset(await this.events.countUndelivered());
        } while (this.recountAgain && !this.closed);
      } finally {
        this.recounting = undefined;
      }
    })();
    return this.recounting;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.committer.close().catch(() => undefined);
    await this.relay.flush().catch(() => undefined);
    this.closed = true;
    if (this.recountTimer) clearInterval(this.recountTimer);
    await this.recounting?.catch(() => undefined);
    await this.pool.end();
  }
}

/** Connects, applies the migrations this database has not seen, counts the undelivered events, and returns the store. */
export async function openPgStore(location: PgLocation, options: PgPoolOptions & PgStoreOptions = {}): Promise<PgStore> {
  const pool = createPgPool(location, options);
  try {
    const store = new PgStore(pool, location, await migratePg(pool, location), options);
    await store.recount();
    return store;
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}
