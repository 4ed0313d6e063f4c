import type Database from 'better-sqlite3';
import { parseJsonColumn } from './json.js';
import type { SilenceMatchers, SilenceRow } from './rows.js';

export interface SilenceRecord {
  id: string;
  matchers: string;
  starts_at: number;
  ends_at: number;
  comment: string;
  created_by: string;
  created_at: number;
  removed_at: number | null;
}

export function toSilence(r: SilenceRecord): SilenceRow {
  return {
    id: r.id,
    matchers: parseJsonColumn<SilenceMatchers>(r.matchers, {}),
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    comment: r.comment,
    createdBy: r.created_by,
    createdAt: r.created_at,
    removedAt: r.removed_at,
  };
}

/** Silences added through the CLI or API (the settings file can hold more; see notify/rules). */
export class SilenceRepository {
  private readonly insert: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly active: Database.Statement;
  private readonly all: Database.Statement;
  private readonly byId: Database.Statement;

  constructor(db: Database.Database) {
    this.insert = db.prepare(
      `INSERT INTO silences (id, matchers, starts_at, ends_at, comment, created_by, created_at)
       VALUES (@id, @matchers, @startsAt, @endsAt, @comment, @createdBy, @createdAt)`,
    );
    this.remove = db.prepare('UPDATE silences SET removed_at = ? WHERE id = ? AND removed_at IS NULL');
    this.active = db.prepare(
      'SELECT * FROM silences WHERE removed_at IS NULL AND starts_at <= ? AND ends_at > ? ORDER BY ends_at',
    );
    this.all = db.prepare('SELECT * FROM silences ORDER BY created_at DESC LIMIT ?');
    this.byId = db.prepare('SELECT * FROM silences WHERE id = ?');
  }

  add(silence: Omit<SilenceRow, 'removedAt'>): void {
    this.insert.run({ ...silence, matchers: JSON.stringify(silence.matchers) });
  }

  /** Ends a silence now; false when there is no such active silence. */
  removeById(id: string, at: number): boolean {
    return this.remove.run(at, id).changes > 0;
  }

  activeAt(now: number): SilenceRow[] {
    return (this.active.all(now, now) as SilenceRecord[]).map(toSilence);
  }

  list(limit = 1000): SilenceRow[] {
    return (this.all.all(limit) as SilenceRecord[]).map(toSilence);
  }

  get(id: string): SilenceRow | undefined {
    const r = this.byId.get(id) as SilenceRecord | undefined;
    return r && toSilence(r);
  }
}
