import type { CarriedEvents, OutboxStore } from '../delivery/index.js';
import type { HealthNoticeKind } from './health.js';
import type { AlertRow, EventCounts, EventOutcome, GroupRow, HealthNoticeInput, HealthNoticeRow, NewEvent, QueueDepth, SilenceRow, StoredEvent } from './domain.js';

/**
 * The store port notify owns (issue 12): the repositories the pipeline, the service's jobs and the
 * reports use, each answer a promise, and units of work. SQLite implements it today
 * (src/store/sqlite-port.ts), PostgreSQL next (issue 16), without a change here. Every method has
 * exactly the name, parameters and result of the SQLite repository's (src/store/*.ts), which the
 * adapter checks at compile time; only what notify, delivery and intake call is here.
 */

export interface EventStore extends CarriedEvents {
  nextUnprocessed(limit: number): Promise<StoredEvent[]>;
  markRoutedMany(items: readonly { id: number; groupKey: string | null; outcome: EventOutcome }[]): Promise<void>;
  pendingIn(groupKey: string): Promise<{ id: number; alertKey: string }[]>;
  settlePendingOf(groupKey: string, alertKey: string, outcome: EventOutcome): Promise<number>;
  movePendingOf(alertKey: string, fromGroup: string, toGroup: string): Promise<number>;
  markQueuedIds(eventIds: readonly number[]): Promise<number>;
  receivedBetween(from: number, to: number, limit: number): Promise<StoredEvent[]>;
  countsBetweenTimes(from: number, to: number): Promise<EventCounts[]>;
  oldestUndeliveredEvent(): Promise<{ id: number; receivedAt: number } | undefined>;
  pruneSettledBefore(before: number, failedBefore?: number, limit?: number): Promise<number>;
}

export interface AlertStore {
  get(key: string): Promise<AlertRow | undefined>;
  save(alert: AlertRow): Promise<void>;
  inGroupKey(groupKey: string): Promise<AlertRow[]>;
  list(limit?: number): Promise<AlertRow[]>;
  markNotified(key: string, at: number): Promise<void>;
}

export interface GroupStore {
  get(key: string): Promise<GroupRow | undefined>;
  save(group: GroupRow): Promise<void>;
  due(now: number, limit: number): Promise<GroupRow[]>;
  /**
   * The group as it is now, if still due at `now`, for the flush unit it is called in to own
   * (issue 16): undefined when another flush holds it (PostgreSQL: FOR UPDATE SKIP LOCKED) or has
   * flushed it already, so two instances never flush the same due group.
   */
  claimDue(key: string, now: number): Promise<GroupRow | undefined>;
  markFlushed(key: string, at: number | null, nextFlushAt: number | null): Promise<void>;
  list(): Promise<GroupRow[]>;
  nextFlushAt(): Promise<number | null>;
}

export interface SilenceStore {
  add(silence: Omit<SilenceRow, 'removedAt'>): Promise<void>;
  removeById(id: string, at: number): Promise<boolean>;
  activeAt(now: number): Promise<SilenceRow[]>;
  list(limit?: number): Promise<SilenceRow[]>;
}

export interface HealthNoticeStore {
  record(input: HealthNoticeInput, at: number): Promise<boolean>;
  attachNotification(kind: HealthNoticeKind, subject: string, threshold: string, notificationId: string): Promise<void>;
  resolveKind(kind: HealthNoticeKind, at: number, subject?: string): Promise<number>;
  resolveOne(kind: HealthNoticeKind, subject: string, threshold: string, at: number): Promise<boolean>;
  listActive(): Promise<HealthNoticeRow[]>;
}

export interface MetaStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

/** The repositories, as used inside a unit of work (the calls run at once, in the unit). */
export interface NotifyStoreTx {
  readonly events: EventStore;
  readonly alerts: AlertStore;
  readonly groups: GroupStore;
  readonly silences: SilenceStore;
  readonly outbox: OutboxStore;
  readonly health: HealthNoticeStore;
  readonly meta: MetaStore;
}

/**
 * The store as notify sees it. Outside a unit, each call waits for an open unit to end. It is
 * also the delivery worker's DeliveryStore.
 */
export interface NotifyStore extends NotifyStoreTx {
  /** All of `fn`'s writes through `tx` commit together, or none (a throw rolls back); a unit started inside one joins it. */
  unitOfWork<T>(fn: (tx: NotifyStoreTx) => Promise<T>): Promise<T>;
  /**
   * Group commit: appends that arrive together share one transaction; resolves with the ids in
   * order once committed (durable), rejects with the commit's error.
   */
  appendEvents(events: readonly NewEvent[]): Promise<number[]>;
  /** Commits the appends still gathering now (before routing, at stop). */
  flushAppends(): Promise<void>;
  /** Undelivered events, counting appends still gathering: sync, an in-memory count for backpressure. */
  undeliveredEvents(): number;
  queueDepth(): Promise<QueueDepth>;
  readonly isOpen: boolean;
}
