export * from './rows.js';
export { AlertRepository, GroupRepository } from './alerts.js';
export { EventRepository, type EventCounts } from './events.js';
export { HealthNoticeRepository, MetaRepository, type HealthNoticeInput } from './health.js';
export { LATEST_SCHEMA_VERSION, MIGRATIONS, StoreVersionError, migrate, type Migration } from './migrations.js';
export {
  OutboxRepository,
  leaseInstance,
  type AttemptOutcome,
  type FinishResult,
  type Lease,
  type ClaimedNotification,
  type DeliveryPageQuery,
  type LastSent,
  type AlertEmailContent,
  type EmailUpdate,
  type UnsentGroupEmail,
  type NotificationSummary,
  type OutboxCounts,
  type SentRecipients,
  type NextQueued,
} from './outbox.js';
export { RelayRepository, type NewRelayMessage, type RelayStore, type RelayMessageRow, type RelayUserRow } from './relay.js';
export { SilenceRepository } from './silences.js';
export { withJsonText } from './json.js';
export {
  STORE_FILE_NAME,
  Store,
  openStore,
  storePath,
  type Durability,
  type IntegrityReport,
  type QueueDepth,
  type StoreOptions,
} from './store.js';
export {
  DEFAULT_MAX_UNDELIVERED_EVENTS,
  EventIntake,
  GroupCommitter,
  StoreSaturatedError,
  type EventIntakeOptions,
  type GroupCommitOptions,
} from './group-commit.js';
// PostgreSQL (issue 16): loaded only when asked for, so commands on SQLite never load the `pg` driver.
export type { Heartbeat, InstanceList, JobLeases, PgRepositories, PgLocation, PgMigrationResult, PgOutbox, PgStore } from './postgres/index.js';
export const loadPostgresStore = () => import('./postgres/index.js');
// The ports notify and delivery own, on SQLite (issue 12).
export { SqliteNotifyStore, sqliteNotifyStore, type SqlitePortOptions } from './sqlite-port.js';
