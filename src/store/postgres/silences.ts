import type { SilenceRow } from '../rows.js';
import type { Queryable } from './queryable.js';
import { toSilence, type SilenceRecord } from '../silences.js';

/** Silences on PostgreSQL: the SQLite SilenceRepository (src/store/silences.ts), async. */
export class PgSilences {
  constructor(private readonly q: Queryable) {}

  async add(s: Omit<SilenceRow, 'removedAt'>): Promise<void> {
    await this.q.query(
      `INSERT INTO silences (id, matchers, starts_at, ends_at, comment, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [s.id, JSON.stringify(s.matchers), s.startsAt, s.endsAt, s.comment, s.createdBy, s.createdAt],
    );
  }

  /** Ends a silence now; false when there is no such active silence. */
  async removeById(id: string, at: number): Promise<boolean> {
    const result = await this.q.query('UPDATE silences SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL', [at, id]);
    return (result.rowCount ?? 0) > 0;
  }

  async activeAt(now: number): Promise<SilenceRow[]> {
    const { rows } = await this.q.query<SilenceRecord>(
      'SELECT * FROM silences WHERE removed_at IS NULL AND starts_at <= $1 AND ends_at > $1 ORDER BY ends_at',
      [now],
    );
    return rows.map(toSilence);
  }

  async list(limit = 1000): Promise<SilenceRow[]> {
    const { rows } = await this.q.query<SilenceRecord>('SELECT * FROM silences ORDER BY created_at DESC LIMIT $1', [limit]);
    return rows.map(toSilence);
  }

  async get(id: string): Promise<SilenceRow | undefined> {
    const { rows } = await this.q.query<SilenceRecord>('SELECT * FROM silences WHERE id = $1', [id]);
    return rows[0] && toSilence(rows[0]);
  }
}
