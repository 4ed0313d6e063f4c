import type { StoredDiagnosis } from '../diagnose/index.js';

/**
 * The outbox's records and the shapes its store takes and gives: delivery owns them (it sits below
 * notify, which uses them through src/delivery/index.ts); SQLite and PostgreSQL keep them as they
 * are (src/store/rows.ts and outbox.ts re-export them). A light entry
 * (eslint-rules/layers.js LIGHT_ENTRIES): types, constants and one pure function only.
 */

export const NOTIFICATION_STATUSES = ['queued', 'sending', 'sent', 'failed', 'waiting-sign-in'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

export type NotificationKind = 'alert' | 'report' | 'health' | 'test' | 'relay';
export type Importance = 'low' | 'normal' | 'high';

export interface NewNotification {
  id: string;
  kind: NotificationKind;
  groupKey: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  html: string;
  text: string;
  importance: Importance;
  createdAt: number;
}

export interface NotificationRow extends NewNotification {
  status: NotificationStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastError: string | null;
  diagnosis: StoredDiagnosis | null;
  messageId: string | null;
  sentAt: number | null;
  updatedAt: number;
}

export type AttemptResult = 'in-flight' | 'sent' | 'retry' | 'failed' | 'waiting-sign-in' | 'interrupted';

export interface DeliveryAttemptRow {
  id: number;
  notificationId: string;
  attempt: number;
  startedAt: number;
  finishedAt: number | null;
  result: AttemptResult;
  statusCode: number | null;
  errorCode: string | null;
  error: string | null;
  diagnosis: StoredDiagnosis | null;
  /** HTTP requests the attempt took (token refresh and draft steps included); null before version 2. */
  httpRequests: number | null;
  /** The lease owner ("<instance>/<run>") that made the attempt. */
  owner: string | null;
}

/**
 * Who holds a claim and until when. `owner` is "<instance>/<run>": the instance (one host and
 * home) and this run of it. A second store implementation (PostgreSQL) claims the same way with
 * `FOR UPDATE SKIP LOCKED`; the lease is what lets several workers share one outbox.
 */
export interface Lease {
  owner: string;
  expiresAt: number;
}

/** The instance part of an owner ("<instance>/<run>"). */
export function leaseInstance(owner: string): string {
  const slash = owner.lastIndexOf('/');
  return slash === -1 ? owner : owner.slice(0, slash);
}

/** What a finished attempt records. */
export interface AttemptOutcome {
  result: Exclude<AttemptResult, 'in-flight' | 'interrupted'>;
  at: number;
  statusCode?: number | null;
  errorCode?: string | null;
  error?: string | null;
  diagnosis?: StoredDiagnosis | null;
  messageId?: string | null;
  /** `retry`: when to try again. */
  nextAttemptAt?: number | null;
  /** HTTP requests the attempt took (every one is listed). */
  httpRequests?: number | null;
}

/** A row the worker has claimed: status `sending`, with its in-flight attempt (the claim's id). */
export interface ClaimedNotification {
  notification: NotificationRow;
  attemptId: number;
  lease: Lease;
}

/** How a finished attempt was recorded: the row's new status, or `lost` when another claim owns it now. */
export type FinishResult = NotificationStatus | 'lost';

export interface OutboxCounts {
  queued: number;
  sending: number;
  sent: number;
  failed: number;
  waitingSignIn: number;
}

/** An outbox row without its bodies. */
export type NotificationSummary = Omit<NotificationRow, 'html' | 'text'>;

/** One sent e-mail's recipient count and when it went (the daily recipient budget's history). */
export interface SentRecipients {
  sentAt: number;
  recipients: number;
}

/** The queued e-mail due first, as the status shows it: when, and why it waits (null: not tried yet). */
export interface NextQueued {
  id: string;
  dueAt: number | null;
  reason: string | null;
}

/** The last e-mail that went out, as the status shows it. */
export interface LastSent {
  id: string;
  subject: string;
  sentAt: number | null;
  to: string[];
}

/** What an alert e-mail says, kept so a later flush of its group can update it instead of adding one. */
export interface AlertEmailContent {
  /** A digest of what the e-mail says; the same key means the same e-mail. */
  contentKey: string;
  /** Why each alert (by key) is in it: new, escalated, resolved, reminder, ongoing. */
  alertReasons: Record<string, string>;
}

/** A group's alert e-mail that has not gone out and is not being sent. */
export interface UnsentGroupEmail extends AlertEmailContent {
  id: string;
}

/** The new text of an unsent e-mail. */
export interface EmailUpdate extends AlertEmailContent {
  to: string[];
  subject: string;
  html: string;
  text: string;
  importance: Importance;
  at: number;
}

export interface DeliveryPageQuery {
  limit: number;
  /** Rows created before this time (paging backwards); absent means the newest. */
  before?: { createdAt: number; id: string };
  status?: NotificationStatus;
  /** Only e-mails of this kind (the settings page's last test e-mail). */
  kind?: NotificationKind;
}
