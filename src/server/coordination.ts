import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { RunOnce } from '../notify/index.js';
import { productVersion } from '../shared/index.js';
import { loadPostgresStore, type Heartbeat, type InstanceList, type PgStore } from '../store/index.js';

/** How often an instance says it is alive; silent for STALE_MS it counts as gone in `status`. */
export const HEARTBEAT_MS = 2000;
export const STALE_MS = 3 * HEARTBEAT_MS + 1000;
/** A singleton job's lease: renewed every third of it while the job runs, released after. */
const JOB_LEASE_MS = 60_000;

/**
 * This instance among the others on one PostgreSQL database (issue 16): its id (also its outbox
 * lease owner and job lease owner), the heartbeat that registers it, jobs that run once across
 * instances through job leases, and whether the database answered the last heartbeat (/readyz).
 */
export interface ServiceCoordination {
  readonly instanceId: string;
  readonly runOnce: RunOnce;
  /** Why the database counts as unreachable now (the last heartbeat failed), or undefined. */
  databaseProblem(): string | undefined;
  instances(): Promise<InstanceList>;
  stop(): Promise<void>;
}

export async function startCoordination(store: PgStore, home: string, logger: Logger, holds: () => Record<string, unknown>): Promise<ServiceCoordination> {
  const { InstanceRegistry, JobLeases, describePgError, runSingleton, startHeartbeat } = await loadPostgresStore();
  // "<instance>/<run>": the instance (this host and home) stays the same across restarts, so a
  // restarted instance takes back at once the e-mails its killed run had claimed (requeueInterrupted's own).
  const instanceId = `${hostname()}-${createHash('sha256').update(home).digest('hex').slice(0, 8)}/${randomUUID()}`;
  const registry = new InstanceRegistry(store.pool, { id: instanceId, host: hostname(), pid: process.pid, version: productVersion() });
  const leases = new JobLeases(store.pool);
  let problem: string | undefined;
  const heartbeat: Heartbeat = await startHeartbeat(
    registry,
    HEARTBEAT_MS,
    () => {
      // A beat that runs clears the problem once it succeeds (failures back to 0).
      if (heartbeat.failures === 0) problem = undefined;
      return holds();
    },
    (err) => {
      const first = problem === undefined;
      problem = describePgError(err, store.location);
      if (first) logger.error({ component: 'store' }, `the database does not answer; not ready until it does: ${problem}`);
    },
  );
  const runOnce: RunOnce = async (job, fn) => {
    const outcome = await runSingleton(leases, job, instanceId, JOB_LEASE_MS, () => fn());
    return outcome.ran ? outcome.value : undefined;
  };
  return {
    instanceId,
    runOnce,
    databaseProblem: () => (heartbeat.failures > 0 ? problem : undefined),
    instances: () => registry.list(STALE_MS),
    stop: () => heartbeat.stop(),
  };
}
