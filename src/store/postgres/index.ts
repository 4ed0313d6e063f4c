/** The store on PostgreSQL (issue 16): schema, migrations under an advisory lock, the repositories, units of work, copying from SQLite. */
export { PG_LATEST_SCHEMA_VERSION, PG_MIGRATIONS, PG_ONLY_TABLES, SQLITE_ONLY_TABLES, STORE_TABLES, type PgMigration } from './schema.js';
export { migratePg, pgSchemaVersion, PgStoreVersionError, type PgMigrationResult } from './migrate.js';
export { createPgPool, describePgError, inTransaction, probePg, type PgLocation, type PgPoolOptions } from './pool.js';
export { inOpenTransaction, isConnectionError, transact, type Queryable } from './queryable.js';
export { LocalTally, PgEvents, type UndeliveredTally } from './events.js';
export { PgAlerts, PgGroups } from './alerts.js';
export { PgSilences } from './silences.js';
export { PgHealthNotices, PgMeta } from './health.js';
export { PgOutbox } from './outbox.js';
export { PgOutboxHistory } from './outbox-history.js';
export { PgRelay } from './relay.js';
export { AsyncGroupCommitter } from './group-commit.js';
export { openPgStore, PgRepositories, PgStore, PgUnit, type PgStoreOptions } from './store.js';
export { copySqliteToPg, CopyCountMismatchError, TargetNotEmptyError, type CopiedTable, type CopyReport } from './copy.js';
export * from './coordination/index.js';
export { PgTokenCacheError, TOKEN_CACHE_RETRY_SECONDS, PgTokenCaches, type PgSealedLease, type PgTokenCacheOptions } from './token-cache.js';
