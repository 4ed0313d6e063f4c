import type { HeldLease, JobLeases } from './job-leases.js';

export type SingletonOutcome<T> = { ran: true; value: T; fencing: number } | { ran: false; holder: 'another instance' };

/**
 * Runs `job` on this instance only if it wins the lease `name` (the scheduler's tick on every
 * instance calls this; one of them runs the job). The lease is renewed every third of `ttlMs`
 * while the job runs and released after it. `job` gets the lease to fence its writes with
 * (JobLeases.assertHeld) and a signal that aborts when a renewal finds the lease lost, so a job
 * that overran its lease stops instead of racing the new holder.
 */
export async function runSingleton<T>(
  leases: JobLeases,
  name: string,
  owner: string,
  ttlMs: number,
  job: (lease: HeldLease, signal: AbortSignal) => Promise<T>,
): Promise<SingletonOutcome<T>> {
  let lease = await leases.acquire(name, owner, ttlMs);
  if (!lease) return { ran: false, holder: 'another instance' };
  const lost = new AbortController();
  const timer = setInterval(() => {
    leases
      .renew(lease!, ttlMs)
      .then((renewed) => {
        if (renewed) lease = renewed;
        else lost.abort(new Error(`the lease of "${name}" was lost (not renewed in time); another instance may run it now`));
      })
      // The database unreachable: keep trying until the lease's own deadline decides.
      .catch(() => undefined);
  }, Math.max(1, Math.floor(ttlMs / 3)));
  timer.unref();
  try {
    const value = await job(lease, lost.signal);
    return { ran: true, value, fencing: lease.fencing };
  } finally {
    clearInterval(timer);
    await leases.release(lease).catch(() => false);
  }
}
