import { parseJsonColumn } from './json.js';
import type { AttemptResult, DeliveryAttemptRow, Importance, NotificationKind, NotificationRow, NotificationStatus, StoredDiagnosis } from './rows.js';

/**
 * The outbox's rows as SQLite returns them and as the rest of the product sees them, and the
 * shapes its repository takes and gives (shared with the PostgreSQL outbox).
 */

/** Every column but the bodies: what lists and summaries read. */
export const SUMMARY_COLUMNS =
  'id, kind, group_key, recipients, cc, bcc, subject, importance, status, attempts, next_attempt_at, last_error, diagnosis, message_id, created_at, sent_at, updated_at';

export interface NotificationRecord {
  id: string;
  kind: NotificationKind;
  group_key: string;
  recipients: string;
  cc: string;
  bcc: string;
  subject: string;
  html: string;
  text: string;
  importance: Importance;
  status: NotificationStatus;
  attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  diagnosis: string | null;
  message_id: string | null;
  created_at: number;
  sent_at: number | null;
  updated_at: number;
}

export function toNotification(r: NotificationRecord): NotificationRow {
  return { ...toSummary(r), html: r.html, text: r.text };
}

export function toSummary(r: Omit<NotificationRecord, 'html' | 'text'>): NotificationSummary {
  return {
    id: r.id,
    kind: r.kind,
    groupKey: r.group_key,
    to: parseJsonColumn<string[]>(r.recipients, []),
    cc: parseJsonColumn<string[]>(r.cc, []),
    bcc: parseJsonColumn<string[]>(r.bcc, []),
    subject: r.subject,
    importance: r.importance,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    diagnosis: parseJsonColumn<StoredDiagnosis | null>(r.diagnosis, null),
    messageId: r.message_id,
    createdAt: r.created_at,
    sentAt: r.sent_at,
    updatedAt: r.updated_at,
  };
}

export interface AttemptRecord {
  id: number;
  notification_id: string;
  attempt: number;
  started_at: number;
  finished_at: number | null;
  result: AttemptResult;
  status_code: number | null;
  error_code: string | null;
  error: string | null;
  diagnosis: string | null;
  http_requests: number | null;
  lease_owner: string | null;
}

export function toAttempt(r: AttemptRecord): DeliveryAttemptRow {
  return {
    id: r.id,
    notificationId: r.notification_id,
    attempt: r.attempt,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    result: r.result,
    statusCode: r.status_code,
    errorCode: r.error_code,
    error: r.error,
    diagnosis: parseJsonColumn<StoredDiagnosis | null>(r.diagnosis, null),
    httpRequests: r.http_requests,
    owner: r.lease_owner,
  };
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
