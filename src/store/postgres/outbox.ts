import type pg from 'pg';
import { jsonOrNull } from '../json.js';
import {
  toAttempt,
  toNotification,
  type AttemptOutcome,
  type AttemptRecord,
  type ClaimedNotification,
  type FinishResult,
  type Lease,
  type NotificationRecord,
  type OutboxCounts,
  type SentRecipients,
} from '../outbox.js';
import type { DeliveryAttemptRow, NewNotification, NotificationRow, NotificationStatus, StoredDiagnosis } from '../rows.js';
import { inTransaction } from './pool.js';

const STATUS_OF: Record<AttemptOutcome['result'], NotificationStatus> = {
  sent: 'sent',
  retry: 'queued',
  failed: 'failed',
  'waiting-sign-in': 'waiting-sign-in',
};

const INTERRUPTED = 'The instance that was sending this e-mail stopped answering (its lease expired); another instance sends it again.';

/**
 * The outbox on PostgreSQL, shared by every instance on the database (issue 16), with the same
 * claim semantics as the SQLite OutboxRepository: a claim is the in-flight attempt that owns a
 * `sending` row, held by a lease (owner "<instance>/<run>" and a deadline). Claims take rows with
 * `FOR UPDATE SKIP LOCKED`, so two instances claiming at once get different rows and neither waits
 * (https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE). A row whose lease
 * ran out goes back to the queue for any instance; the old owner's late answer then finds another
 * claim on the row and is recorded on its own attempt only (`lost`).
 *
 * Async, unlike the SQLite store that src/notify calls synchronously today: the service uses it
 * once the store is a port (issue 12); until then `store copy` and the tests do.
 */
export class PgOutbox {
  constructor(private readonly pool: pg.Pool) {}

  /** Adds an e-mail to send (status `queued`, due at once) and links the events it carries. */
  async add(notification: NewNotification, eventIds: readonly number[] = []): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO notifications (id, kind, group_key, recipients, cc, bcc, subject, html, text, importance, status,
           attempts, next_attempt_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'queued', 0, $11, $11, $11)`,
        [
          notification.id,
          notification.kind,
          notification.groupKey,
          JSON.stringify(notification.to),
          JSON.stringify(notification.cc),
          JSON.stringify(notification.bcc),
          notification.subject,
          notification.html,
          notification.text,
          notification.importance,
          notification.createdAt,
        ],
      );
      if (eventIds.length > 0) {
        await client.query(
          'INSERT INTO notification_events (notification_id, event_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING',
          [notification.id, eventIds],
        );
      }
    });
  }

  async get(id: string): Promise<NotificationRow | undefined> {
    const { rows } = await this.pool.query<NotificationRecord>('SELECT * FROM notifications WHERE id = $1', [id]);
    return rows[0] && toNotification(rows[0]);
  }

  /**
   * Claims up to `limit` due rows for `lease.owner`, in one statement: the due rows are locked
   * (skipping rows another instance is claiming right now), each gets an in-flight attempt, and
   * becomes `sending` with that attempt as its claim.
   */
  async claimDue(now: number, limit: number, lease: Lease): Promise<ClaimedNotification[]> {
    if (limit <= 0) return [];
    const { rows } = await this.pool.query<NotificationRecord & { claim_attempt_id: number }>(
      `WITH due AS (
         SELECT id, attempts FROM notifications
         WHERE status = 'queued' AND next_attempt_at <= $1
         ORDER BY next_attempt_at, created_at
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       ), attempt AS (
         INSERT INTO delivery_attempts (notification_id, attempt, started_at, result, lease_owner)
         SELECT id, attempts + 1, $1, 'in-flight', $3 FROM due
         RETURNING id, notification_id
       )
       UPDATE notifications n
       SET status = 'sending', attempts = n.attempts + 1, updated_at = $1,
           claim_attempt_id = attempt.id, lease_owner = $3, lease_expires_at = $4
       FROM attempt WHERE n.id = attempt.notification_id
       RETURNING n.*`,
      [now, limit, lease.owner, lease.expiresAt],
    );
    return rows
      .map((r) => ({ notification: toNotification(r), attemptId: r.claim_attempt_id, lease }))
      .sort((a, b) => (a.notification.nextAttemptAt ?? 0) - (b.notification.nextAttemptAt ?? 0) || a.notification.createdAt - b.notification.createdAt);
  }

  /** Claims one row now, whatever its due time, if it is queued or waiting for a sign-in (a test e-mail). */
  async claimById(id: string, now: number, lease: Lease): Promise<ClaimedNotification | undefined> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<NotificationRecord>(
        "SELECT * FROM notifications WHERE id = $1 AND status IN ('queued', 'waiting-sign-in') FOR UPDATE",
        [id],
      );
      const row = rows[0];
      if (!row) return undefined;
      const attempt = await client.query<{ id: number }>(
        "INSERT INTO delivery_attempts (notification_id, attempt, started_at, result, lease_owner) VALUES ($1, $2, $3, 'in-flight', $4) RETURNING id",
        [id, row.attempts + 1, now, lease.owner],
      );
      const attemptId = attempt.rows[0]!.id;
      const claimed = await client.query<NotificationRecord>(
        `UPDATE notifications SET status = 'sending', attempts = attempts + 1, updated_at = $2,
           claim_attempt_id = $3, lease_owner = $4, lease_expires_at = $5
         WHERE id = $1 RETURNING *`,
        [id, now, attemptId, lease.owner, lease.expiresAt],
      );
      return { notification: toNotification(claimed.rows[0]!), attemptId, lease };
    });
  }

  /** A live worker pushes the deadline of the claims it still holds; returns how many it holds. */
  async renewLeases(owner: string, expiresAt: number): Promise<number> {
    const result = await this.pool.query(
      "UPDATE notifications SET lease_expires_at = $2 WHERE status = 'sending' AND lease_owner = $1",
      [owner, expiresAt],
    );
    return result.rowCount ?? 0;
  }

  /**
   * Re-queues rows whose lease ran out (their owner died or hangs), marking the attempts they
   * carried interrupted; any instance may then claim them. Rows being re-queued by another
   * instance at the same moment are skipped, not waited for.
   */
  async requeueExpired(now: number): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ id: string; claim_attempt_id: number | null }>(
        `SELECT id, claim_attempt_id FROM notifications
         WHERE status = 'sending' AND (lease_expires_at IS NULL OR lease_expires_at <= $1)
         FOR UPDATE SKIP LOCKED`,
        [now],
      );
      if (rows.length === 0) return 0;
      const ids = rows.map((r) => r.id);
      await client.query(
        `UPDATE delivery_attempts SET result = 'interrupted', finished_at = $2, error = $3
         WHERE result = 'in-flight' AND notification_id = ANY($1::text[])`,
        [ids, now, INTERRUPTED],
      );
      await client.query(
        `UPDATE notifications SET status = 'queued', next_attempt_at = $2, updated_at = $2,
           claim_attempt_id = NULL, lease_owner = NULL, lease_expires_at = NULL
         WHERE id = ANY($1::text[])`,
        [ids, now],
      );
      return ids.length;
    });
  }

  /**
   * Records how an attempt ended and moves the row on - only if this attempt's claim still owns
   * it. Otherwise (its lease expired and the row was re-queued or claimed by another instance)
   * the attempt alone is recorded, truthfully, and `lost` is returned.
   */
  async finishAttemptWith(notificationId: string, attemptId: number, outcome: AttemptOutcome): Promise<FinishResult> {
    const status = STATUS_OF[outcome.result];
    const diagnosis = jsonOrNull(outcome.diagnosis);
    return inTransaction(this.pool, async (client) => {
      await client.query(
        `UPDATE delivery_attempts SET finished_at = $2, result = $3, status_code = $4, error_code = $5, error = $6,
           diagnosis = $7, http_requests = $8
         WHERE id = $1`,
        [attemptId, outcome.at, outcome.result, outcome.statusCode ?? null, outcome.errorCode ?? null, outcome.error ?? null, diagnosis, outcome.httpRequests ?? null],
      );
      const moved = await client.query(
        `UPDATE notifications SET status = $3, next_attempt_at = $4, last_error = $5, diagnosis = $6,
           message_id = coalesce($7, message_id), sent_at = $8, updated_at = $9,
           claim_attempt_id = NULL, lease_owner = NULL, lease_expires_at = NULL
         WHERE id = $1 AND status = 'sending' AND claim_attempt_id = $2`,
        [
          notificationId,
          attemptId,
          status,
          status === 'queued' ? (outcome.nextAttemptAt ?? outcome.at) : null,
          status === 'sent' ? null : (outcome.error ?? null),
          status === 'sent' ? null : diagnosis,
          outcome.messageId ?? null,
          status === 'sent' ? outcome.at : null,
          outcome.at,
        ],
      );
      return (moved.rowCount ?? 0) > 0 ? status : 'lost';
    });
  }

  /**
   * The claim was answered by a local hold (the daily recipient budget): no attempt at Microsoft,
   * so its in-flight attempt is removed and the count given back; the row is queued for `until`
   * with the reason shown. `lost` when another claim owns it (as SQLite's deferClaim).
   */
  async deferClaim(notificationId: string, attemptId: number, hold: { at: number; until: number; error: string; diagnosis: StoredDiagnosis | null }): Promise<FinishResult> {
    return inTransaction(this.pool, async (client) => {
      await client.query("DELETE FROM delivery_attempts WHERE id = $1 AND result = 'in-flight'", [attemptId]);
      const moved = await client.query(
        `UPDATE notifications SET status = 'queued', attempts = greatest(attempts - 1, 0), next_attempt_at = $3, last_error = $4,
           diagnosis = $5, updated_at = $6, claim_attempt_id = NULL, lease_owner = NULL, lease_expires_at = NULL
         WHERE id = $1 AND status = 'sending' AND claim_attempt_id = $2`,
        [notificationId, attemptId, hold.until, hold.error, jsonOrNull(hold.diagnosis), hold.at],
      );
      return (moved.rowCount ?? 0) > 0 ? 'queued' : 'lost';
    });
  }

  /** Recipients (To, Cc and Bcc) of each e-mail sent after `sinceMs`, oldest first, through notifications_sent. */
  async sentRecipientsSince(sinceMs: number): Promise<SentRecipients[]> {
    const { rows } = await this.pool.query<{ sent_at: string | number; n: number }>(
      `SELECT sent_at, json_array_length(recipients::json) + json_array_length(cc::json) + json_array_length(bcc::json) AS n
       FROM notifications WHERE status = 'sent' AND sent_at > $1 ORDER BY sent_at`,
      [sinceMs],
    );
    return rows.map((r) => ({ sentAt: Number(r.sent_at), recipients: Number(r.n) }));
  }

  /**
   * The answer to an attempt its worker had already given up on came after all: the attempt gets
   * what really happened, and an acceptance marks the e-mail sent if it still waits for its retry
   * (no other claim holds it). Returns the row's status afterwards.
   */
  async recordLateAnswer(notificationId: string, attemptId: number, outcome: AttemptOutcome): Promise<NotificationStatus | undefined> {
    return inTransaction(this.pool, async (client) => {
      const before = (await client.query<AttemptRecord>('SELECT * FROM delivery_attempts WHERE id = $1 FOR UPDATE', [attemptId])).rows[0];
      if (!before) return undefined;
      const note = `answered ${Math.round((outcome.at - before.started_at) / 1000)} s after it started, after the send timeout`;
      await client.query(
        `UPDATE delivery_attempts SET finished_at = $2, result = $3, status_code = $4, error_code = $5, error = $6,
           diagnosis = $7, http_requests = $8
         WHERE id = $1`,
        [
          attemptId,
          outcome.at,
          outcome.result,
          outcome.statusCode ?? null,
          outcome.errorCode ?? null,
          outcome.error ? `${outcome.error} (${note})` : `Accepted by Microsoft Graph (${note})`,
          jsonOrNull(outcome.diagnosis),
          outcome.httpRequests ?? before.http_requests,
        ],
      );
      if (outcome.result === 'sent') {
        await client.query(
          `UPDATE notifications SET status = 'sent', next_attempt_at = NULL, last_error = NULL, diagnosis = NULL,
             message_id = coalesce($2, message_id), sent_at = $3, updated_at = $3
           WHERE id = $1 AND status IN ('queued', 'waiting-sign-in')`,
          [notificationId, outcome.messageId ?? null, outcome.at],
        );
      }
      const { rows } = await client.query<{ status: NotificationStatus }>('SELECT status FROM notifications WHERE id = $1', [notificationId]);
      return rows[0]?.status;
    });
  }

  /** Sign-in lost: every queued row waits for it (shown as `waiting-sign-in`, never dropped). */
  async parkQueued(now: number): Promise<number> {
    const result = await this.pool.query("UPDATE notifications SET status = 'waiting-sign-in', updated_at = $1 WHERE status = 'queued'", [now]);
    return result.rowCount ?? 0;
  }

  /** Sign-in healthy again: waiting rows are due at once. */
  async resumeWaiting(now: number): Promise<number> {
    const result = await this.pool.query(
      "UPDATE notifications SET status = 'queued', next_attempt_at = $1, updated_at = $1 WHERE status = 'waiting-sign-in'",
      [now],
    );
    return result.rowCount ?? 0;
  }

  /** Takes back an e-mail that no longer applies if it has not gone out; its health notice keeps the history. */
  async withdraw(id: string): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const deleted = await client.query("DELETE FROM notifications WHERE id = $1 AND status IN ('queued', 'waiting-sign-in')", [id]);
      if ((deleted.rowCount ?? 0) === 0) return false;
      await client.query('UPDATE health_notices SET notification_id = NULL WHERE notification_id = $1', [id]);
      return true;
    });
  }

  async countByStatus(): Promise<OutboxCounts> {
    const counts: OutboxCounts = { queued: 0, sending: 0, sent: 0, failed: 0, waitingSignIn: 0 };
    const { rows } = await this.pool.query<{ status: NotificationStatus; n: number }>(
      'SELECT status, count(*)::bigint AS n FROM notifications GROUP BY status',
    );
    for (const r of rows) {
      if (r.status === 'waiting-sign-in') counts.waitingSignIn = r.n;
      else counts[r.status] = r.n;
    }
    return counts;
  }

  async attempts(notificationId: string): Promise<DeliveryAttemptRow[]> {
    const { rows } = await this.pool.query<AttemptRecord>('SELECT * FROM delivery_attempts WHERE notification_id = $1 ORDER BY id', [notificationId]);
    return rows.map(toAttempt);
  }

  async eventIds(notificationId: string): Promise<number[]> {
    const { rows } = await this.pool.query<{ event_id: number }>(
      'SELECT event_id FROM notification_events WHERE notification_id = $1 ORDER BY event_id',
      [notificationId],
    );
    return rows.map((r) => r.event_id);
  }
}
