import { parseJsonColumn } from './json.js';
import type { AttemptResult, DeliveryAttemptRow, Importance, NotificationKind, NotificationRow, NotificationStatus, StoredDiagnosis } from './rows.js';
import type { NotificationSummary } from '../delivery/outbox-types.js';
// The outbox's shapes are delivery's (the port's owner); the store keeps them.
export * from '../delivery/outbox-types.js';

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

