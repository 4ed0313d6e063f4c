import { jsonOrNull } from '../json.js';
import { toNotice, type HealthNoticeInput, type HealthRecord } from '../health.js';
import type { HealthNoticeKind } from '../../notify/index.js';
import type { HealthNoticeRow } from '../rows.js';
import type { Queryable } from './queryable.js';

/** Health notices on PostgreSQL: the SQLite HealthNoticeRepository (src/store/health.ts), async. */
export class PgHealthNotices {
  constructor(private readonly q: Queryable) {}

  /**
   * Records a notice; true when it is new (or was resolved and is back), which is when the
   * administrator gets an e-mail. Each step is one statement that decides on the row as it is
   * when the statement runs, so two instances recording the same notice at once get one `true`:
   * the INSERT of one waits for the other's and then finds the row (ON CONFLICT DO NOTHING).
   */
  async record(input: HealthNoticeInput, at: number): Promise<boolean> {
    const diagnosis = jsonOrNull(input.diagnosis);
    const key = [input.kind, input.subject, input.threshold];
    const inserted = await this.q.query(
      `INSERT INTO health_notices (kind, subject, threshold, message, diagnosis, first_seen_at, last_seen_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (kind, subject, threshold) DO NOTHING`,
      [...key, input.message, diagnosis, at],
    );
    if ((inserted.rowCount ?? 0) > 0) return true;
    const reopened = await this.q.query(
      `UPDATE health_notices SET resolved_at = NULL, first_seen_at = $4, last_seen_at = $4, message = $5, diagnosis = $6,
         notification_id = NULL
       WHERE kind = $1 AND subject = $2 AND threshold = $3 AND resolved_at IS NOT NULL`,
      [...key, at, input.message, diagnosis],
    );
    if ((reopened.rowCount ?? 0) > 0) return true;
    await this.q.query(
      'UPDATE health_notices SET last_seen_at = $4, message = $5 WHERE kind = $1 AND subject = $2 AND threshold = $3',
      [...key, at, input.message],
    );
    return false;
  }

  async attachNotification(kind: HealthNoticeKind, subject: string, threshold: string, notificationId: string): Promise<void> {
    await this.q.query(
      'UPDATE health_notices SET notification_id = $4 WHERE kind = $1 AND subject = $2 AND threshold = $3',
      [kind, subject, threshold, notificationId],
    );
  }

  /** Closes the open notices of a kind (optionally of one subject); returns how many. */
  async resolveKind(kind: HealthNoticeKind, at: number, subject?: string): Promise<number> {
    const result = await this.q.query(
      'UPDATE health_notices SET resolved_at = $1 WHERE kind = $2 AND ($3::text IS NULL OR subject = $3) AND resolved_at IS NULL',
      [at, kind, subject ?? null],
    );
    return result.rowCount ?? 0;
  }

  /** Closes one open notice; false when it was not open. */
  async resolveOne(kind: HealthNoticeKind, subject: string, threshold: string, at: number): Promise<boolean> {
    const result = await this.q.query(
      'UPDATE health_notices SET resolved_at = $4 WHERE kind = $1 AND subject = $2 AND threshold = $3 AND resolved_at IS NULL',
      [kind, subject, threshold, at],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async listActive(): Promise<HealthNoticeRow[]> {
    const { rows } = await this.q.query<HealthRecord>('SELECT * FROM health_notices WHERE resolved_at IS NULL ORDER BY first_seen_at');
    return rows.map(toNotice);
  }

  async get(kind: HealthNoticeKind, subject: string, threshold: string): Promise<HealthNoticeRow | undefined> {
    const { rows } = await this.q.query<HealthRecord>(
      'SELECT * FROM health_notices WHERE kind = $1 AND subject = $2 AND threshold = $3',
      [kind, subject, threshold],
    );
    return rows[0] && toNotice(rows[0]);
  }
}

/** Small key/value settings of the running service on PostgreSQL: the SQLite MetaRepository, async. */
export class PgMeta {
  constructor(private readonly q: Queryable) {}

  async get(key: string): Promise<string | undefined> {
    const { rows } = await this.q.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]);
    return rows[0]?.value;
  }

  async set(key: string, value: string): Promise<void> {
    await this.q.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }
}
