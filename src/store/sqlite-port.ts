import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  AlertStore,
  EventStore,
  GroupStore,
  HealthNoticeStore,
  MetaStore,
  NotifyStore,
  NotifyStoreTx,
  QueueDepth,
  SilenceStore,
} from '../notify/index.js';
import type { OutboxStore } from '../delivery/index.js';
import type { AlertRepository, GroupRepository } from './alerts.js';
import type { EventRepository } from './events.js';
import { GroupCommitter, type GroupCommitOptions } from './group-commit.js';
import type { HealthNoticeRepository, MetaRepository } from './health.js';
import type { OutboxRepository } from './outbox.js';
import type { NewEvent } from './rows.js';
import type { SilenceRepository } from './silences.js';
import type { Store as SqliteStore } from './store.js';

/**
 * The SQLite store behind notify's and delivery's ports (issue 12): each port method runs the
 * synchronous repository call and answers with its result as a settled promise.
 *
 * Units of work: BEGIN IMMEDIATE, `await fn(tx)`, COMMIT (ROLLBACK and a recount of the in-memory
 * undelivered count on a throw). Because `fn` may await, the connection is guarded by a promise
 * chain: a second unit, and every call from outside the open unit, waits until it ends; calls
 * through `tx` - or from code running inside the unit (AsyncLocalStorage) - run at once, and a
 * unit started inside a unit joins it. With only this adapter's calls awaited inside, a unit runs
 * within one macrotask, so with no unit open a call runs at once and costs one settled promise.
 *
 * The sync Store and its repositories stay as they are for the composition, ops, the relay and
 * tests; their writes on the same connection are not ordered by this guard (see docs/architecture.md).
 */

/** The port's view of a repository: the same methods, each answering a promise. */
type Promised<R> = { [K in keyof R]: R[K] extends (...args: infer A) => infer T ? (...args: A) => Promise<T> : never };
/** Compile-time proof that a port method is the repository's, promised (same names, parameters, results). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Mirrors<Port, Repo> = Same<Promised<Pick<Repo, keyof Port & keyof Repo>>, Port> extends true ? (keyof Port extends keyof Repo ? true : false) : false;
const PORTS_MIRROR_REPOSITORIES: [
  Mirrors<EventStore, EventRepository>,
  Mirrors<AlertStore, AlertRepository>,
  Mirrors<GroupStore, GroupRepository>,
  Mirrors<SilenceStore, SilenceRepository>,
  Mirrors<OutboxStore, OutboxRepository>,
  Mirrors<HealthNoticeStore, HealthNoticeRepository>,
  Mirrors<MetaStore, MetaRepository>,
] = [true, true, true, true, true, true, true];
void PORTS_MIRROR_REPOSITORIES;

// The methods each port has (a Record, so the compiler says when one is missing or unknown).
const EVENT_METHODS: Record<keyof EventStore, true> = {
  nextUnprocessed: true, markRoutedMany: true, pendingIn: true, settlePendingOf: true, movePendingOf: true, markQueuedIds: true,
  receivedBetween: true, countsBetweenTimes: true, oldestUndeliveredEvent: true, pruneSettledBefore: true, settleCarriedBy: true,
};
const ALERT_METHODS: Record<keyof AlertStore, true> = { get: true, save: true, inGroupKey: true, list: true, markNotified: true };
const GROUP_METHODS: Record<keyof GroupStore, true> = { get: true, save: true, due: true, claimDue: true, markFlushed: true, list: true, nextFlushAt: true };
const SILENCE_METHODS: Record<keyof SilenceStore, true> = { add: true, removeById: true, activeAt: true, list: true };
const OUTBOX_METHODS: Record<keyof OutboxStore, true> = {
  add: true, linkEvents: true, unsentAlertEmailOf: true, updateUnsent: true, get: true, claimDue: true, claimById: true,
  finishAttemptWith: true, deferClaim: true, recordLateAnswer: true, requeueInterrupted: true, parkQueued: true, withdraw: true,
  resumeWaiting: true, pruneFinished: true, countByStatus: true, attemptsFor: true, eventIdsFor: true, page: true,
  pageSummaries: true, lastSentNotification: true, nextQueued: true, lastProblemAttempt: true, retryCount: true,
};
const HEALTH_METHODS: Record<keyof HealthNoticeStore, true> = { record: true, attachNotification: true, resolveKind: true, resolveOne: true, listActive: true };
const META_METHODS: Record<keyof MetaStore, true> = { get: true, set: true };

type Run = <T>(call: () => T) => Promise<T>;

/** A sync call's result (or throw) as a settled promise. */
function settled<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (err) {
    return Promise.reject(err);
  }
}

function promised<P>(repo: object, methods: Record<string, true>, run: Run): P {
  const port: Record<string, unknown> = {};
  for (const name of Object.keys(methods)) {
    const method = (repo as Record<string, (...args: unknown[]) => unknown>)[name]!.bind(repo);
    port[name] = (...args: unknown[]) => run(() => method(...args));
  }
  return port as P;
}

function repositories(store: SqliteStore, run: Run): NotifyStoreTx {
  return {
    events: promised<EventStore>(store.events, EVENT_METHODS, run),
    alerts: promised<AlertStore>(store.alerts, ALERT_METHODS, run),
    groups: promised<GroupStore>(store.groups, GROUP_METHODS, run),
    silences: promised<SilenceStore>(store.silences, SILENCE_METHODS, run),
    outbox: promised<OutboxStore>(store.outbox, OUTBOX_METHODS, run),
    health: promised<HealthNoticeStore>(store.health, HEALTH_METHODS, run),
    meta: promised<MetaStore>(store.meta, META_METHODS, run),
  };
}

export interface SqlitePortOptions {
  /** The intake's group commit (maxWaitMs, maxBatchItems), behind appendEvents. */
  groupCommit?: GroupCommitOptions;
}

/** One unit of work in progress (its identity is what AsyncLocalStorage carries). */
interface Unit {
  readonly id: number;
}

export class SqliteNotifyStore implements NotifyStore {
  readonly events: EventStore;
  readonly alerts: AlertStore;
  readonly groups: GroupStore;
  readonly silences: SilenceStore;
  readonly outbox: OutboxStore;
  readonly health: HealthNoticeStore;
  readonly meta: MetaStore;
  /** The repositories inside the open unit: they run at once. */
  private readonly tx: NotifyStoreTx;
  private readonly inUnit = new AsyncLocalStorage<Unit>();
  private readonly committer: GroupCommitter<NewEvent, number>;
  /** The unit that holds the connection now (BEGIN done, COMMIT not yet). */
  private current: Unit | undefined;
  /** Units open or waiting; 0 means a call may run at once. */
  private units = 0;
  /** Settles when the last unit open or waiting ends. */
  private tail: Promise<void> = Promise.resolve();
  private nextUnitId = 1;
  /** The group commit in flight when it had to wait for a unit, and its events. */
  private commitInFlight: Promise<unknown> = Promise.resolve();
  private waitingAppends = 0;

  constructor(
    readonly store: SqliteStore,
    options: SqlitePortOptions = {},
  ) {
    this.tx = repositories(store, settled);
    const outside = repositories(store, (call) => this.outside(call));
    this.events = outside.events;
    this.alerts = outside.alerts;
    this.groups = outside.groups;
    this.silences = outside.silences;
    this.outbox = outside.outbox;
    this.health = outside.health;
    this.meta = outside.meta;
    this.committer = new GroupCommitter<NewEvent, number>((events) => {
      // With no unit open (always, unless a unit awaits more than this store), the commit is the sync one of today.
      if (this.units === 0) return store.appendEvents(events);
      // Counted as undelivered until committed; the count drops before any submitter resumes.
      this.waitingAppends += events.length;
      const commit = this.outside(() => store.appendEvents(events)).finally(() => (this.waitingAppends -= events.length));
      this.commitInFlight = commit.catch(() => undefined);
      return commit;
    }, options.groupCommit);
  }

  get isOpen(): boolean {
    return this.store.isOpen;
  }

  async unitOfWork<T>(fn: (tx: NotifyStoreTx) => Promise<T>): Promise<T> {
    if (this.current !== undefined && this.inUnit.getStore() === this.current) return fn(this.tx);
    const before = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    this.units++;
    try {
      if (this.units > 1) await before;
      return await this.run(fn);
    } finally {
      this.units--;
      release();
    }
  }

  appendEvents(events: readonly NewEvent[]): Promise<number[]> {
    return this.committer.submit(events);
  }

  async flushAppends(): Promise<void> {
    this.committer.flush();
    await this.commitInFlight;
  }

  undeliveredEvents(): number {
    return this.store.undeliveredEvents() + this.committer.pendingItems + this.waitingAppends;
  }

  queueDepth(): Promise<QueueDepth> {
    return this.outside(() => this.store.queueDepth());
  }

  /** A call from outside a unit: at once when no unit is open or waiting (or from inside the open one), else after them. */
  private outside<T>(call: () => T): Promise<T> {
    if (this.units === 0 || (this.current !== undefined && this.inUnit.getStore() === this.current)) return settled(call);
    return this.tail.then(() => this.outside(call));
  }

  private async run<T>(fn: (tx: NotifyStoreTx) => Promise<T>): Promise<T> {
    const { db } = this.store;
    const unit: Unit = { id: this.nextUnitId++ };
    db.exec('BEGIN IMMEDIATE');
    this.current = unit;
    try {
      const result = await this.inUnit.run(unit, () => fn(this.tx));
      db.exec('COMMIT');
      return result;
    } catch (err) {
      if (db.open && db.inTransaction) db.exec('ROLLBACK');
      if (db.open) this.store.events.recount();
      throw err;
    } finally {
      this.current = undefined;
    }
  }
}

/** One adapter per connection, so every unit on it is ordered by the same guard. */
const adapters = new WeakMap<SqliteStore, SqliteNotifyStore>();

/** The ports on `store` (made once per store; `options` apply when it is made). */
export function sqliteNotifyStore(store: SqliteStore, options: SqlitePortOptions = {}): SqliteNotifyStore {
  let adapter = adapters.get(store);
  if (!adapter) {
    adapter = new SqliteNotifyStore(store, options);
    adapters.set(store, adapter);
  }
  return adapter;
}
