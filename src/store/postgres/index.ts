/** The store on PostgreSQL (issue 16): schema, migrations under an advisory lock, the leased outbox, copying from SQLite. */
export { PG_LATEST_SCHEMA_VERSION, PG_MIGRATIONS, SQLITE_ONLY_TABLES, STORE_TABLES, type PgMigration } from './schema.js';
export { migratePg, pgSchemaVersion, PgStoreVersionError, type PgMigrationResult } from './migrate.js';
export { createPgPool, describePgError, inTransaction, type PgLocation, type PgPoolOptions } from './pool.js';
export { PgOutbox } from './outbox.js';
export { openPgStore, PgStore } from './store.js';
export { copySqliteToPg, CopyCountMismatchError, TargetNotEmptyError, type CopiedTable, type CopyReport } from './copy.js';
