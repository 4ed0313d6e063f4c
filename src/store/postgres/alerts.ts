import { jsonText } from '../json.js';
import type { AlertRow, GroupRow } from '../rows.js';
import type { Queryable } from './queryable.js';
import { toAlert, toGroup, type AlertRecord, type GroupRecord } from '../alerts.js';

/** SQLite's order of alert lists (binary text order, as SQLite compares). */
const ALERT_ORDER = 'ORDER BY agent COLLATE "C", folder COLLATE "C", type COLLATE "C", dedup_key COLLATE "C"';

/** Alert state on PostgreSQL: method for method the SQLite AlertRepository (src/store/alerts.ts), async. */
export class PgAlerts {
  constructor(private readonly q: Queryable) {}

  async get(key: string): Promise<AlertRow | undefined> {
    const { rows } = await this.q.query<AlertRecord>('SELECT * FROM alerts WHERE key = $1', [key]);
    return rows[0] && toAlert(rows[0]);
  }

  async save(a: AlertRow): Promise<void> {
    await this.q.query(
      `INSERT INTO alerts (key, type, agent, folder, dedup_key, severity, summary, details, state, first_firing_at,
         resolved_at, last_event_at, last_event_id, event_count, group_key, last_notified_at, last_notified_state,
         last_notified_severity)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
       ON CONFLICT (key) DO UPDATE SET severity = excluded.severity, summary = excluded.summary,
         details = excluded.details, state = excluded.state, first_firing_at = excluded.first_firing_at,
         resolved_at = excluded.resolved_at, last_event_at = excluded.last_event_at,
         last_event_id = excluded.last_event_id, event_count = excluded.event_count, group_key = excluded.group_key,
         last_notified_at = excluded.last_notified_at, last_notified_state = excluded.last_notified_state,
         last_notified_severity = excluded.last_notified_severity`,
      [
        a.key, a.type, a.agent, a.folder, a.dedupKey, a.severity, a.summary, jsonText(a.details), a.state, a.firstFiringAt,
        a.resolvedAt, a.lastEventAt, a.lastEventId, a.eventCount, a.groupKey, a.lastNotifiedAt, a.lastNotifiedState,
        a.lastNotifiedSeverity,
      ],
    );
  }

  async inGroupKey(groupKey: string): Promise<AlertRow[]> {
    const { rows } = await this.q.query<AlertRecord>(`SELECT * FROM alerts WHERE group_key = $1 ${ALERT_ORDER}`, [groupKey]);
    return rows.map(toAlert);
  }

  async list(limit = 100_000): Promise<AlertRow[]> {
    const { rows } = await this.q.query<AlertRecord>(`SELECT * FROM alerts ${ALERT_ORDER} LIMIT $1`, [limit]);
    return rows.map(toAlert);
  }

  /** Records that the administrator has been told the alert's current state. */
  async markNotified(key: string, at: number): Promise<void> {
    await this.q.query(
      'UPDATE alerts SET last_notified_at = $1, last_notified_state = state, last_notified_severity = severity WHERE key = $2',
      [at, key],
    );
  }

  async countFiring(): Promise<number> {
    const { rows } = await this.q.query<{ n: number }>("SELECT count(*)::bigint AS n FROM alerts WHERE state = 'firing'");
    return rows[0]!.n;
  }
}

/** Notification groups and their timers on PostgreSQL: the SQLite GroupRepository, async. */
export class PgGroups {
  constructor(private readonly q: Queryable) {}

  async get(key: string): Promise<GroupRow | undefined> {
    const { rows } = await this.q.query<GroupRecord>('SELECT * FROM alert_groups WHERE key = $1', [key]);
    return rows[0] && toGroup(rows[0]);
  }

  async save(g: GroupRow): Promise<void> {
    await this.q.query(
      `INSERT INTO alert_groups (key, route, labels, recipients, group_wait_ms, group_interval_ms, repeat_interval_ms,
         next_flush_at, last_flush_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (key) DO UPDATE SET route = excluded.route, labels = excluded.labels,
         recipients = excluded.recipients, group_wait_ms = excluded.group_wait_ms,
         group_interval_ms = excluded.group_interval_ms, repeat_interval_ms = excluded.repeat_interval_ms,
         next_flush_at = excluded.next_flush_at, last_flush_at = excluded.last_flush_at`,
      [g.key, g.route, JSON.stringify(g.labels), JSON.stringify(g.recipients), g.groupWaitMs, g.groupIntervalMs, g.repeatIntervalMs, g.nextFlushAt, g.lastFlushAt, g.createdAt],
    );
  }

  /** Due groups, the most overdue first (alert_groups_due); as in SQLite, equal times come in no promised order. */
  async due(now: number, limit: number): Promise<GroupRow[]> {
    const { rows } = await this.q.query<GroupRecord>(
      'SELECT * FROM alert_groups WHERE next_flush_at IS NOT NULL AND next_flush_at <= $1 ORDER BY next_flush_at LIMIT $2',
      [now, limit],
    );
    return rows.map(toGroup);
  }

  /**
   * The group if still due at `now`, locked until the flush unit it runs in ends; a group another
   * instance's flush holds is skipped (SKIP LOCKED), and one it flushed is no longer due.
   */
  async claimDue(key: string, now: number): Promise<GroupRow | undefined> {
    const { rows } = await this.q.query<GroupRecord>(
      'SELECT * FROM alert_groups WHERE key = $1 AND next_flush_at IS NOT NULL AND next_flush_at <= $2 FOR UPDATE SKIP LOCKED',
      [key, now],
    );
    return rows[0] && toGroup(rows[0]);
  }

  async setNextFlush(key: string, at: number | null): Promise<void> {
    await this.q.query('UPDATE alert_groups SET next_flush_at = $1 WHERE key = $2', [at, key]);
  }

  async markFlushed(key: string, at: number | null, nextFlushAt: number | null): Promise<void> {
    await this.q.query('UPDATE alert_groups SET last_flush_at = $1, next_flush_at = $2 WHERE key = $3', [at, nextFlushAt, key]);
  }

  async list(): Promise<GroupRow[]> {
    const { rows } = await this.q.query<GroupRecord>('SELECT * FROM alert_groups ORDER BY key COLLATE "C"');
    return rows.map(toGroup);
  }

  /** When the next group is due, or null when none waits. */
  async nextFlushAt(): Promise<number | null> {
    const { rows } = await this.q.query<{ at: number | null }>('SELECT min(next_flush_at) AS at FROM alert_groups WHERE next_flush_at IS NOT NULL');
    return rows[0]?.at ?? null;
  }
}
