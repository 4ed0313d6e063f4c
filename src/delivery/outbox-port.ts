import type { StoredDiagnosis } from '../diagnose/index.js';
import type {
  AlertEmailContent,
  AttemptOutcome,
  ClaimedNotification,
  DeliveryAttemptRow,
  DeliveryPageQuery,
  EmailUpdate,
  FinishResult,
  LastSent,
  Lease,
  NewNotification,
  NextQueued,
  NotificationRow,
  NotificationStatus,
  NotificationSummary,
  OutboxCounts,
  UnsentGroupEmail,
} from './outbox-types.js';

/**
 * The outbox port (issue 12): what the delivery worker and the notification pipeline ask of the
 * outbox, each answer a promise, so a store that answers over the network (PostgreSQL, issue 16)
 * plugs in. Every method has exactly the name, parameters and result of the SQLite
 * OutboxRepository's (src/store/outbox.ts), which src/store/sqlite-port.ts checks at compile time.
 */
export interface OutboxStore {
  add(notification: NewNotification, eventIds?: readonly number[], content?: AlertEmailContent): Promise<void>;
  linkEvents(notificationId: string, eventIds: readonly number[]): Promise<void>;
  unsentAlertEmailOf(groupKey: string): Promise<UnsentGroupEmail | undefined>;
  updateUnsent(id: string, update: EmailUpdate): Promise<boolean>;
  get(id: string): Promise<NotificationRow | undefined>;
  claimDue(now: number, limit: number, lease?: Lease): Promise<ClaimedNotification[]>;
  claimById(id: string, now: number, lease?: Lease): Promise<ClaimedNotification | undefined>;
  finishAttemptWith(notificationId: string, attemptId: number, outcome: AttemptOutcome): Promise<FinishResult>;
  deferClaim(notificationId: string, attemptId: number, hold: { at: number; until: number; error: string; diagnosis: StoredDiagnosis | null }): Promise<FinishResult>;
  recordLateAnswer(notificationId: string, attemptId: number, outcome: AttemptOutcome): Promise<NotificationStatus | undefined>;
  requeueInterrupted(now: number, own?: { owner: string }): Promise<number>;
  parkQueued(now: number): Promise<number>;
  withdraw(id: string): Promise<boolean>;
  resumeWaiting(now: number): Promise<number>;
  pruneFinished(cutoffs: { sentBefore: number; failedBefore: number }, limit: number): Promise<number>;
  countByStatus(): Promise<OutboxCounts>;
  attemptsFor(notificationIds: readonly string[]): Promise<Map<string, DeliveryAttemptRow[]>>;
  eventIdsFor(notificationIds: readonly string[]): Promise<Map<string, number[]>>;
  page(query: DeliveryPageQuery): Promise<NotificationRow[]>;
  pageSummaries(query: DeliveryPageQuery): Promise<NotificationSummary[]>;
  lastSentNotification(): Promise<LastSent | undefined>;
  nextQueued(): Promise<NextQueued | undefined>;
  lastProblemAttempt(): Promise<DeliveryAttemptRow | undefined>;
  retryCount(notificationId: string): Promise<number>;
}

/** The events an e-mail carried, settled when it went out or failed for good. */
export interface CarriedEvents {
  settleCarriedBy(notificationId: string, outcome: 'notified' | 'failed'): Promise<number>;
}

/** What the worker uses inside a unit of work. */
export interface DeliveryStoreTx {
  readonly outbox: OutboxStore;
  readonly events: CarriedEvents;
}

/**
 * The worker's store: the outbox, the carried events, and units of work - all the writes of `fn`
 * commit together or none does (a throw rolls them back); a unit started inside one joins it.
 * notify's NotifyStore is one (src/notify/store-port.ts).
 */
export interface DeliveryStore extends DeliveryStoreTx {
  unitOfWork<T>(fn: (tx: DeliveryStoreTx) => Promise<T>): Promise<T>;
  /** False once closed (shutdown): what is in flight is re-queued by the next start. */
  readonly isOpen: boolean;
}
