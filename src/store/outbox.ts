import type Database from 'better-sqlite3';
import { PROBLEM_RESULTS_SQL, UNSENT_STATUSES_SQL } from './history-migration.js';
import { jsonOrNull, parseJsonColumn } from './json.js';
import type {
  AttemptResult,
  DeliveryAttemptRow,
  Importance,
  NewNotification,
  NotificationKind,
  NotificationRow,
  NotificationStatus,
  StoredDiagnosis,
} from './rows.js';

/** Every column but the bodies: what lists and summaries read. */
const SUMMARY_COLUMNS =
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

function toSummary(r: Omit<NotificationRecord, 'html' | 'text'>): NotificationSummary {
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

/** Claims made without a lease (tests, one-shot tools) count as expired at once. */
const NO_LEASE: Lease = { owner: '', expiresAt: 0 };

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

/** The outbox: one row per e-mail to send, the events it carries, and every attempt to send it. */
export class OutboxRepository {
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
  private readonly counts: Database.Statement;
  private readonly attemptsOf: Database.Statement;
  private readonly eventsOf: Database.Statement;
  private readonly attemptsOfMany: Database.Statement;
  private readonly eventsOfMany: Database.Statement;
  private readonly lastSent: Database.Statement;
  private readonly lastProblem: Database.Statement;
  private readonly nextDue: Database.Statement;
  private readonly oldestOpen: Database.Statement;
  private readonly retriesOf: Database.Statement;
  private readonly sentBefore: Database.Statement;
  private readonly failedBefore: Database.Statement;
  private readonly deleteMany: (ids: string[]) => number;
  private readonly unsentOfGroup: Database.Statement;
  private readonly rewrite: Database.Statement;
  /** The page's statements, prepared on first use (one per filter combination). */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
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
    // Kept by triggers on every write (history-migration.ts): no count over the table.
    // Retention (store.retentionDays / failedRetentionDays): the oldest finished rows, by index, a batch at a time.
    this.sentBefore = db.prepare(
      "SELECT id FROM notifications INDEXED BY notifications_sent WHERE status = 'sent' AND sent_at < ? ORDER BY sent_at LIMIT ?",
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
    this.nextDue = db.prepare(
      "SELECT min(next_attempt_at) AS at FROM notifications INDEXED BY notifications_claim WHERE status = 'queued'",
    );
    this.retriesOf = db.prepare("SELECT count(*) AS n FROM delivery_attempts WHERE notification_id = ? AND result = 'retry'");
    this.oldestOpen = db.prepare(
      "SELECT min(created_at) AS at FROM notifications WHERE status IN ('queued', 'sending', 'waiting-sign-in')",
    );
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

  /** Sign-in healthy again: waiting rows are due at once. */
  /**
   * Takes back an e-mail that no longer applies (a warning about a sign-in that works again)
   * if it has not gone out yet. Its health notice keeps the history.
   */
  withdraw(id: string): boolean {
    return this.withdrawUnsent(id);
  }

  resumeWaiting(now: number): number {
    return this.resume.run(now, now).changes;
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

  lastProblemAttempt(): DeliveryAttemptRow | undefined {
    const r = this.lastProblem.get() as AttemptRecord | undefined;
    return r && toAttempt(r);
  }

  /** Attempts that failed with an error worth retrying (sign-in waits and crashes do not count). */
  retryCount(notificationId: string): number {
    return (this.retriesOf.get(notificationId) as { n: number }).n;
  }

  nextAttemptAt(): number | null {
    return (this.nextDue.get() as { at: number | null }).at;
  }

  oldestOpenCreatedAt(): number | null {
    return (this.oldestOpen.get() as { at: number | null }).at;
  }
}
