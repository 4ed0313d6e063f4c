import type { Queryable } from '../queryable.js';

/** Who an instance is: its id ("<host>/<run>", as the outbox's lease owner), host, pid, version. */
export interface InstanceIdentity {
  id: string;
  host: string;
  pid: number;
  version: string;
}

/** What an instance says it holds (its claims in flight, leases, slots): free-form, shown by `status`. */
export type InstanceHolds = Record<string, unknown>;

export interface InstanceRow extends InstanceIdentity {
  startedAt: number;
  heartbeatAt: number;
  /** Since the last heartbeat, on the database's clock. */
  silentMs: number;
  holds: InstanceHolds;
  /** Job leases this instance holds now (from job_leases, not from its own report). */
  leases: string[];
  /** Mailbox concurrency slots this instance holds now (from mailbox_slots). */
  slots: number;
}

export interface InstanceList {
  /** Heard from within the staleness limit. */
  alive: InstanceRow[];
  /** Silent for longer: dead, or cut off from the database. Their leases run out by themselves. */
  gone: InstanceRow[];
}

interface Row {
  id: string;
  host: string;
  pid: number;
  version: string;
  started_at: Date;
  heartbeat_at: Date;
  silent_ms: number;
  holds: InstanceHolds;
  leases: string[];
  slots: number;
}

/**
 * The instances on one database (`instances`), for `status`: each registers, heartbeats with what
 * it holds and deregisters when it stops. An instance killed never deregisters: it shows as gone
 * once silent for `staleMs` (the caller's choice, a few heartbeat intervals). Heartbeat ages are
 * measured on the database's clock, so a wrong clock on one machine does not make it look dead.
 */
export class InstanceRegistry {
  constructor(
    private readonly q: Queryable,
    readonly self: InstanceIdentity,
  ) {
    // '#' separates the instance from the acquisition in mailbox_slots.holder.
    if (!self.id || self.id.includes('#')) throw new RangeError(`instance id "${self.id}": must be non-empty and without '#'`);
  }

  /** Adds this instance (or restarts its row: a new run under the same id starts afresh). */
  async register(): Promise<void> {
    await this.q.query(
      `INSERT INTO instances (id, host, pid, version, started_at, heartbeat_at, holds)
       VALUES ($1, $2, $3, $4, clock_timestamp(), clock_timestamp(), '{}')
       ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, version = EXCLUDED.version,
         started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at, holds = '{}'`,
      [this.self.id, this.self.host, this.self.pid, this.self.version],
    );
  }

  /**
   * Says this instance is alive and what it holds. Re-inserts its row if it was removed (an
   * operator's prune while this instance was cut off), so a live instance is never missing.
   */
  async heartbeat(holds: InstanceHolds = {}): Promise<void> {
    await this.q.query(
      `INSERT INTO instances (id, host, pid, version, started_at, heartbeat_at, holds)
       VALUES ($1, $2, $3, $4, clock_timestamp(), clock_timestamp(), $5)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at, holds = EXCLUDED.holds`,
      [this.self.id, this.self.host, this.self.pid, this.self.version, JSON.stringify(holds)],
    );
  }

  /** Removes this instance's row (a clean stop). */
  async deregister(): Promise<void> {
    await this.q.query('DELETE FROM instances WHERE id = $1', [this.self.id]);
  }

  /** Every registered instance, split into alive and gone by `staleMs` without a heartbeat. */
  async list(staleMs: number): Promise<InstanceList> {
    const { rows } = await this.q.query<Row>(
      `SELECT i.id, i.host, i.pid, i.version, i.started_at, i.heartbeat_at, i.holds,
              (extract(epoch FROM clock_timestamp() - i.heartbeat_at) * 1000)::float8 AS silent_ms,
              COALESCE((SELECT array_agg(l.name ORDER BY l.name COLLATE "C") FROM job_leases l
                        WHERE l.owner = i.id AND l.until >= clock_timestamp()), '{}') AS leases,
              (SELECT count(*) FROM mailbox_slots s
               WHERE split_part(s.holder, '#', 1) = i.id AND s.until >= clock_timestamp())::int AS slots
       FROM instances i ORDER BY i.id COLLATE "C"`,
    );
    const all = rows.map(
      (r): InstanceRow => ({
        id: r.id,
        host: r.host,
        pid: r.pid,
        version: r.version,
        startedAt: r.started_at.getTime(),
        heartbeatAt: r.heartbeat_at.getTime(),
        silentMs: r.silent_ms,
        holds: r.holds,
        leases: r.leases,
        slots: r.slots,
      }),
    );
    return { alive: all.filter((r) => r.silentMs <= staleMs), gone: all.filter((r) => r.silentMs > staleMs) };
  }

  /** Deletes rows silent for longer than `olderThanMs` (housekeeping); returns their ids. */
  async pruneGone(olderThanMs: number): Promise<string[]> {
    const { rows } = await this.q.query<{ id: string }>(
      `DELETE FROM instances WHERE heartbeat_at < clock_timestamp() - $1 * interval '1 millisecond' RETURNING id`,
      [olderThanMs],
    );
    return rows.map((r) => r.id).sort();
  }
}
