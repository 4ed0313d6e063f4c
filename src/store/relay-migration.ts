import type Database from 'better-sqlite3';
import type { Migration } from './migrations.js';

/**
 * The SMTP relay's schema (issue 11): outbox rows of kind `relay`, the relayed message (its
 * envelope and raw bytes, inline for small messages or a spool file for large ones) and the
 * relay's users (scrypt hashes).
 *
 * Widening the `kind` CHECK of `notifications` without rebuilding the table: SQLite documents
 * editing the stored CREATE TABLE text for changes that do not touch the on-disk format, such as
 * removing or relaxing a CHECK constraint ("Making Other Kinds Of Table Schema Changes",
 * https://www.sqlite.org/lang_altertable.html#otheralter). A rebuild would instead have to drop
 * the table, and with foreign keys on that cascades into delivery_attempts.
 */
function widenKindCheck(db: Database.Database): void {
  const row = db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'notifications'").get() as { sql: string };
  const widened = row.sql.replace(/kind\s+IN\s*\(([^)]*)\)/i, (all, list: string) => (list.includes("'relay'") ? all : `kind IN (${list}, 'relay')`));
  if (widened === row.sql) return;
  const version = db.pragma('schema_version', { simple: true }) as number;
  db.unsafeMode(true);
  try {
    db.pragma('writable_schema = ON');
    db.prepare("UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = 'notifications'").run(widened);
    // A new schema_version makes every connection re-read the schema.
    db.pragma(`schema_version = ${version + 1}`);
    db.pragma('writable_schema = OFF');
  } finally {
    db.unsafeMode(false);
  }
}

export const RELAY_MIGRATION: Migration = {
  version: 3,
  description: 'SMTP relay: relayed messages (envelope, raw MIME) and relay users',
  up: (db) => {
    widenKindCheck(db);
    db.exec(`
      CREATE TABLE relay_messages (
        notification_id TEXT PRIMARY KEY REFERENCES notifications (id) ON DELETE CASCADE,
        received_at     INTEGER NOT NULL,
        client_address  TEXT NOT NULL,
        smtp_user       TEXT,
        envelope_from   TEXT NOT NULL,
        recipients      TEXT NOT NULL,
        size            INTEGER NOT NULL,
        header_from     TEXT,
        message_id      TEXT,
        raw             BLOB,
        spool_file      TEXT,
        -- Small messages inline, large ones in a spool file; the file is removed once sent.
        CHECK (raw IS NULL OR spool_file IS NULL)
      ) WITHOUT ROWID;
      CREATE INDEX relay_messages_received ON relay_messages (received_at);

      CREATE TABLE relay_users (
        name               TEXT PRIMARY KEY,
        password_hash      TEXT NOT NULL,
        allowed_from       TEXT NOT NULL DEFAULT '[]',
        allowed_recipients TEXT NOT NULL DEFAULT '[]',
        created_at         INTEGER NOT NULL,
        last_used_at       INTEGER
      ) WITHOUT ROWID;
    `);
  },
};
