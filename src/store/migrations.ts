import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { HISTORY_MIGRATION, UNSENT_PER_GROUP_MIGRATION } from './history-migration.js';
import { RELAY_MIGRATION } from './relay-migration.js';

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records the last one applied.
 * Append new migrations at the end and never edit a released one: a store written by an older
 * version is brought forward step by step, each step in its own transaction.
 */
export interface Migration {
  version: number;
  description: string;
  up: (db: Database.Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'events, alert state, groups, silences, outbox, delivery attempts, health notices',
    up: (db) => {
      db.exec(`
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE events (
          id          INTEGER PRIMARY KEY AUTOINCREMENT,
          received_at INTEGER NOT NULL,
          type        TEXT NOT NULL,
          severity    TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
          status      TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
          agent       TEXT NOT NULL DEFAULT '',
          folder      TEXT NOT NULL DEFAULT '',
          summary     TEXT NOT NULL,
          details     TEXT NOT NULL DEFAULT '{}',
          occurred_at INTEGER NOT NULL,
          dedup_key   TEXT NOT NULL DEFAULT '',
          alert_key   TEXT NOT NULL,
          group_key   TEXT,
          outcome     TEXT
        );
        CREATE INDEX events_received_at ON events (received_at);
        CREATE INDEX events_alert ON events (alert_key, id);
        CREATE INDEX events_outcome ON events (outcome, id);
        CREATE INDEX events_pending_by_group ON events (group_key, id) WHERE outcome = 'pending';

        CREATE TABLE alerts (
          key                    TEXT PRIMARY KEY,
          type                   TEXT NOT NULL,
          agent                  TEXT NOT NULL,
          folder                 TEXT NOT NULL,
          dedup_key              TEXT NOT NULL,
          severity               TEXT NOT NULL,
          summary                TEXT NOT NULL,
          details                TEXT NOT NULL DEFAULT '{}',
          state                  TEXT NOT NULL CHECK (state IN ('firing', 'resolved')),
          first_firing_at        INTEGER,
          resolved_at            INTEGER,
          last_event_at          INTEGER NOT NULL,
          last_event_id          INTEGER NOT NULL,
          event_count            INTEGER NOT NULL DEFAULT 0,
          group_key              TEXT,
          last_notified_at       INTEGER,
          last_notified_state    TEXT CHECK (last_notified_state IN ('firing', 'resolved')),
          last_notified_severity TEXT
        ) WITHOUT ROWID;
        CREATE INDEX alerts_group ON alerts (group_key);
        CREATE INDEX alerts_agent_folder ON alerts (agent, folder);

        CREATE TABLE alert_groups (
          key                TEXT PRIMARY KEY,
          route              TEXT NOT NULL,
          labels             TEXT NOT NULL,
          recipients         TEXT NOT NULL,
          group_wait_ms      INTEGER NOT NULL,
          group_interval_ms  INTEGER NOT NULL,
          repeat_interval_ms INTEGER NOT NULL,
          next_flush_at      INTEGER,
          last_flush_at      INTEGER,
          created_at         INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX alert_groups_due ON alert_groups (next_flush_at) WHERE next_flush_at IS NOT NULL;

        CREATE TABLE silences (
          id         TEXT PRIMARY KEY,
          matchers   TEXT NOT NULL,
          starts_at  INTEGER NOT NULL,
          ends_at    INTEGER NOT NULL,
          comment    TEXT NOT NULL DEFAULT '',
          created_by TEXT NOT NULL DEFAULT '',
          created_at INTEGER NOT NULL,
          removed_at INTEGER
        ) WITHOUT ROWID;

        CREATE TABLE notifications (
          id              TEXT PRIMARY KEY,
          kind            TEXT NOT NULL CHECK (kind IN ('alert', 'report', 'health', 'test')),
          group_key       TEXT NOT NULL,
          recipients      TEXT NOT NULL,
          cc              TEXT NOT NULL DEFAULT '[]',
          bcc             TEXT NOT NULL DEFAULT '[]',
          subject         TEXT NOT NULL,
          html            TEXT NOT NULL,
          text            TEXT NOT NULL,
          importance      TEXT NOT NULL DEFAULT 'normal',
          status          TEXT NOT NULL
                          CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'waiting-sign-in')),
          attempts        INTEGER NOT NULL DEFAULT 0,
          next_attempt_at INTEGER,
          last_error      TEXT,
          diagnosis       TEXT,
          message_id      TEXT,
          created_at      INTEGER NOT NULL,
          sent_at         INTEGER,
          updated_at      INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'queued';
        CREATE INDEX notifications_status ON notifications (status, created_at);
        CREATE INDEX notifications_created ON notifications (created_at);

        CREATE TABLE notification_events (
          notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
          event_id        INTEGER NOT NULL,
          PRIMARY KEY (notification_id, event_id)
        ) WITHOUT ROWID;
        CREATE INDEX notification_events_event ON notification_events (event_id);

        CREATE TABLE delivery_attempts (
          id              INTEGER PRIMARY KEY,
          notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
          attempt         INTEGER NOT NULL,
          started_at      INTEGER NOT NULL,
          finished_at     INTEGER,
          result          TEXT NOT NULL,
          status_code     INTEGER,
          error_code      TEXT,
          error           TEXT,
          diagnosis       TEXT
        );
        CREATE INDEX delivery_attempts_notification ON delivery_attempts (notification_id, id);
        CREATE INDEX delivery_attempts_in_flight ON delivery_attempts (id) WHERE result = 'in-flight';

        CREATE TABLE health_notices (
          kind            TEXT NOT NULL,
          subject         TEXT NOT NULL,
          threshold       TEXT NOT NULL,
          message         TEXT NOT NULL,
          diagnosis       TEXT,
          first_seen_at   INTEGER NOT NULL,
          last_seen_at    INTEGER NOT NULL,
          notification_id TEXT,
          resolved_at     INTEGER,
          PRIMARY KEY (kind, subject, threshold)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 2,
    description: 'claims with a lease and an owner; HTTP requests per delivery attempt',
    up: (db) => {
      // A claim is the in-flight attempt that owns a `sending` row (claim_attempt_id), who holds it
      // (lease_owner: "<instance>/<run>") and until when (lease_expires_at). Only an expired lease,
      // or one left by an earlier run of the same instance, is re-queued; a late answer from a lost
      // claim cannot overwrite the new owner's result. Rows from version 1 have no lease: expired.
      db.exec(`
        ALTER TABLE notifications ADD COLUMN claim_attempt_id INTEGER;
        ALTER TABLE notifications ADD COLUMN lease_owner TEXT;
        ALTER TABLE notifications ADD COLUMN lease_expires_at INTEGER;
        CREATE INDEX notifications_leases ON notifications (lease_expires_at) WHERE status = 'sending';
        ALTER TABLE delivery_attempts ADD COLUMN http_requests INTEGER;
        ALTER TABLE delivery_attempts ADD COLUMN lease_owner TEXT;
      `);
    },
  },
  RELAY_MIGRATION,
  HISTORY_MIGRATION,
  UNSENT_PER_GROUP_MIGRATION,
  {
    version: 6,
    // PostgreSQL's version 6 adds the tables several instances coordinate through; one SQLite
    // store serves one process, so nothing here. Kept so both lists stay version for version.
    description: 'coordination of instances (PostgreSQL only; nothing on SQLite)',
    up: () => undefined,
  },
  {
    version: 7,
    // PostgreSQL's version 7 adds token_caches, the token cache several instances share (issue 16.3);
    // one SQLite store serves one machine, whose cache stays in its encrypted file. Version for version.
    description: 'shared token caches (PostgreSQL only; nothing on SQLite)',
    up: () => undefined,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The store was written by a newer o365-notify: refuse rather than misread it. */
export class StoreVersionError extends Error {
  constructor(file: string, found: number, supported: number) {
    super(
      `The store ${file} has schema version ${found}, but this o365-notify understands versions up to ${supported}. ` +
        'It was written by a newer o365-notify: run that version or newer. To go back to this version with the data as it ' +
        `was before the upgrade, stop the service and put the copy the upgrade took (${path.join(path.dirname(file), 'backups')}, ` +
        `o365-notify.schema-v${supported}.*.db) in its place.`,
    );
    this.name = 'StoreVersionError';
  }
}

/**
 * Before an upgrade changes an existing store: a copy of it as it was, `<dir>/backups/<name>.schema-v<N>.<time>.db`
 * (VACUUM INTO: a consistent snapshot), so a failed or regretted upgrade can go back. Returns its path.
 */
export function backupBeforeUpgrade(db: Database.Database, file: string, current: number): string {
  const dir = path.join(path.dirname(path.resolve(file)), 'backups');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const target = path.join(dir, `${path.basename(file, '.db')}.schema-v${current}.${new Date().toISOString().replace(/[:.]/g, '-')}.db`);
  db.prepare('VACUUM INTO ?').run(target);
  if (process.platform !== 'win32') fs.chmodSync(target, 0o600);
  return target;
}

/** Applies the migrations the database has not seen yet; returns the versions applied. */
export function migrate(db: Database.Database, file: string, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  if (current > latest) throw new StoreVersionError(file, current, latest);
  if (current > 0 && current < latest && file !== ':memory:') backupBeforeUpgrade(db, file, current);
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    // BEGIN IMMEDIATE: a second process opening the same store waits instead of migrating twice.
    db.transaction(() => {
      const now = db.pragma('user_version', { simple: true }) as number;
      if (now >= migration.version) return;
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
      applied.push(migration.version);
    }).immediate();
  }
  return applied;
}
