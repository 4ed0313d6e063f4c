import { PROBLEM_RESULTS_SQL } from '../history-migration.js';
import { parseJsonColumn } from '../json.js';
import {
  SUMMARY_COLUMNS,
  toAttempt,
  toNotification,
  toSummary,
  type AttemptRecord,
  type DeliveryPageQuery,
  type LastSent,
  type NextQueued,
  type NotificationRecord,
  type NotificationSummary,
  type OutboxCounts,
  type SentRecipients,
} from '../outbox-records.js';
import type { DeliveryAttemptRow, NotificationRow, NotificationStatus } from '../rows.js';
import { transact, type Queryable } from './queryable.js';

/**
 * The outbox's history side on PostgreSQL: the SQLite OutboxHistory (src/store/outbox-history.ts)
 * method for method, async. PgOutbox (outbox.ts) adds enqueue, claim and finish on top.
 */
export class PgOutboxHistory {
  constructor(protected readonly q: Queryable) {}

  /**
   * Deletes up to `limit` e-mails sent before `sentBefore` and up to `limit` failed for good
   * before `failedBefore`, with their attempts, event links and relayed messages (ON DELETE
   * CASCADE). Queued, sending and waiting e-mails are never touched. Returns how many were deleted.
   */
  async pruneFinished(cutoffs: { sentBefore: number; failedBefore: number }, limit: number): Promise<number> {
    return transact(this.q, async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `(SELECT id FROM notifications WHERE status = 'sent' AND sent_at < $1 ORDER BY sent_at LIMIT $3)
         UNION ALL
         (SELECT id FROM notifications WHERE status = 'failed' AND created_at < $2 ORDER BY created_at LIMIT $3)`,
        [cutoffs.sentBefore, cutoffs.failedBefore, limit],
      );
      if (rows.length === 0) return 0;
      const ids = rows.map((r) => r.id);
      await client.query('UPDATE health_notices SET notification_id = NULL WHERE notification_id = ANY($1::text[])', [ids]);
      const deleted = await client.query('DELETE FROM notifications WHERE id = ANY($1::text[])', [ids]);
      return deleted.rowCount ?? 0;
    });
  }

  /** Counted from notifications_status (no counter rows: see schema version 4). */
  async countByStatus(): Promise<OutboxCounts> {
    const counts: OutboxCounts = { queued: 0, sending: 0, sent: 0, failed: 0, waitingSignIn: 0 };
    const { rows } = await this.q.query<{ status: NotificationStatus; n: number }>(
      'SELECT status, count(*)::bigint AS n FROM notifications GROUP BY status',
    );
    for (const r of rows) {
      if (r.status === 'waiting-sign-in') counts.waitingSignIn = r.n;
      else counts[r.status] = r.n;
    }
    return counts;
  }

  async attempts(notificationId: string): Promise<DeliveryAttemptRow[]> {
    const { rows } = await this.q.query<AttemptRecord>('SELECT * FROM delivery_attempts WHERE notification_id = $1 ORDER BY id', [notificationId]);
    return rows.map(toAttempt);
  }

  async eventIds(notificationId: string): Promise<number[]> {
    const { rows } = await this.q.query<{ event_id: number }>(
      'SELECT event_id FROM notification_events WHERE notification_id = $1 ORDER BY event_id',
      [notificationId],
    );
    return rows.map((r) => r.event_id);
  }

  /** A page's attempts, per e-mail, in one query. */
  async attemptsFor(notificationIds: readonly string[]): Promise<Map<string, DeliveryAttemptRow[]>> {
    const out = new Map<string, DeliveryAttemptRow[]>(notificationIds.map((id) => [id, []]));
    if (notificationIds.length === 0) return out;
    const { rows } = await this.q.query<AttemptRecord>(
      'SELECT * FROM delivery_attempts WHERE notification_id = ANY($1::text[]) ORDER BY notification_id COLLATE "C", id',
      [notificationIds],
    );
    for (const r of rows) out.get(r.notification_id)?.push(toAttempt(r));
    return out;
  }

  /** A page's event ids, per e-mail, in one query. */
  async eventIdsFor(notificationIds: readonly string[]): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>(notificationIds.map((id) => [id, []]));
    if (notificationIds.length === 0) return out;
    const { rows } = await this.q.query<{ notification_id: string; event_id: number }>(
      'SELECT notification_id, event_id FROM notification_events WHERE notification_id = ANY($1::text[]) ORDER BY notification_id COLLATE "C", event_id',
      [notificationIds],
    );
    for (const r of rows) out.get(r.notification_id)?.push(r.event_id);
    return out;
  }

  /** Newest first; page on with `before` = the last row's createdAt and id. */
  async page(query: DeliveryPageQuery): Promise<NotificationRow[]> {
    return (await this.pageRows<NotificationRecord>(query, '*')).map(toNotification);
  }

  /** As `page`, without reading the bodies. */
  async pageSummaries(query: DeliveryPageQuery): Promise<NotificationSummary[]> {
    return (await this.pageRows<NotificationRecord>(query, SUMMARY_COLUMNS)).map(toSummary);
  }

  /** Ids compare byte-wise (COLLATE "C"), as SQLite compares them, so pages end where SQLite's do. */
  private async pageRows<R extends object>(query: DeliveryPageQuery, columns: string): Promise<R[]> {
    const limit = Math.max(1, Math.min(500, Math.floor(query.limit)));
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.status) where.push(`status = $${params.push(query.status)}`);
    if (query.kind) where.push(`kind = $${params.push(query.kind)}`);
    if (query.before) {
      const at = params.push(query.before.createdAt);
      const id = params.push(query.before.id);
      where.push(`(created_at < $${at} OR (created_at = $${at} AND id COLLATE "C" < $${id}))`);
    }
    const sql = `SELECT ${columns} FROM notifications ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $${params.push(limit)}`;
    return (await this.q.query<R>(sql, params)).rows;
  }

  async lastSentNotification(): Promise<LastSent | undefined> {
    const { rows } = await this.q.query<{ id: string; subject: string; sent_at: number | null; recipients: string }>(
      "SELECT id, subject, sent_at, recipients FROM notifications WHERE status = 'sent' ORDER BY sent_at DESC LIMIT 1",
    );
    const r = rows[0];
    return r && { id: r.id, subject: r.subject, sentAt: r.sent_at, to: parseJsonColumn<string[]>(r.recipients, []) };
  }

  /** Recipients (To, Cc and Bcc) of each e-mail sent after `sinceMs`, oldest first, through notifications_sent. */
  async sentRecipientsSince(sinceMs: number): Promise<SentRecipients[]> {
    const { rows } = await this.q.query<{ sent_at: number; n: number }>(
      `SELECT sent_at, json_array_length(recipients::json) + json_array_length(cc::json) + json_array_length(bcc::json) AS n
       FROM notifications WHERE status = 'sent' AND sent_at > $1 ORDER BY sent_at`,
      [sinceMs],
    );
    return rows.map((r) => ({ sentAt: Number(r.sent_at), recipients: Number(r.n) }));
  }

  /** The queued e-mail due first, and why it waits if it does. */
  async nextQueued(): Promise<NextQueued | undefined> {
    const { rows } = await this.q.query<{ id: string; next_attempt_at: number | null; last_error: string | null }>(
      "SELECT id, next_attempt_at, last_error FROM notifications WHERE status = 'queued' ORDER BY next_attempt_at, created_at LIMIT 1",
    );
    const r = rows[0];
    return r && { id: r.id, dueAt: r.next_attempt_at, reason: r.last_error };
  }

  async lastProblemAttempt(): Promise<DeliveryAttemptRow | undefined> {
    const { rows } = await this.q.query<AttemptRecord>(
      `SELECT * FROM delivery_attempts WHERE result IN ${PROBLEM_RESULTS_SQL} ORDER BY id DESC LIMIT 1`,
    );
    return rows[0] && toAttempt(rows[0]);
  }

  /** Attempts that failed with an error worth retrying (sign-in waits and crashes do not count). */
  async retryCount(notificationId: string): Promise<number> {
    const { rows } = await this.q.query<{ n: number }>(
      "SELECT count(*)::bigint AS n FROM delivery_attempts WHERE notification_id = $1 AND result = 'retry'",
      [notificationId],
    );
    return rows[0]!.n;
  }

  async oldestOpenCreatedAt(): Promise<number | null> {
    const { rows } = await this.q.query<{ at: number | null }>(
      "SELECT min(created_at) AS at FROM notifications WHERE status IN ('queued', 'sending', 'waiting-sign-in')",
    );
    return rows[0]?.at ?? null;
  }
}
