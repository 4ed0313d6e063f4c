import type Database from 'better-sqlite3';
import type { Migration } from './migrations.js';

/** The problems the status shows as "last problem": attempts that did not deliver. */
export const PROBLEM_RESULTS_SQL = "('retry', 'failed', 'waiting-sign-in', 'interrupted')";

/** E-mails not sent and not claimed: an update may still change them. */
export const UNSENT_STATUSES_SQL = "('queued', 'waiting-sign-in')";

/**
 * Issue 14: reads whose cost stays flat as history grows.
 *
 * - `notifications_claim`: the claim's exact order (next_attempt_at, created_at) over queued rows
 *   only, covering the claim query (the primary key id is part of every index of a WITHOUT ROWID
 *   table). It replaces `notifications_due`, which lacked created_at, so the planner sorted every
 *   queued row through the status index instead.
 * - `notifications_sent`: "last sent e-mail" and the retention of sent e-mails by sent_at.
 * - `notifications_kind`: the settings page's last test e-mail.
 * - `delivery_attempts_problems`: "last problem" without reading every attempt.
 * - `notification_counts`: the count of e-mails per status, kept by triggers on every write, so
 *   status and metrics never count the table.
 */
/**
 * Issue 14, outages: at most one unsent alert e-mail per group. While Graph is unreachable a group's
 * next flush updates its unsent e-mail instead of adding another; `content_key` is what the e-mail
 * says (re-rendered only when that changes) and `alert_reasons` why each alert is in it, so what
 * the first version announced ("new", "resolved") is still said by the updated one.
 */
export const UNSENT_PER_GROUP_MIGRATION: Migration = {
  version: 5,
  description: 'one unsent alert e-mail per group: content key, alert reasons, index of unsent e-mails by group',
  up: (db: Database.Database) => {
    db.exec(`
      ALTER TABLE notifications ADD COLUMN content_key TEXT;
      ALTER TABLE notifications ADD COLUMN alert_reasons TEXT;
      CREATE INDEX notifications_unsent_by_group ON notifications (group_key, created_at) WHERE status IN ${UNSENT_STATUSES_SQL};
    `);
  },
};

export const HISTORY_MIGRATION: Migration = {
  version: 4,
  description: 'indexes for claims, last sent e-mail, last problem and retention; e-mail counts kept on write',
  up: (db: Database.Database) => {
    db.exec(`
      DROP INDEX IF EXISTS notifications_due;
      CREATE INDEX notifications_claim ON notifications (next_attempt_at, created_at) WHERE status = 'queued';
      CREATE INDEX notifications_sent ON notifications (sent_at) WHERE status = 'sent';
      CREATE INDEX notifications_kind ON notifications (kind, created_at);
      CREATE INDEX delivery_attempts_problems ON delivery_attempts (id) WHERE result IN ${PROBLEM_RESULTS_SQL};

      CREATE TABLE notification_counts (
        status TEXT PRIMARY KEY,
        n      INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO notification_counts (status, n)
        SELECT s.status, (SELECT count(*) FROM notifications WHERE status = s.status)
        FROM (SELECT 'queued' AS status UNION ALL SELECT 'sending' UNION ALL SELECT 'sent'
              UNION ALL SELECT 'failed' UNION ALL SELECT 'waiting-sign-in') AS s;

      CREATE TRIGGER notification_counts_insert AFTER INSERT ON notifications BEGIN
        UPDATE notification_counts SET n = n + 1 WHERE status = NEW.status;
      END;
      CREATE TRIGGER notification_counts_delete AFTER DELETE ON notifications BEGIN
        UPDATE notification_counts SET n = n - 1 WHERE status = OLD.status;
      END;
      CREATE TRIGGER notification_counts_update AFTER UPDATE OF status ON notifications
        WHEN OLD.status IS NOT NEW.status BEGIN
        UPDATE notification_counts SET n = n - 1 WHERE status = OLD.status;
        UPDATE notification_counts SET n = n + 1 WHERE status = NEW.status;
      END;
    `);
  },
};
