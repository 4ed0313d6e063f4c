import type Database from 'better-sqlite3';
import { PROBLEM_RESULTS_SQL } from './history-migration.js';
import { parseJsonColumn } from './json.js';
import {
  SUMMARY_COLUMNS,
  toAttempt,
  toNotification,
  toSummary,
  type AttemptRecord,
  type DeliveryPageQuery,
  type LastSent,
  type NotificationRecord,
  type NotificationSummary,
  type OutboxCounts,
  type NextQueued,
  type SentRecipients,
} from './outbox-records.js';
import type { DeliveryAttemptRow, NotificationRow, NotificationStatus } from './rows.js';

/**
 * The outbox's history side: what was sent and tried (status counts, the delivery pages, the last
 * e-mail and the last problem) and the retention that deletes old history. Reads only, but for
 * the retention; OutboxRepository (outbox.ts) adds enqueue, claim and finish on top.
 */
export class OutboxHistory {
  private readonly counts: Database.Statement;
  private readonly attemptsOf: Database.Statement;
  private readonly eventsOf: Database.Statement;
  private readonly attemptsOfMany: Database.Statement;
  private readonly eventsOfMany: Database.Statement;
  private readonly lastSent: Database.Statement;
  private readonly lastProblem: Database.Statement;
  private readonly oldestOpen: Database.Statement;
  private readonly retriesOf: Database.Statement;
  private readonly sentBefore: Database.Statement;
  private readonly sentSince: Database.Statement;
  private readonly firstQueued: Database.Statement;
  private readonly failedBefore: Database.Statement;
  private readonly deleteMany: (ids: string[]) => number;
  /** The page's statements, prepared on first use (one per filter combination). */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(protected readonly db: Database.Database) {
    // Retention (store.retentionDays / failedRetentionDays): the oldest finished rows, by index, a batch at a time.
    this.sentBefore = db.prepare(
      "SELECT id FROM notifications INDEXED BY notifications_sent WHERE status = 'sent' AND sent_at < ? ORDER BY sent_at LIMIT ?",
    );
    // The daily recipient budget's history (a rolling 24 hours): a range of the same index, in its order.
    this.sentSince = db.prepare(
      `SELECT sent_at, json_array_length(recipients) + json_array_length(cc) + json_array_length(bcc) AS n
       FROM notifications INDEXED BY notifications_sent WHERE status = 'sent' AND sent_at > ? ORDER BY sent_at`,
    );
    this.firstQueued = db.prepare(
      "SELECT id, next_attempt_at, last_error FROM notifications INDEXED BY notifications_claim WHERE status = 'queued' ORDER BY next_attempt_at, created_at LIMIT 1",
    );
    this.failedBefore = db.prepare(
      "SELECT id FROM notifications INDEXED BY notifications_status WHERE status = 'failed' AND created_at < ? ORDER BY created_at LIMIT ?",
    );
    const detachNotices = db.prepare('UPDATE health_notices SET notification_id = NULL WHERE notification_id IN (SELECT value FROM json_each(?))');
    const deleteIds = db.prepare('DELETE FROM notifications WHERE id IN (SELECT value FROM json_each(?))');
    this.deleteMany = (ids) => {
      if (ids.length === 0) return 0;
      const list = JSON.stringify(ids);
      detachNotices.run(list);
      return deleteIds.run(list).changes;
    };
    // Kept by triggers on every write (history-migration.ts): no count over the table.
    this.counts = db.prepare('SELECT status, n FROM notification_counts');
    this.attemptsOf = db.prepare('SELECT * FROM delivery_attempts WHERE notification_id = ? ORDER BY id');
    this.eventsOf = db.prepare('SELECT event_id FROM notification_events WHERE notification_id = ? ORDER BY event_id');
    // One query each for a whole page's attempts and events (the ids as a JSON array), not two per e-mail.
    this.attemptsOfMany = db.prepare(
      'SELECT * FROM delivery_attempts WHERE notification_id IN (SELECT value FROM json_each(?)) ORDER BY notification_id, id',
    );
    this.eventsOfMany = db.prepare(
      'SELECT notification_id, event_id FROM notification_events WHERE notification_id IN (SELECT value FROM json_each(?)) ORDER BY notification_id, event_id',
    );
    this.lastSent = db.prepare(
      "SELECT id, subject, sent_at, recipients FROM notifications INDEXED BY notifications_sent WHERE status = 'sent' ORDER BY sent_at DESC LIMIT 1",
    );
    this.lastProblem = db.prepare(
      `SELECT * FROM delivery_attempts INDEXED BY delivery_attempts_problems WHERE result IN ${PROBLEM_RESULTS_SQL} ORDER BY id DESC LIMIT 1`,
    );
    this.retriesOf = db.prepare("SELECT count(*) AS n FROM delivery_attempts WHERE notification_id = ? AND result = 'retry'");
    this.oldestOpen = db.prepare(
      "SELECT min(created_at) AS at FROM notifications WHERE status IN ('queued', 'sending', 'waiting-sign-in')",
    );
  }

  /**
   * Deletes up to `limit` e-mails sent before `sentBefore` and up to `limit` failed for good
   * before `failedBefore`, with their attempts, event links and relayed messages (ON DELETE
   * CASCADE; a relayed message's spool file becomes an orphan the spool sweep removes). Queued,
   * sending and waiting e-mails are never touched. Returns how many were deleted.
   */
  pruneFinished(cutoffs: { sentBefore: number; failedBefore: number }, limit: number): number {
    return this.db.transaction(() => {
      const sent = (this.sentBefore.all(cutoffs.sentBefore, limit) as { id: string }[]).map((r) => r.id);
      const failed = (this.failedBefore.all(cutoffs.failedBefore, limit) as { id: string }[]).map((r) => r.id);
      return this.deleteMany([...sent, ...failed]);
    })();
  }

  countByStatus(): OutboxCounts {
    const counts: OutboxCounts = { queued: 0, sending: 0, sent: 0, failed: 0, waitingSignIn: 0 };
    for (const r of this.counts.all() as { status: NotificationStatus; n: number }[]) {
      if (r.status === 'waiting-sign-in') counts.waitingSignIn = r.n;
      else counts[r.status] = r.n;
    }
    return counts;
  }

  attempts(notificationId: string): DeliveryAttemptRow[] {
    return (this.attemptsOf.all(notificationId) as AttemptRecord[]).map(toAttempt);
  }

  eventIds(notificationId: string): number[] {
    return (this.eventsOf.all(notificationId) as { event_id: number }[]).map((r) => r.event_id);
  }

  /** A page's attempts, per e-mail, in one query. */
  attemptsFor(notificationIds: readonly string[]): Map<string, DeliveryAttemptRow[]> {
    const out = new Map<string, DeliveryAttemptRow[]>(notificationIds.map((id) => [id, []]));
    if (notificationIds.length === 0) return out;
    for (const r of this.attemptsOfMany.all(JSON.stringify(notificationIds)) as AttemptRecord[]) out.get(r.notification_id)?.push(toAttempt(r));
    return out;
  }

  /** A page's event ids, per e-mail, in one query. */
  eventIdsFor(notificationIds: readonly string[]): Map<string, number[]> {
    const out = new Map<string, number[]>(notificationIds.map((id) => [id, []]));
    if (notificationIds.length === 0) return out;
    for (const r of this.eventsOfMany.all(JSON.stringify(notificationIds)) as { notification_id: string; event_id: number }[]) {
      out.get(r.notification_id)?.push(r.event_id);
    }
    return out;
  }

  /** Newest first; page on with `before` = the last row's createdAt and id. */
  page(query: DeliveryPageQuery): NotificationRow[] {
    return (this.pageRows(query, '*') as NotificationRecord[]).map(toNotification);
  }

  /** As `page`, without reading the bodies. */
  pageSummaries(query: DeliveryPageQuery): NotificationSummary[] {
    return (this.pageRows(query, SUMMARY_COLUMNS) as NotificationRecord[]).map(toSummary);
  }

  /**
   * One statement per filter combination, each served by an index in the page's order:
   * notifications_created, notifications_status (status, created_at) or notifications_kind.
   */
  private pageRows(query: DeliveryPageQuery, columns: string): unknown[] {
    const limit = Math.max(1, Math.min(500, Math.floor(query.limit)));
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.status) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.kind) {
      where.push('kind = ?');
      params.push(query.kind);
    }
    if (query.before) {
      where.push('(created_at, id) < (?, ?)');
      params.push(query.before.createdAt, query.before.id);
    }
    const sql = `SELECT ${columns} FROM notifications ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
    return this.statement(sql).all(...params, limit);
  }

  private statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  lastSentNotification(): LastSent | undefined {
    const r = this.lastSent.get() as { id: string; subject: string; sent_at: number | null; recipients: string } | undefined;
    return r && { id: r.id, subject: r.subject, sentAt: r.sent_at, to: parseJsonColumn<string[]>(r.recipients, []) };
  }

  /** Recipients (To, Cc and Bcc) of each e-mail sent after `sinceMs`, oldest first (seeds the recipient budget). */
  sentRecipientsSince(sinceMs: number): SentRecipients[] {
    return (this.sentSince.all(sinceMs) as { sent_at: number; n: number }[]).map((r) => ({ sentAt: r.sent_at, recipients: r.n }));
  }

  /** The queued e-mail due first, and why it waits if it does (a retry's error, a hold of the recipient budget). */
  nextQueued(): NextQueued | undefined {
    const r = this.firstQueued.get() as { id: string; next_attempt_at: number | null; last_error: string | null } | undefined;
    return r && { id: r.id, dueAt: r.next_attempt_at, reason: r.last_error };
  }

  lastProblemAttempt(): DeliveryAttemptRow | undefined {
    const r = this.lastProblem.get() as AttemptRecord | undefined;
    return r && toAttempt(r);
  }

  /** Attempts that failed with an error worth retrying (sign-in waits and crashes do not count). */
  retryCount(notificationId: string): number {
    return (this.retriesOf.get(notificationId) as { n: number }).n;
  }

  oldestOpenCreatedAt(): number | null {
    return (this.oldestOpen.get() as { at: number | null }).at;
  }
}
