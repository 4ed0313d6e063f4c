import { jsonText } from '../json.js';
import { toEvent, type EventCounts, type EventRecord } from '../events.js';
import type { EventOutcome, NewEvent, StoredEvent } from '../rows.js';
import { LOCK_PRODUCT, LOCK_ROUTING } from './migrate.js';
import { inOpenTransaction, type Queryable } from './queryable.js';

/**
 * Where PgEvents reports changes to the number of undelivered events: the store's in-memory
 * figure directly (statements on the pool commit at once), or a unit of work's tally that the
 * store applies at its COMMIT and drops at a ROLLBACK (see tally.ts).
 */
export interface UndeliveredTally {
  readonly value: number;
  add(delta: number): void;
  /** Counted from the table just now (inside a unit: including its own changes). */
  reset(count: number): void;
  /** The figure is unknown until counted again (a batch changed an unexpected number of rows). */
  invalidate(): void;
}

/** A tally on its own (a repository built without a store): counts what it is told. */
export class LocalTally implements UndeliveredTally {
  value = 0;
  add(delta: number): void {
    this.value += delta;
  }
  reset(count: number): void {
    this.value = count;
  }
  invalidate(): void {
    // Nobody to recount for it; recount() sets it.
  }
}

const SETTLED = (o: EventOutcome) => o !== 'pending' && o !== 'queued';

/**
 * The events table on PostgreSQL, method for method the SQLite EventRepository (src/store/events.ts),
 * async. Text is ordered with COLLATE "C" wherever SQLite's binary order shows (the database's
 * own collation may be a locale's).
 */
export class PgEvents {
  constructor(
    private readonly q: Queryable,
    private readonly tally: UndeliveredTally = new LocalTally(),
  ) {}

  /** The in-memory figure (see PgStore.undeliveredEvents). */
  get undeliveredCount(): number {
    return this.tally.value;
  }

  /** Counts from the table and sets the in-memory figure. */
  async recount(): Promise<void> {
    this.tally.reset(await this.countUndelivered());
  }

  /**
   * Inserts the events in one statement (atomic by itself; inside a unit, part of it) and returns
   * their ids in order: the ids are drawn from the identity's sequence in the statement and given
   * out ascending by position, so event i always has the i-th smallest id (the order RETURNING
   * lists rows in is not promised). One round trip: on the pool, acknowledged once committed.
   */
  async append(events: readonly NewEvent[]): Promise<number[]> {
    if (events.length === 0) return [];
    const { rows } = await this.q.query<{ id: number }>(
      `WITH drawn AS (SELECT nextval(pg_get_serial_sequence('events', 'id')) AS id FROM generate_series(1, $1)),
       numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS ord FROM drawn)
       INSERT INTO events (id, received_at, type, severity, status, agent, folder, summary, details, occurred_at, dedup_key, alert_key)
       SELECT n.id, d.received_at, d.type, d.severity, d.status, d.agent, d.folder, d.summary, d.details, d.occurred_at, d.dedup_key, d.alert_key
       FROM numbered n JOIN unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
         $9::text[], $10::bigint[], $11::text[], $12::text[])
         WITH ORDINALITY AS d(received_at, type, severity, status, agent, folder, summary, details, occurred_at, dedup_key, alert_key, ord)
         ON d.ord = n.ord
       RETURNING id`,
      [
        events.length,
        events.map((e) => e.receivedAt),
        events.map((e) => e.type),
        events.map((e) => e.severity),
        events.map((e) => e.status),
        events.map((e) => e.agent),
        events.map((e) => e.folder),
        events.map((e) => e.summary),
        events.map((e) => jsonText(e.details)),
        events.map((e) => e.occurredAt),
        events.map((e) => e.dedupKey),
        events.map((e) => e.alertKey),
      ],
    );
    const ids = rows.map((r) => r.id).sort((x, y) => x - y);
    this.tally.add(ids.length);
    return ids;
  }

  async get(id: number): Promise<StoredEvent | undefined> {
    const { rows } = await this.q.query<EventRecord>('SELECT * FROM events WHERE id = $1', [id]);
    return rows[0] && toEvent(rows[0]);
  }

  /**
   * Events the route/state stage has not seen, oldest first. Inside a unit of work (the routing
   * unit) it first takes the routing lock, held until that unit ends: with several instances on
   * the database one routes at a time, in arrival order, and the others get nothing this turn
   * instead of routing the same events again (the lock is transaction-level: a router that dies
   * releases it with its connection). Outside a unit it is a plain read.
   */
  async nextUnprocessed(limit: number): Promise<StoredEvent[]> {
    if (inOpenTransaction(this.q)) {
      const { rows } = await this.q.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1, $2) AS ok', [LOCK_PRODUCT, LOCK_ROUTING]);
      if (!rows[0]?.ok) return [];
    }
    const { rows } = await this.q.query<EventRecord>('SELECT * FROM events WHERE outcome IS NULL ORDER BY id LIMIT $1', [limit]);
    return rows.map(toEvent);
  }

  async markRouted(id: number, groupKey: string | null, outcome: EventOutcome): Promise<void> {
    await this.markRoutedMany([{ id, groupKey, outcome }]);
  }

  /** markRouted for many events in one statement (arrays unnested, each a primary-key seek). */
  async markRoutedMany(items: readonly { id: number; groupKey: string | null; outcome: EventOutcome }[]): Promise<void> {
    if (items.length === 0) return;
    const result = await this.q.query(
      `UPDATE events SET group_key = u.group_key, outcome = u.outcome
       FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(id, group_key, outcome) WHERE events.id = u.id`,
      [items.map((i) => i.id), items.map((i) => i.groupKey), items.map((i) => i.outcome)],
    );
    if ((result.rowCount ?? 0) !== items.length) this.tally.invalidate();
    else this.tally.add(-items.filter((i) => SETTLED(i.outcome)).length);
  }

  async pendingIn(groupKey: string): Promise<{ id: number; alertKey: string }[]> {
    const { rows } = await this.q.query<{ id: number; alert_key: string }>(
      "SELECT id, alert_key FROM events WHERE group_key = $1 AND outcome = 'pending' ORDER BY id",
      [groupKey],
    );
    return rows.map((r) => ({ id: r.id, alertKey: r.alert_key }));
  }

  /** Settles an alert's pending events in a group without an e-mail; returns how many. */
  async settlePendingOf(groupKey: string, alertKey: string, outcome: EventOutcome): Promise<number> {
    const result = await this.q.query(
      "UPDATE events SET outcome = $1 WHERE group_key = $2 AND outcome = 'pending' AND alert_key = $3",
      [outcome, groupKey, alertKey],
    );
    const changed = result.rowCount ?? 0;
    if (SETTLED(outcome)) this.tally.add(-changed);
    return changed;
  }

  /** An alert routed to another group (the rules changed) takes its untold events along. */
  async movePendingOf(alertKey: string, fromGroup: string, toGroup: string): Promise<number> {
    const result = await this.q.query(
      "UPDATE events SET group_key = $1 WHERE group_key = $2 AND alert_key = $3 AND outcome = 'pending'",
      [toGroup, fromGroup, alertKey],
    );
    return result.rowCount ?? 0;
  }

  /** The events an e-mail carries move from `pending` to `queued`. */
  async markQueued(notificationId: string): Promise<number> {
    const result = await this.q.query(
      "UPDATE events SET outcome = 'queued' WHERE id IN (SELECT event_id FROM notification_events WHERE notification_id = $1) AND outcome = 'pending'",
      [notificationId],
    );
    return result.rowCount ?? 0;
  }

  /** The given pending events move to `queued`: those just added to an e-mail. */
  async markQueuedIds(eventIds: readonly number[]): Promise<number> {
    if (eventIds.length === 0) return 0;
    const result = await this.q.query("UPDATE events SET outcome = 'queued' WHERE id = ANY($1::bigint[]) AND outcome = 'pending'", [eventIds]);
    return result.rowCount ?? 0;
  }

  /** The e-mail carrying them was sent (`notified`) or failed for good (`failed`); returns how many. */
  async settleCarriedBy(notificationId: string, outcome: 'notified' | 'failed'): Promise<number> {
    const result = await this.q.query(
      "UPDATE events SET outcome = $1 WHERE id IN (SELECT event_id FROM notification_events WHERE notification_id = $2) AND outcome = 'queued'",
      [outcome, notificationId],
    );
    const changed = result.rowCount ?? 0;
    this.tally.add(-changed);
    return changed;
  }

  /** Newest first, at most `limit`. */
  async receivedBetween(from: number, to: number, limit: number): Promise<StoredEvent[]> {
    const { rows } = await this.q.query<EventRecord>(
      'SELECT * FROM events WHERE received_at >= $1 AND received_at < $2 ORDER BY id DESC LIMIT $3',
      [from, to, limit],
    );
    return rows.map(toEvent);
  }

  async countsBetweenTimes(from: number, to: number): Promise<EventCounts[]> {
    const { rows } = await this.q.query<EventCounts>(
      `SELECT type, severity, status, count(*)::bigint AS count FROM events
       WHERE received_at >= $1 AND received_at < $2 GROUP BY type, severity, status
       ORDER BY type COLLATE "C", severity COLLATE "C", status COLLATE "C"`,
      [from, to],
    );
    return rows;
  }

  /** Counted from the table (the in-memory figure is `undeliveredCount`). */
  async countUndelivered(): Promise<number> {
    // Three index ranges of events_outcome rather than one OR.
    const { rows } = await this.q.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM events WHERE outcome IS NULL)
            + (SELECT count(*) FROM events WHERE outcome = 'pending')
            + (SELECT count(*) FROM events WHERE outcome = 'queued') AS n`,
    );
    return Number(rows[0]!.n);
  }

  async oldestUndeliveredEvent(): Promise<{ id: number; receivedAt: number } | undefined> {
    const { rows } = await this.q.query<{ id: number; received_at: number }>(
      `SELECT id, received_at FROM events WHERE id = (SELECT min(id) FROM (
         SELECT min(id) AS id FROM events WHERE outcome IS NULL
         UNION ALL SELECT min(id) FROM events WHERE outcome = 'pending'
         UNION ALL SELECT min(id) FROM events WHERE outcome = 'queued') AS firsts)`,
    );
    return rows[0] && { id: rows[0].id, receivedAt: rows[0].received_at };
  }

  /**
   * Deletes settled events received before `before` (those of failed e-mails: before
   * `failedBefore`, default the same), at most `limit` of each; pending and queued ones are kept.
   */
  async pruneSettledBefore(before: number, failedBefore: number = before, limit = Number.MAX_SAFE_INTEGER): Promise<number> {
    const settled = await this.q.query(
      `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < $1
         AND outcome IS NOT NULL AND outcome NOT IN ('pending', 'queued', 'failed') ORDER BY received_at LIMIT $2)`,
      [before, limit],
    );
    const failed = await this.q.query(
      "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < $1 AND outcome = 'failed' ORDER BY received_at LIMIT $2)",
      [failedBefore, limit],
    );
    return (settled.rowCount ?? 0) + (failed.rowCount ?? 0);
  }
}
