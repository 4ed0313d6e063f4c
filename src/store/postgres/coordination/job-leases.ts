import type { Queryable } from '../queryable.js';

/** The jobs that must run once across all instances (issue 16 item 2), by lease name. */
export const SINGLETON_JOBS = ['group-flush', 'daily-report', 'keep-alive', 'credential-expiry', 'retention', 'health-checks'] as const;

/** A lease held: its fencing token (grows whenever the owner changes) and its deadline. */
export interface HeldLease {
  name: string;
  owner: string;
  fencing: number;
  /** The deadline on the database's clock, epoch ms. */
  until: number;
}

/** A write guarded by a lease that is no longer this holder's: refused, not applied. */
export class StaleLeaseError extends Error {
  constructor(name: string, owner: string, fencing: number) {
    super(
      `The job "${name}" was not run by ${owner}: its lease (fencing token ${fencing}) ran out and another instance holds it now. ` +
        'Nothing to fix: the instance holding the lease runs the job; this one stopped renewing in time (paused, overloaded or cut off from the database).',
    );
    this.name = 'StaleLeaseError';
  }
}

const ms = (t: Date): number => t.getTime();

/**
 * Named leases in `job_leases` for jobs that must run once across instances. Every deadline is
 * computed by the database (`clock_timestamp()`), so instances whose clocks disagree still agree
 * on who holds a lease. A lease row is never deleted: release sets its deadline to -infinity, so
 * the fencing token keeps counting up across holders.
 */
export class JobLeases {
  constructor(private readonly q: Queryable) {}

  /**
   * Takes the lease `name` for `owner` for `ttlMs`, or extends it if `owner` holds it already;
   * null while another owner's lease runs. One statement: two instances racing get one winner.
   */
  async acquire(name: string, owner: string, ttlMs: number): Promise<HeldLease | null> {
    checkTtl(ttlMs);
    const { rows } = await this.q.query<{ fencing: number; until: Date }>(
      `INSERT INTO job_leases (name, owner, until, fencing)
       VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond', 1)
       ON CONFLICT (name) DO UPDATE SET
         owner = EXCLUDED.owner,
         until = clock_timestamp() + $3 * interval '1 millisecond',
         fencing = job_leases.fencing + CASE WHEN job_leases.owner = EXCLUDED.owner THEN 0 ELSE 1 END
       WHERE job_leases.until < clock_timestamp() OR job_leases.owner = EXCLUDED.owner
       RETURNING fencing, until`,
      [name, owner, ttlMs],
    );
    const row = rows[0];
    return row ? { name, owner, fencing: row.fencing, until: ms(row.until) } : null;
  }

  /**
   * Extends a lease still held (same owner and fencing token, deadline not passed); false when it
   * was lost, and the holder must stop the job (acquire again to take it back if nobody has).
   */
  async renew(lease: HeldLease, ttlMs: number): Promise<HeldLease | null> {
    checkTtl(ttlMs);
    const { rows } = await this.q.query<{ until: Date }>(
      `UPDATE job_leases SET until = clock_timestamp() + $4 * interval '1 millisecond'
       WHERE name = $1 AND owner = $2 AND fencing = $3 AND until >= clock_timestamp()
       RETURNING until`,
      [lease.name, lease.owner, lease.fencing, ttlMs],
    );
    return rows[0] ? { ...lease, until: ms(rows[0].until) } : null;
  }

  /** Gives the lease up so another instance can take it at once; false if it was no longer held. */
  async release(lease: HeldLease): Promise<boolean> {
    const { rowCount } = await this.q.query(
      `UPDATE job_leases SET until = '-infinity' WHERE name = $1 AND owner = $2 AND fencing = $3 AND until >= clock_timestamp()`,
      [lease.name, lease.owner, lease.fencing],
    );
    return (rowCount ?? 0) > 0;
  }

  /**
   * The fence for a job's write: call it inside the transaction that writes (on that
   * transaction's client). It locks the lease row FOR SHARE, so no other instance can take the
   * lease until the write commits, and throws StaleLeaseError when the lease is no longer this
   * holder's: a holder that paused past its deadline cannot write over the new holder's work.
   */
  async assertHeld(tx: Queryable, lease: HeldLease): Promise<void> {
    const { rows } = await tx.query(
      `SELECT 1 FROM job_leases
       WHERE name = $1 AND owner = $2 AND fencing = $3 AND until >= clock_timestamp()
       FOR SHARE`,
      [lease.name, lease.owner, lease.fencing],
    );
    if (rows.length === 0) throw new StaleLeaseError(lease.name, lease.owner, lease.fencing);
  }

  /** Every lease currently held (deadline not passed), for `status`. */
  async held(): Promise<HeldLease[]> {
    const { rows } = await this.q.query<{ name: string; owner: string; fencing: number; until: Date }>(
      `SELECT name, owner, fencing, until FROM job_leases WHERE until >= clock_timestamp() ORDER BY name COLLATE "C"`,
    );
    return rows.map((r) => ({ name: r.name, owner: r.owner, fencing: r.fencing, until: ms(r.until) }));
  }
}

function checkTtl(ttlMs: number): void {
  if (!(Number.isFinite(ttlMs) && ttlMs >= 1)) throw new RangeError(`lease time ${ttlMs} ms: must be at least 1 ms`);
}
