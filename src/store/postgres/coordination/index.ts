/** Coordination of instances on one PostgreSQL (issue 16 item 2): registry, singleton-job leases, shared mailbox pacing. */
export { InstanceRegistry, type InstanceHolds, type InstanceIdentity, type InstanceList, type InstanceRow } from './instances.js';
export { startHeartbeat, type Heartbeat } from './heartbeat.js';
export { JobLeases, SINGLETON_JOBS, StaleLeaseError, type HeldLease } from './job-leases.js';
export { runSingleton, type SingletonOutcome } from './singleton.js';
export { PgMailboxPacing, type MessageTurn, type PgMailboxPacingOptions } from './mailbox-pacing.js';
