import { UNSENT_STATUSES_SQL } from '../history-migration.js';
import { jsonOrNull, parseJsonColumn } from '../json.js';
import {
  leaseInstance,
  toNotification,
  type AlertEmailContent,
  type AttemptOutcome,
  type AttemptRecord,
  type ClaimedNotification,
  type EmailUpdate,
  type FinishResult,
  type Lease,
  type NotificationRecord,
  type UnsentGroupEmail,
} from '../outbox-records.js';
import type { NewNotification, NotificationRow, NotificationStatus, StoredDiagnosis } from '../rows.js';
import { PgOutboxHistory } from './outbox-history.js';
import { transact, type Queryable } from './queryable.js';

const STATUS_OF: Record<AttemptOutcome['result'], NotificationStatus> = {
  sent: 'sent',
  retry: 'queued',
  failed: 'failed',
  'waiting-sign-in': 'waiting-sign-in',
};

/** Claims made without a lease (tests, one-shot tools) count as expired at once (as in SQLite). */
const NO_LEASE: Lease = { owner: '', expiresAt: 0 };

/** requeueInterrupted's words, SQLite's (src/store/outbox.ts). */
const STOPPED = 'The service stopped while this e-mail was being sent (its claim expired); it is sent again.';

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
 * Method for method the SQLite OutboxRepository (outbox.ts + outbox-history.ts), async; built over
 * the pool or a unit of work's client (methods of several statements join its transaction).
 */
export class PgOutbox extends PgOutboxHistory {
  /** Adds an e-mail to send (status `queued`, due at once) and links the events it carries. */
  async add(notification: NewNotification, eventIds: readonly number[] = [], content?: AlertEmailContent): Promise<void> {
    await transact(this.q, async (client) => {
      await client.query(
        `INSERT INTO notifications (id, kind, group_key, recipients, cc, bcc, subject, html, text, importance, status,
           attempts, next_attempt_at, created_at, updated_at, content_key, alert_reasons)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'queued', 0, $11, $11, $11, $12, $13)`,
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
          content?.contentKey ?? null,
          content ? JSON.stringify(content.alertReasons) : null,
        ],
      );
      await this.linkEventsOn(client, notification.id, eventIds);
    });
  }

  /** Links more events to an e-mail (an unsent one that was updated). */
  async linkEvents(notificationId: string, eventIds: readonly number[]): Promise<void> {
    await this.linkEventsOn(this.q, notificationId, eventIds);
  }

  private async linkEventsOn(q: Queryable, notificationId: string, eventIds: readonly number[]): Promise<void> {
    if (eventIds.length === 0) return;
    await q.query(
      'INSERT INTO notification_events (notification_id, event_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING',
      [notificationId, eventIds],
    );
  }

  /** The group's newest alert e-mail still unsent and unclaimed, if any (notifications_unsent_by_group). */
  async unsentAlertEmailOf(groupKey: string): Promise<UnsentGroupEmail | undefined> {
    const { rows } = await this.q.query<{ id: string; content_key: string; alert_reasons: string | null }>(
      `SELECT id, content_key, alert_reasons FROM notifications
       WHERE group_key = $1 AND status IN ${UNSENT_STATUSES_SQL} AND kind = 'alert' AND content_key IS NOT NULL
       ORDER BY created_at DESC LIMIT 1`,
      [groupKey],
    );
    const r = rows[0];
    return r && { id: r.id, contentKey: r.content_key, alertReasons: parseJsonColumn<Record<string, string>>(r.alert_reasons, {}) };
  }

  /** Rewrites an unsent e-mail; false when it was claimed or sent meanwhile (then add a new one). */
  async updateUnsent(id: string, u: EmailUpdate): Promise<boolean> {
    const result = await this.q.query(
      `UPDATE notifications SET recipients = $2, subject = $3, html = $4, text = $5, importance = $6,
         content_key = $7, alert_reasons = $8, updated_at = $9
       WHERE id = $1 AND status IN ${UNSENT_STATUSES_SQL}`,
      [id, JSON.stringify(u.to), u.subject, u.html, u.text, u.importance, u.contentKey, JSON.stringify(u.alertReasons), u.at],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async get(id: string): Promise<NotificationRow | undefined> {
    const { rows } = await this.q.query<NotificationRecord>('SELECT * FROM notifications WHERE id = $1', [id]);
    return rows[0] && toNotification(rows[0]);
  }

  /**
   * Claims up to `limit` due rows for `lease.owner`, in one statement: the due rows are locked
   * (skipping rows another instance is claiming right now), each gets an in-flight attempt, and
   * becomes `sending` with that attempt as its claim.
   */
  async claimDue(now: number, limit: number, lease: Lease = NO_LEASE): Promise<ClaimedNotification[]> {
    if (limit <= 0) return [];
    const { rows } = await this.q.query<NotificationRecord & { claim_attempt_id: number }>(
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
      [now, limit, lease.owner || null, lease.owner ? lease.expiresAt : null],
    );
    return rows
      .map((r) => ({ notification: toNotification(r), attemptId: r.claim_attempt_id, lease }))
      .sort((a, b) => (a.notification.nextAttemptAt ?? 0) - (b.notification.nextAttemptAt ?? 0) || a.notification.createdAt - b.notification.createdAt);
  }

  /** Claims one row now, whatever its due time, if it is queued or waiting for a sign-in (a test e-mail). */
  async claimById(id: string, now: number, lease: Lease = NO_LEASE): Promise<ClaimedNotification | undefined> {
    return transact(this.q, async (client) => {
      const { rows } = await client.query<NotificationRecord>(
        "SELECT * FROM notifications WHERE id = $1 AND status IN ('queued', 'waiting-sign-in') FOR UPDATE",
        [id],
      );
      const row = rows[0];
      if (!row) return undefined;
      const attempt = await client.query<{ id: number }>(
        "INSERT INTO delivery_attempts (notification_id, attempt, started_at, result, lease_owner) VALUES ($1, $2, $3, 'in-flight', $4) RETURNING id",
        [id, row.attempts + 1, now, lease.owner || null],
      );
      const attemptId = attempt.rows[0]!.id;
      const claimed = await client.query<NotificationRecord>(
        `UPDATE notifications SET status = 'sending', attempts = attempts + 1, updated_at = $2,
           claim_attempt_id = $3, lease_owner = $4, lease_expires_at = $5
         WHERE id = $1 RETURNING *`,
        [id, now, attemptId, lease.owner || null, lease.owner ? lease.expiresAt : null],
      );
      return { notification: toNotification(claimed.rows[0]!), attemptId, lease };
    });
  }

  /** A live worker pushes the deadline of the claims it still holds; returns how many it holds. */
  async renewLeases(owner: string, expiresAt: number): Promise<number> {
    const result = await this.q.query(
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
    return transact(this.q, async (client) => {
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
   * Re-queues rows left `sending` whose lease expired, or (with `own`) whose lease is held by an
   * earlier run of this instance: that run is gone. Leases of other live workers are left alone.
   * Their in-flight attempts are marked interrupted. SQLite's requeueInterrupted; rows another
   * instance is re-queuing at this moment are skipped, not waited for.
   */
  async requeueInterrupted(now: number, own?: { owner: string }): Promise<number> {
    const instance = own ? leaseInstance(own.owner) : null;
    return transact(this.q, async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `SELECT id FROM notifications
         WHERE status = 'sending' AND (lease_expires_at IS NULL OR lease_expires_at <= $1
           OR ($2::text IS NOT NULL AND left(lease_owner, length($2) + 1) = $2 || '/' AND lease_owner <> $3))
         FOR UPDATE SKIP LOCKED`,
        [now, instance, own?.owner ?? null],
      );
      if (rows.length === 0) return 0;
      const ids = rows.map((r) => r.id);
      // The claim's attempt, and in-flight attempts of rows that lost track of their claim.
      await client.query(
        `UPDATE delivery_attempts a SET result = 'interrupted', finished_at = $2, error = $3
         FROM notifications n
         WHERE a.result = 'in-flight' AND n.id = a.notification_id AND n.id = ANY($1::text[])
           AND (n.claim_attempt_id = a.id OR n.claim_attempt_id IS NULL)`,
        [ids, now, STOPPED],
      );
      const requeued = await client.query(
        `UPDATE notifications SET status = 'queued', next_attempt_at = $2, updated_at = $2,
           claim_attempt_id = NULL, lease_owner = NULL, lease_expires_at = NULL
         WHERE id = ANY($1::text[])`,
        [ids, now],
      );
      return requeued.rowCount ?? 0;
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
    return transact(this.q, async (client) => {
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
    return transact(this.q, async (client) => {
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

  /**
   * The answer to an attempt its worker had already given up on came after all: the attempt gets
   * what really happened, and an acceptance marks the e-mail sent if it still waits for its retry
   * (no other claim holds it). Returns the row's status afterwards.
   */
  async recordLateAnswer(notificationId: string, attemptId: number, outcome: AttemptOutcome): Promise<NotificationStatus | undefined> {
    return transact(this.q, async (client) => {
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
    const result = await this.q.query("UPDATE notifications SET status = 'waiting-sign-in', updated_at = $1 WHERE status = 'queued'", [now]);
    return result.rowCount ?? 0;
  }

  /** Sign-in healthy again: waiting rows are due at once. */
  async resumeWaiting(now: number): Promise<number> {
    const result = await this.q.query(
      "UPDATE notifications SET status = 'queued', next_attempt_at = $1, updated_at = $1 WHERE status = 'waiting-sign-in'",
      [now],
    );
    return result.rowCount ?? 0;
  }

  /** Takes back an e-mail that no longer applies if it has not gone out; its health notice keeps the history. */
  async withdraw(id: string): Promise<boolean> {
    return transact(this.q, async (client) => {
      const deleted = await client.query("DELETE FROM notifications WHERE id = $1 AND status IN ('queued', 'waiting-sign-in')", [id]);
      if ((deleted.rowCount ?? 0) === 0) return false;
      await client.query('UPDATE health_notices SET notification_id = NULL WHERE notification_id = $1', [id]);
      return true;
    });
  }
}
