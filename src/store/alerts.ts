import type Database from 'better-sqlite3';
import { jsonText, parseJsonColumn, parseJsonObjectColumn } from './json.js';
import type { AlertRow, AlertState, GroupRow, Severity } from './rows.js';

export interface AlertRecord {
  key: string;
  type: string;
  agent: string;
  folder: string;
  dedup_key: string;
  severity: Severity;
  summary: string;
  details: string;
  state: AlertState;
  first_firing_at: number | null;
  resolved_at: number | null;
  last_event_at: number;
  last_event_id: number;
  event_count: number;
  group_key: string | null;
  last_notified_at: number | null;
  last_notified_state: AlertState | null;
  last_notified_severity: Severity | null;
}

export function toAlert(r: AlertRecord): AlertRow {
  return {
    key: r.key,
    type: r.type,
    agent: r.agent,
    folder: r.folder,
    dedupKey: r.dedup_key,
    severity: r.severity,
    summary: r.summary,
    details: parseJsonObjectColumn(r.details),
    state: r.state,
    firstFiringAt: r.first_firing_at,
    resolvedAt: r.resolved_at,
    lastEventAt: r.last_event_at,
    lastEventId: r.last_event_id,
    eventCount: r.event_count,
    groupKey: r.group_key,
    lastNotifiedAt: r.last_notified_at,
    lastNotifiedState: r.last_notified_state,
    lastNotifiedSeverity: r.last_notified_severity,
  };
}

/** Alert state: one row per (type, agent, folder, dedupKey). */
export class AlertRepository {
  private readonly byKey: Database.Statement;
  private readonly upsert: Database.Statement;
  private readonly inGroup: Database.Statement;
  private readonly all: Database.Statement;
  private readonly notified: Database.Statement;
  private readonly firingCount: Database.Statement;

  constructor(db: Database.Database) {
    this.byKey = db.prepare('SELECT * FROM alerts WHERE key = ?');
    this.upsert = db.prepare(`
      INSERT INTO alerts (key, type, agent, folder, dedup_key, severity, summary, details, state, first_firing_at,
        resolved_at, last_event_at, last_event_id, event_count, group_key, last_notified_at, last_notified_state,
        last_notified_severity)
      VALUES (@key, @type, @agent, @folder, @dedupKey, @severity, @summary, @details, @state, @firstFiringAt,
        @resolvedAt, @lastEventAt, @lastEventId, @eventCount, @groupKey, @lastNotifiedAt, @lastNotifiedState,
        @lastNotifiedSeverity)
      ON CONFLICT (key) DO UPDATE SET severity = excluded.severity, summary = excluded.summary,
        details = excluded.details, state = excluded.state, first_firing_at = excluded.first_firing_at,
        resolved_at = excluded.resolved_at, last_event_at = excluded.last_event_at,
        last_event_id = excluded.last_event_id, event_count = excluded.event_count, group_key = excluded.group_key,
        last_notified_at = excluded.last_notified_at, last_notified_state = excluded.last_notified_state,
        last_notified_severity = excluded.last_notified_severity`);
    this.inGroup = db.prepare('SELECT * FROM alerts WHERE group_key = ? ORDER BY agent, folder, type, dedup_key');
    this.all = db.prepare('SELECT * FROM alerts ORDER BY agent, folder, type, dedup_key LIMIT ?');
    this.notified = db.prepare(
      'UPDATE alerts SET last_notified_at = ?, last_notified_state = state, last_notified_severity = severity WHERE key = ?',
    );
    this.firingCount = db.prepare("SELECT count(*) AS n FROM alerts WHERE state = 'firing'");
  }

  get(key: string): AlertRow | undefined {
    const r = this.byKey.get(key) as AlertRecord | undefined;
    return r && toAlert(r);
  }

  save(alert: AlertRow): void {
    this.upsert.run({ ...alert, details: jsonText(alert.details) });
  }

  inGroupKey(groupKey: string): AlertRow[] {
    return (this.inGroup.all(groupKey) as AlertRecord[]).map(toAlert);
  }

  list(limit = 100_000): AlertRow[] {
    return (this.all.all(limit) as AlertRecord[]).map(toAlert);
  }

  /** Records that the administrator has been told the alert's current state. */
  markNotified(key: string, at: number): void {
    this.notified.run(at, key);
  }

  countFiring(): number {
    return (this.firingCount.get() as { n: number }).n;
  }
}

export interface GroupRecord {
  key: string;
  route: string;
  labels: string;
  recipients: string;
  group_wait_ms: number;
  group_interval_ms: number;
  repeat_interval_ms: number;
  next_flush_at: number | null;
  last_flush_at: number | null;
  created_at: number;
}

export function toGroup(r: GroupRecord): GroupRow {
  return {
    key: r.key,
    route: r.route,
    labels: parseJsonColumn<Record<string, string>>(r.labels, {}),
    recipients: parseJsonColumn<string[]>(r.recipients, []),
    groupWaitMs: r.group_wait_ms,
    groupIntervalMs: r.group_interval_ms,
    repeatIntervalMs: r.repeat_interval_ms,
    nextFlushAt: r.next_flush_at,
    lastFlushAt: r.last_flush_at,
    createdAt: r.created_at,
  };
}

/** Notification groups and their timers; persisted so a restart keeps group_wait/interval/repeat. */
export class GroupRepository {
  private readonly byKey: Database.Statement;
  private readonly upsert: Database.Statement;
  private readonly dueGroups: Database.Statement;
  private readonly schedule: Database.Statement;
  private readonly flushed: Database.Statement;
  private readonly all: Database.Statement;
  private readonly nextDue: Database.Statement;

  constructor(db: Database.Database) {
    this.byKey = db.prepare('SELECT * FROM alert_groups WHERE key = ?');
    this.upsert = db.prepare(`
      INSERT INTO alert_groups (key, route, labels, recipients, group_wait_ms, group_interval_ms, repeat_interval_ms,
        next_flush_at, last_flush_at, created_at)
      VALUES (@key, @route, @labels, @recipients, @groupWaitMs, @groupIntervalMs, @repeatIntervalMs,
        @nextFlushAt, @lastFlushAt, @createdAt)
      ON CONFLICT (key) DO UPDATE SET route = excluded.route, labels = excluded.labels,
        recipients = excluded.recipients, group_wait_ms = excluded.group_wait_ms,
        group_interval_ms = excluded.group_interval_ms, repeat_interval_ms = excluded.repeat_interval_ms,
        next_flush_at = excluded.next_flush_at, last_flush_at = excluded.last_flush_at`);
    this.dueGroups = db.prepare(
      'SELECT * FROM alert_groups WHERE next_flush_at IS NOT NULL AND next_flush_at <= ? ORDER BY next_flush_at LIMIT ?',
    );
    this.schedule = db.prepare('UPDATE alert_groups SET next_flush_at = ? WHERE key = ?');
    this.flushed = db.prepare('UPDATE alert_groups SET last_flush_at = ?, next_flush_at = ? WHERE key = ?');
    this.all = db.prepare('SELECT * FROM alert_groups ORDER BY key');
    this.nextDue = db.prepare('SELECT min(next_flush_at) AS at FROM alert_groups WHERE next_flush_at IS NOT NULL');
  }

  get(key: string): GroupRow | undefined {
    const r = this.byKey.get(key) as GroupRecord | undefined;
    return r && toGroup(r);
  }

  save(group: GroupRow): void {
    this.upsert.run({ ...group, labels: JSON.stringify(group.labels), recipients: JSON.stringify(group.recipients) });
  }

  due(now: number, limit: number): GroupRow[] {
    return (this.dueGroups.all(now, limit) as GroupRecord[]).map(toGroup);
  }

  /** The group if still due at `now` (the flush's guard; on SQLite the unit's write lock already makes one flush at a time). */
  claimDue(key: string, now: number): GroupRow | undefined {
    const group = this.get(key);
    return group && group.nextFlushAt !== null && group.nextFlushAt <= now ? group : undefined;
  }

  setNextFlush(key: string, at: number | null): void {
    this.schedule.run(at, key);
  }

  markFlushed(key: string, at: number | null, nextFlushAt: number | null): void {
    this.flushed.run(at, nextFlushAt, key);
  }

  list(): GroupRow[] {
    return (this.all.all() as GroupRecord[]).map(toGroup);
  }

  /** When the next group is due, or null when none waits. */
  nextFlushAt(): number | null {
    return (this.nextDue.get() as { at: number | null }).at;
  }
}
