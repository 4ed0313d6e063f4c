import type Database from 'better-sqlite3';
import { UNSENT_STATUSES_SQL } from './history-migration.js';
import { jsonOrNull, parseJsonColumn } from './json.js';
import { OutboxHistory } from './outbox-history.js';
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
} from './outbox-records.js';
import type { NewNotification, NotificationRow, NotificationStatus, StoredDiagnosis } from './rows.js';

// The row shapes and the repository's types live in outbox-records.ts (shared with PostgreSQL).
export * from './outbox-records.js';
export { OutboxHistory } from './outbox-history.js';

/** Claims made without a lease (tests, one-shot tools) count as expired at once. */
const NO_LEASE: Lease = { owner: '', expiresAt: 0 };

/**
 * The outbox: one row per e-mail to send, the events it carries, and every attempt to send it.
 * This file is the sending side (enqueue, claim under a lease, finish, re-queue, park); the
 * history side (queries, status, retention) is OutboxHistory, which it extends.
 */
export class OutboxRepository extends OutboxHistory {
  private readonly insert: Database.Statement;
  private readonly linkEvent: Database.Statement;
  private readonly byId: Database.Statement;
  private readonly due: Database.Statement;
  private readonly claim: Database.Statement;
  private readonly insertAttempt: Database.Statement;
  private readonly finishAttempt: Database.Statement;
  private readonly finish: Database.Statement;
  private readonly requeueSending: Database.Statement;
  private readonly interruptAttempts: Database.Statement;
  private readonly interruptOrphans: Database.Statement;
  private readonly setClaim: Database.Statement;
  private readonly lateSent: Database.Statement;
  private readonly attemptById: Database.Statement;
  private readonly park: Database.Statement;
  private readonly resume: Database.Statement;
  private readonly withdrawUnsent: (id: string) => boolean;
  private readonly unsentOfGroup: Database.Statement;
  private readonly rewrite: Database.Statement;
  private readonly deferRow: Database.Statement;
  private readonly dropAttempt: Database.Statement;

  constructor(db: Database.Database) {
    super(db);
    this.insert = db.prepare(`
      INSERT INTO notifications (id, kind, group_key, recipients, cc, bcc, subject, html, text, importance, status,
        attempts, next_attempt_at, created_at, updated_at, content_key, alert_reasons)
      VALUES (@id, @kind, @groupKey, @to, @cc, @bcc, @subject, @html, @text, @importance, 'queued', 0, @createdAt,
        @createdAt, @createdAt, @contentKey, @alertReasons)`);
    this.unsentOfGroup = db.prepare(
      `SELECT id, content_key, alert_reasons FROM notifications INDEXED BY notifications_unsent_by_group
       WHERE group_key = ? AND status IN ${UNSENT_STATUSES_SQL} AND kind = 'alert' AND content_key IS NOT NULL
       ORDER BY created_at DESC LIMIT 1`,
    );
    // Only while unsent and unclaimed: a row being sent (or sent) is never rewritten.
    this.rewrite = db.prepare(
      `UPDATE notifications SET recipients = @to, subject = @subject, html = @html, text = @text, importance = @importance,
         content_key = @contentKey, alert_reasons = @alertReasons, updated_at = @at
       WHERE id = @id AND status IN ${UNSENT_STATUSES_SQL}`,
    );
    this.linkEvent = db.prepare('INSERT OR IGNORE INTO notification_events (notification_id, event_id) VALUES (?, ?)');
    this.byId = db.prepare('SELECT * FROM notifications WHERE id = ?');
    // Ids only, through the index made for this order (INDEXED BY: a missing index is an error,
    // not a silent sort of the whole queue); the bodies are read for the claimed rows alone.
    this.due = db.prepare(
      "SELECT id FROM notifications INDEXED BY notifications_claim WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at LIMIT ?",
    );
    this.claim = db.prepare(
      "UPDATE notifications SET status = 'sending', attempts = attempts + 1, updated_at = ? WHERE id = ? AND status = 'queued'",
    );
    this.setClaim = db.prepare(
      'UPDATE notifications SET claim_attempt_id = @attemptId, lease_owner = @owner, lease_expires_at = @expiresAt WHERE id = @id',
    );
    this.insertAttempt = db.prepare(
      "INSERT INTO delivery_attempts (notification_id, attempt, started_at, result, lease_owner) VALUES (?, ?, ?, 'in-flight', ?)",
    );
    this.finishAttempt = db.prepare(`
      UPDATE delivery_attempts SET finished_at = @at, result = @result, status_code = @statusCode,
        error_code = @errorCode, error = @error, diagnosis = @diagnosis, http_requests = @httpRequests WHERE id = @id`);
    // Only the claim that owns the row moves it (a late answer from a lost lease does not).
    this.finish = db.prepare(`
      UPDATE notifications SET status = @status, next_attempt_at = @nextAttemptAt, last_error = @lastError,
        diagnosis = @diagnosis, message_id = coalesce(@messageId, message_id), sent_at = @sentAt, updated_at = @at,
        claim_attempt_id = NULL, lease_owner = NULL, lease_expires_at = NULL
      WHERE id = @id AND status = 'sending' AND claim_attempt_id IS @attemptId`);
    this.lateSent = db.prepare(`
      UPDATE notifications SET status = 'sent', next_attempt_at = NULL, last_error = NULL, diagnosis = NULL,
        message_id = coalesce(@messageId, message_id), sent_at = @at, updated_at = @at
      WHERE id = @id AND status IN ('queued', 'waiting-sign-in')`);
    this.attemptById = db.prepare('SELECT * FROM delivery_attempts WHERE id = ?');
    // A claim answered by a local hold: back in the queue for `until`, the claim's attempt undone.
    this.deferRow = db.prepare(`
      UPDATE notifications SET status = 'queued', attempts = max(attempts - 1, 0), next_attempt_at = @until,
        last_error = @error, diagnosis = @diagnosis, updated_at = @at, claim_attempt_id = NULL, lease_owner = NULL, lease_expires_at = NULL
      WHERE id = @id AND status = 'sending' AND claim_attempt_id IS @attemptId`);
    this.dropAttempt = db.prepare("DELETE FROM delivery_attempts WHERE id = ? AND result = 'in-flight'");
    // Re-queued: leases that expired, and those left by an earlier run of this instance (it died).
    const stale = `status = 'sending' AND (lease_expires_at IS NULL OR lease_expires_at <= @now
        OR (@instance IS NOT NULL AND lease_owner LIKE @instance || '/%' AND lease_owner <> @owner))`;
    this.interruptAttempts = db.prepare(`
      UPDATE delivery_attempts SET result = 'interrupted', finished_at = @now, error = @error
      WHERE result = 'in-flight' AND id IN (SELECT claim_attempt_id FROM notifications WHERE ${stale})`);
    this.interruptOrphans = db.prepare(`
      UPDATE delivery_attempts SET result = 'interrupted', finished_at = @now, error = @error
      WHERE result = 'in-flight' AND notification_id IN (SELECT id FROM notifications WHERE ${stale} AND claim_attempt_id IS NULL)`);
    this.requeueSending = db.prepare(`
      UPDATE notifications SET status = 'queued', next_attempt_at = @now, updated_at = @now,
        claim_attempt_id = NULL, lease_owner = NULL, lease_expires_at = NULL
      WHERE ${stale}`);
    this.park = db.prepare(
      "UPDATE notifications SET status = 'waiting-sign-in', updated_at = ? WHERE status = 'queued'",
    );
    this.resume = db.prepare(
      "UPDATE notifications SET status = 'queued', next_attempt_at = ?, updated_at = ? WHERE status = 'waiting-sign-in'",
    );
    // Attempts and event links go with the row (ON DELETE CASCADE); the health notice keeps its history.
    const detachNotice = db.prepare('UPDATE health_notices SET notification_id = NULL WHERE notification_id = ?');
    const deleteUnsent = db.prepare("DELETE FROM notifications WHERE id = ? AND status IN ('queued', 'waiting-sign-in')");
    this.withdrawUnsent = db.transaction((id: string) => {
      const deleted = deleteUnsent.run(id).changes > 0;
      if (deleted) detachNotice.run(id);
      return deleted;
    });
  }

  /** Adds an e-mail to send (status `queued`, due at once) and links the events it carries. */
  add(notification: NewNotification, eventIds: readonly number[] = [], content?: AlertEmailContent): void {
    this.insert.run({
      ...notification,
      to: JSON.stringify(notification.to),
      cc: JSON.stringify(notification.cc),
      bcc: JSON.stringify(notification.bcc),
      contentKey: content?.contentKey ?? null,
      alertReasons: content ? JSON.stringify(content.alertReasons) : null,
    });
    this.linkEvents(notification.id, eventIds);
  }

  /** Links more events to an e-mail (an unsent one that was updated). */
  linkEvents(notificationId: string, eventIds: readonly number[]): void {
    for (const id of eventIds) this.linkEvent.run(notificationId, id);
  }

  /** The group's newest alert e-mail still unsent and unclaimed, if any (indexed). */
  unsentAlertEmailOf(groupKey: string): UnsentGroupEmail | undefined {
    const r = this.unsentOfGroup.get(groupKey) as { id: string; content_key: string; alert_reasons: string | null } | undefined;
    return r && { id: r.id, contentKey: r.content_key, alertReasons: parseJsonColumn<Record<string, string>>(r.alert_reasons, {}) };
  }

  /** Rewrites an unsent e-mail; false when it was claimed or sent meanwhile (then add a new one). */
  updateUnsent(id: string, update: EmailUpdate): boolean {
    return this.rewrite.run({ ...update, id, to: JSON.stringify(update.to), alertReasons: JSON.stringify(update.alertReasons) }).changes > 0;
  }

  get(id: string): NotificationRow | undefined {
    const r = this.byId.get(id) as NotificationRecord | undefined;
    return r && toNotification(r);
  }

  /**
   * Claims up to `limit` due rows for sending: each becomes `sending` with an in-flight attempt,
   * held by `lease` (one transaction: BEGIN IMMEDIATE, so two processes never claim one row).
   */
  claimDue(now: number, limit: number, lease: Lease = NO_LEASE): ClaimedNotification[] {
    if (limit <= 0) return [];
    return this.db.transaction(() => {
      const claimed: ClaimedNotification[] = [];
      for (const { id } of this.due.all(now, limit) as { id: string }[]) {
        const c = this.claimRow(id, now, lease);
        if (c) claimed.push(c);
      }
      return claimed;
    }).immediate();
  }

  /** Claims one row now, whatever its due time, if it is queued or waiting for a sign-in (a test e-mail). */
  claimById(id: string, now: number, lease: Lease = NO_LEASE): ClaimedNotification | undefined {
    return this.db.transaction(() => {
      const row = this.get(id);
      if (!row || (row.status !== 'queued' && row.status !== 'waiting-sign-in')) return undefined;
      this.db.prepare("UPDATE notifications SET status = 'queued' WHERE id = ?").run(id);
      return this.claimRow(id, now, lease);
    }).immediate();
  }

  /** Moves one queued row to `sending` with its in-flight attempt; reads its bodies (the sender needs them). */
  private claimRow(id: string, now: number, lease: Lease): ClaimedNotification | undefined {
    if (this.claim.run(now, id).changes === 0) return undefined;
    const row = this.get(id)!;
    const attemptId = Number(this.insertAttempt.run(id, row.attempts, now, lease.owner || null).lastInsertRowid);
    this.setClaim.run({ id, attemptId, owner: lease.owner || null, expiresAt: lease.owner ? lease.expiresAt : null });
    return { notification: row, attemptId, lease };
  }

  /**
   * Records how an attempt ended and moves the row to its next status - if this attempt's claim
   * still owns the row. Otherwise (the lease expired and the row was claimed again, or it was
   * re-queued) only the attempt is recorded, truthfully, and `lost` is returned.
   */
  finishAttemptWith(notificationId: string, attemptId: number, outcome: AttemptOutcome): FinishResult {
    const status: NotificationStatus =
      outcome.result === 'sent'
        ? 'sent'
        : outcome.result === 'retry'
          ? 'queued'
          : outcome.result === 'failed'
            ? 'failed'
            : 'waiting-sign-in';
    const diagnosis = jsonOrNull(outcome.diagnosis);
    this.finishAttempt.run({
      id: attemptId,
      at: outcome.at,
      result: outcome.result,
      statusCode: outcome.statusCode ?? null,
      errorCode: outcome.errorCode ?? null,
      error: outcome.error ?? null,
      diagnosis,
      httpRequests: outcome.httpRequests ?? null,
    });
    const moved = this.finish.run({
      id: notificationId,
      attemptId,
      status,
      nextAttemptAt: status === 'queued' ? (outcome.nextAttemptAt ?? outcome.at) : null,
      lastError: status === 'sent' ? null : (outcome.error ?? null),
      diagnosis: status === 'sent' ? null : diagnosis,
      messageId: outcome.messageId ?? null,
      sentAt: status === 'sent' ? outcome.at : null,
      at: outcome.at,
    });
    return moved.changes > 0 ? status : 'lost';
  }

  /**
   * The claim was answered by a hold of our own (the daily recipient budget): nothing was asked of
   * Microsoft, so it is no attempt - its in-flight attempt is removed and the count given back -
   * and the row is queued for `until` with the reason shown. `lost` when another claim owns it.
   */
  deferClaim(notificationId: string, attemptId: number, hold: { at: number; until: number; error: string; diagnosis: StoredDiagnosis | null }): FinishResult {
    return this.db.transaction((): FinishResult => {
      this.dropAttempt.run(attemptId);
      const moved = this.deferRow.run({ id: notificationId, attemptId, until: hold.until, error: hold.error, diagnosis: jsonOrNull(hold.diagnosis), at: hold.at });
      return moved.changes > 0 ? 'queued' : 'lost';
    }).immediate();
  }

  /**
   * The answer to an attempt the worker had already given up on (its send timeout) came after
   * all. The attempt row gets what really happened; a late acceptance marks the e-mail sent if it
   * is still waiting for its retry (no other claim holds it). Returns the row's status afterwards.
   */
  recordLateAnswer(notificationId: string, attemptId: number, outcome: AttemptOutcome): NotificationStatus | undefined {
    return this.db.transaction(() => {
      const before = this.attemptById.get(attemptId) as AttemptRecord | undefined;
      if (!before) return undefined;
      const note = `answered ${Math.round((outcome.at - before.started_at) / 1000)} s after it started, after the send timeout`;
      this.finishAttempt.run({
        id: attemptId,
        at: outcome.at,
        result: outcome.result,
        statusCode: outcome.statusCode ?? null,
        errorCode: outcome.errorCode ?? null,
        error: outcome.error ? `${outcome.error} (${note})` : `Accepted by Microsoft Graph (${note})`,
        diagnosis: jsonOrNull(outcome.diagnosis),
        httpRequests: outcome.httpRequests ?? before.http_requests,
      });
      if (outcome.result === 'sent') this.lateSent.run({ id: notificationId, messageId: outcome.messageId ?? null, at: outcome.at });
      return this.get(notificationId)?.status;
    }).immediate();
  }

  /**
   * Re-queues rows left `sending` whose lease expired, or (with `own`) whose lease is held by an
   * earlier run of this instance: that run is gone. Leases of other live workers are left alone.
   * Their in-flight attempts are marked interrupted.
   */
  requeueInterrupted(now: number, own?: { owner: string }): number {
    const params = { now, instance: own ? leaseInstance(own.owner) : null, owner: own?.owner ?? null };
    return this.db.transaction(() => {
      const error = 'The service stopped while this e-mail was being sent (its claim expired); it is sent again.';
      this.interruptAttempts.run({ ...params, error });
      this.interruptOrphans.run({ ...params, error });
      return this.requeueSending.run(params).changes;
    }).immediate();
  }

  /** Sign-in lost: every queued row waits for it (shown as `waiting-sign-in`, never dropped). */
  parkQueued(now: number): number {
    return this.park.run(now).changes;
  }

  /**
   * Takes back an e-mail that no longer applies (a warning about a sign-in that works again)
   * if it has not gone out yet. Its health notice keeps the history.
   */
  withdraw(id: string): boolean {
    return this.withdrawUnsent(id);
  }

  /** Sign-in healthy again: waiting rows are due at once. */
  resumeWaiting(now: number): number {
    return this.resume.run(now, now).changes;
  }
}
