import type Database from 'better-sqlite3';
import { jsonText, parseJsonObjectColumn } from './json.js';
import type { EventCounts, EventOutcome, EventStatus, NewEvent, Severity, StoredEvent } from './rows.js';

export type { EventCounts };

export interface EventRecord {
  id: number;
  received_at: number;
  type: string;
  severity: Severity;
  status: EventStatus;
  agent: string;
  folder: string;
  summary: string;
  details: string;
  occurred_at: number;
  dedup_key: string;
  alert_key: string;
  group_key: string | null;
  outcome: EventOutcome | null;
}

export function toEvent(r: EventRecord): StoredEvent {
  return {
    id: r.id,
    receivedAt: r.received_at,
    type: r.type,
    severity: r.severity,
    status: r.status,
    agent: r.agent,
    folder: r.folder,
    summary: r.summary,
    details: parseJsonObjectColumn(r.details),
    occurredAt: r.occurred_at,
    dedupKey: r.dedup_key,
    alertKey: r.alert_key,
    groupKey: r.group_key,
    outcome: r.outcome,
  };
}

/** The events table: what was received, and where each event stands. */
export class EventRepository {
  private readonly insert: Database.Statement;
  private readonly byId: Database.Statement;
  private readonly unprocessed: Database.Statement;
  private readonly setRoutedBatch: Database.Statement;
  private readonly pendingInGroup: Database.Statement;
  private readonly settlePending: Database.Statement;
  private readonly movePending: Database.Statement;
  private readonly markQueuedForNotification: Database.Statement;
  private readonly settleForNotification: Database.Statement;
  private readonly markQueuedByIds: Database.Statement;
  private readonly between: Database.Statement;
  private readonly countsBetween: Database.Statement;
  private readonly countUndeliveredStmt: Database.Statement;
  private readonly oldestUndelivered: Database.Statement;
  private readonly prune: Database.Statement;
  private readonly pruneFailed: Database.Statement;
  /**
   * Events not yet delivered nor settled, kept in memory so the API's 429 check costs nothing.
   * Exact because this connection is the only writer; Store.transaction recounts after a rollback.
   */
  private undelivered = 0;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(
      `INSERT INTO events (received_at, type, severity, status, agent, folder, summary, details, occurred_at, dedup_key, alert_key)
       VALUES (@receivedAt, @type, @severity, @status, @agent, @folder, @summary, @details, @occurredAt, @dedupKey, @alertKey)`,
    );
    this.byId = db.prepare('SELECT * FROM events WHERE id = ?');
    this.unprocessed = db.prepare('SELECT * FROM events WHERE outcome IS NULL ORDER BY id LIMIT ?');
    // One statement for a routing batch: [[id, groupKey, outcome], ...], each a primary-key seek.
    this.setRoutedBatch = db.prepare(
      'UPDATE events SET group_key = j.value ->> 1, outcome = j.value ->> 2 FROM json_each(?) AS j WHERE events.id = j.value ->> 0',
    );
    this.pendingInGroup = db.prepare(
      "SELECT id, alert_key FROM events WHERE group_key = ? AND outcome = 'pending' ORDER BY id",
    );
    this.settlePending = db.prepare("UPDATE events SET outcome = ? WHERE group_key = ? AND outcome = 'pending' AND alert_key = ?");
    this.movePending = db.prepare(
      "UPDATE events SET group_key = ? WHERE group_key = ? AND alert_key = ? AND outcome = 'pending'",
    );
    this.markQueuedForNotification = db.prepare(
      "UPDATE events SET outcome = 'queued' WHERE id IN (SELECT event_id FROM notification_events WHERE notification_id = ?) AND outcome = 'pending'",
    );
    this.markQueuedByIds = db.prepare(
      "UPDATE events SET outcome = 'queued' WHERE id IN (SELECT value FROM json_each(?)) AND outcome = 'pending'",
    );
    this.settleForNotification = db.prepare(
      "UPDATE events SET outcome = ? WHERE id IN (SELECT event_id FROM notification_events WHERE notification_id = ?) AND outcome = 'queued'",
    );
    this.between = db.prepare('SELECT * FROM events WHERE received_at >= ? AND received_at < ? ORDER BY id DESC LIMIT ?');
    this.countsBetween = db.prepare(
      `SELECT type, severity, status, count(*) AS count FROM events
       WHERE received_at >= ? AND received_at < ? GROUP BY type, severity, status ORDER BY type, severity, status`,
    );
    // Three index seeks on (outcome, id) rather than one OR that the planner may scan for.
    this.countUndeliveredStmt = db.prepare(
      `SELECT (SELECT count(*) FROM events WHERE outcome IS NULL)
            + (SELECT count(*) FROM events WHERE outcome = 'pending')
            + (SELECT count(*) FROM events WHERE outcome = 'queued') AS n`,
    );
    this.oldestUndelivered = db.prepare(
      `SELECT id, received_at FROM events WHERE id = (SELECT min(id) FROM (
         SELECT min(id) AS id FROM events WHERE outcome IS NULL
         UNION ALL SELECT min(id) FROM events WHERE outcome = 'pending'
         UNION ALL SELECT min(id) FROM events WHERE outcome = 'queued'))`,
    );
    // A batch at a time (LIMIT), oldest first through events_received_at; events of e-mails that
    // failed for good are kept as long as those e-mails (their own cutoff).
    this.prune = db.prepare(
      `DELETE FROM events WHERE id IN (SELECT id FROM events INDEXED BY events_received_at WHERE received_at < @before
         AND outcome IS NOT NULL AND outcome NOT IN ('pending', 'queued', 'failed') ORDER BY received_at LIMIT @limit)`,
    );
    this.pruneFailed = db.prepare(
      `DELETE FROM events WHERE id IN (SELECT id FROM events INDEXED BY events_received_at WHERE received_at < @before
         AND outcome = 'failed' ORDER BY received_at LIMIT @limit)`,
    );
    this.recount();
  }

  /** Events received and not yet carried by a sent (or permanently failed) e-mail, nor settled without one. */
  get undeliveredCount(): number {
    return this.undelivered;
  }

  recount(): void {
    this.undelivered = this.countUndelivered();
  }

  /** Inserts the events in one transaction (the caller's, or a new one); returns their ids in order. */
  append(events: readonly NewEvent[]): number[] {
    const run = () =>
      events.map((e) =>
        Number(
          this.insert.run({
            receivedAt: e.receivedAt,
            type: e.type,
            severity: e.severity,
            status: e.status,
            agent: e.agent,
            folder: e.folder,
            summary: e.summary,
            details: jsonText(e.details),
            occurredAt: e.occurredAt,
            dedupKey: e.dedupKey,
            alertKey: e.alertKey,
          }).lastInsertRowid,
        ),
      );
    const ids = this.db.inTransaction ? run() : this.db.transaction(run)();
    this.undelivered += ids.length;
    return ids;
  }

  get(id: number): StoredEvent | undefined {
    const r = this.byId.get(id) as EventRecord | undefined;
    return r && toEvent(r);
  }

  /** Events the route/state stage has not seen, oldest first. */
  nextUnprocessed(limit: number): StoredEvent[] {
    return (this.unprocessed.all(limit) as EventRecord[]).map(toEvent);
  }

  markRouted(id: number, groupKey: string | null, outcome: EventOutcome): void {
    this.markRoutedMany([{ id, groupKey, outcome }]);
  }

  /** markRouted for many events in one statement (issue 14: not one UPDATE per event). */
  markRoutedMany(items: readonly { id: number; groupKey: string | null; outcome: EventOutcome }[]): void {
    if (items.length === 0) return;
    const changed = this.setRoutedBatch.run(JSON.stringify(items.map((i) => [i.id, i.groupKey, i.outcome]))).changes;
    // Every id is a row read in this transaction, so each changes once; recount if not.
    if (changed !== items.length) this.recount();
    else this.undelivered -= items.filter((i) => i.outcome !== 'pending' && i.outcome !== 'queued').length;
  }

  pendingIn(groupKey: string): { id: number; alertKey: string }[] {
    return (this.pendingInGroup.all(groupKey) as { id: number; alert_key: string }[]).map((r) => ({
      id: r.id,
      alertKey: r.alert_key,
    }));
  }

  /** Settles an alert's pending events in a group without an e-mail; returns how many. */
  settlePendingOf(groupKey: string, alertKey: string, outcome: EventOutcome): number {
    const changed = this.settlePending.run(outcome, groupKey, alertKey).changes;
    if (outcome !== 'pending' && outcome !== 'queued') this.undelivered -= changed;
    return changed;
  }

  /** An alert routed to another group (the rules changed) takes its untold events along. */
  movePendingOf(alertKey: string, fromGroup: string, toGroup: string): number {
    return this.movePending.run(toGroup, fromGroup, alertKey).changes;
  }

  /** The events an e-mail carries move from `pending` to `queued`. */
  markQueued(notificationId: string): number {
    return this.markQueuedForNotification.run(notificationId).changes;
  }

  /**
   * The given pending events move to `queued`: those just added to an e-mail. An unsent e-mail
   * updated through an outage carries ever more events; re-reading all its links on every update
   * would make each flush cost what the outage has gathered so far.
   */
  markQueuedIds(eventIds: readonly number[]): number {
    if (eventIds.length === 0) return 0;
    return this.markQueuedByIds.run(JSON.stringify(eventIds)).changes;
  }

  /** The e-mail carrying them was sent (`notified`) or failed for good (`failed`); returns how many. */
  settleCarriedBy(notificationId: string, outcome: 'notified' | 'failed'): number {
    const changed = this.settleForNotification.run(outcome, notificationId).changes;
    this.undelivered -= changed;
    return changed;
  }

  /** Newest first, at most `limit`. */
  receivedBetween(from: number, to: number, limit: number): StoredEvent[] {
    return (this.between.all(from, to, limit) as EventRecord[]).map(toEvent);
  }

  countsBetweenTimes(from: number, to: number): EventCounts[] {
    return this.countsBetween.all(from, to) as EventCounts[];
  }

  /** Counted from the table (the in-memory figure is `undeliveredCount`). */
  countUndelivered(): number {
    return (this.countUndeliveredStmt.get() as { n: number }).n;
  }

  oldestUndeliveredEvent(): { id: number; receivedAt: number } | undefined {
    const r = this.oldestUndelivered.get() as { id: number; received_at: number } | undefined;
    return r && { id: r.id, receivedAt: r.received_at };
  }

  /**
   * Deletes settled events received before `before` (those of failed e-mails: before
   * `failedBefore`, default the same), at most `limit` of each; pending and queued ones are kept.
   */
  pruneSettledBefore(before: number, failedBefore: number = before, limit = Number.MAX_SAFE_INTEGER): number {
    return this.prune.run({ before, limit }).changes + this.pruneFailed.run({ before: failedBefore, limit }).changes;
  }
}
