import type Database from 'better-sqlite3';
import { jsonOrNull, parseJsonColumn } from './json.js';
import type { HealthNoticeKind } from '../notify/index.js';
import type { HealthNoticeInput, HealthNoticeRow, StoredDiagnosis } from './rows.js';

export interface HealthRecord {
  kind: HealthNoticeKind;
  subject: string;
  threshold: string;
  message: string;
  diagnosis: string | null;
  first_seen_at: number;
  last_seen_at: number;
  notification_id: string | null;
  resolved_at: number | null;
}

export function toNotice(r: HealthRecord): HealthNoticeRow {
  return {
    kind: r.kind,
    subject: r.subject,
    threshold: r.threshold,
    message: r.message,
    diagnosis: parseJsonColumn<StoredDiagnosis | null>(r.diagnosis, null),
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
    notificationId: r.notification_id,
    resolvedAt: r.resolved_at,
  };
}

export type { HealthNoticeInput };

/** Health notices: one row per (kind, subject, threshold), so each warning is e-mailed once. */
export class HealthNoticeRepository {
  private readonly byKey: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly touch: Database.Statement;
  private readonly reopen: Database.Statement;
  private readonly attach: Database.Statement;
  private readonly resolve: Database.Statement;
  private readonly resolveKey: Database.Statement;
  private readonly active: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.byKey = db.prepare('SELECT * FROM health_notices WHERE kind = ? AND subject = ? AND threshold = ?');
    this.insert = db.prepare(`
      INSERT INTO health_notices (kind, subject, threshold, message, diagnosis, first_seen_at, last_seen_at)
      VALUES (@kind, @subject, @threshold, @message, @diagnosis, @at, @at)`);
    this.touch = db.prepare(
      'UPDATE health_notices SET last_seen_at = ?, message = ? WHERE kind = ? AND subject = ? AND threshold = ?',
    );
    this.reopen = db.prepare(`
      UPDATE health_notices SET resolved_at = NULL, first_seen_at = @at, last_seen_at = @at, message = @message,
        diagnosis = @diagnosis, notification_id = NULL
      WHERE kind = @kind AND subject = @subject AND threshold = @threshold`);
    this.attach = db.prepare(
      'UPDATE health_notices SET notification_id = ? WHERE kind = ? AND subject = ? AND threshold = ?',
    );
    this.resolve = db.prepare(
      'UPDATE health_notices SET resolved_at = ? WHERE kind = ? AND (? IS NULL OR subject = ?) AND resolved_at IS NULL',
    );
    this.resolveKey = db.prepare(
      'UPDATE health_notices SET resolved_at = ? WHERE kind = ? AND subject = ? AND threshold = ? AND resolved_at IS NULL',
    );
    this.active = db.prepare('SELECT * FROM health_notices WHERE resolved_at IS NULL ORDER BY first_seen_at');
  }

  /**
   * Records a notice. True when it is new (or was resolved and is back): that is when the
   * administrator gets an e-mail; a notice seen again while open only updates last_seen_at.
   */
  record(input: HealthNoticeInput, at: number): boolean {
    const existing = this.byKey.get(input.kind, input.subject, input.threshold) as HealthRecord | undefined;
    const row = { ...input, diagnosis: jsonOrNull(input.diagnosis), at };
    if (!existing) {
      this.insert.run(row);
      return true;
    }
    if (existing.resolved_at !== null) {
      this.reopen.run(row);
      return true;
    }
    this.touch.run(at, input.message, input.kind, input.subject, input.threshold);
    return false;
  }

  attachNotification(kind: HealthNoticeKind, subject: string, threshold: string, notificationId: string): void {
    this.attach.run(notificationId, kind, subject, threshold);
  }

  /** Closes the open notices of a kind (optionally of one subject); returns how many. */
  resolveKind(kind: HealthNoticeKind, at: number, subject?: string): number {
    const s = subject ?? null;
    return this.resolve.run(at, kind, s, s).changes;
  }

  /** Closes one open notice; false when it was not open. */
  resolveOne(kind: HealthNoticeKind, subject: string, threshold: string, at: number): boolean {
    return this.resolveKey.run(at, kind, subject, threshold).changes > 0;
  }

  listActive(): HealthNoticeRow[] {
    return (this.active.all() as HealthRecord[]).map(toNotice);
  }

  get(kind: HealthNoticeKind, subject: string, threshold: string): HealthNoticeRow | undefined {
    const r = this.byKey.get(kind, subject, threshold) as HealthRecord | undefined;
    return r && toNotice(r);
  }
}

/** Small key/value settings of the running service (last daily report date, ...). */
export class MetaRepository {
  private readonly read: Database.Statement;
  private readonly write: Database.Statement;

  constructor(db: Database.Database) {
    this.read = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.write = db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
  }

  get(key: string): string | undefined {
    return (this.read.get(key) as { value: string } | undefined)?.value;
  }

  set(key: string, value: string): void {
    this.write.run(key, value);
  }
}
