import { toMessage, toUser, type NewRelayMessage, type RelayMessageRow, type RelayUserRow, type MessageRecord, type UserRecord } from '../relay.js';
import type { NotificationStatus } from '../rows.js';
import { AsyncGroupCommitter } from './group-commit.js';
import { PgOutbox } from './outbox.js';
import { inOpenTransaction, transact, type Queryable } from './queryable.js';

const SELECT_MESSAGE = 'SELECT m.*, n.subject, n.status, n.sent_at, n.last_error FROM relay_messages m JOIN notifications n ON n.id = m.notification_id';

/**
 * The SMTP relay's rows on PostgreSQL: the SQLite RelayRepository (src/store/relay.ts) method for
 * method. `accept` is a group commit too: messages arriving together share one transaction, and
 * each promise resolves after that COMMIT (the listener answers 250 only then). Inside a unit of
 * work it simply joins the unit.
 */
export class PgRelay {
  private readonly committer: AsyncGroupCommitter<NewRelayMessage, void>;

  constructor(private readonly q: Queryable) {
    this.committer = new AsyncGroupCommitter<NewRelayMessage, void>(async (messages) => {
      await transact(this.q, (client) => this.insert(client, messages));
      return messages.map(() => undefined);
    });
  }

  /** Commits the messages still gathering (at close: each waiting session gets its answer). */
  async flush(): Promise<void> {
    await this.committer.flush();
  }

  async accept(m: NewRelayMessage): Promise<void> {
    if (inOpenTransaction(this.q)) await this.insert(this.q, [m]);
    else await this.committer.submit([m]);
  }

  private async insert(q: Queryable, messages: readonly NewRelayMessage[]): Promise<void> {
    const outbox = new PgOutbox(q);
    for (const m of messages) {
      await outbox.add({
        id: m.id, kind: 'relay', groupKey: `relay|${m.id}`, to: m.recipients, cc: [], bcc: [], subject: m.subject,
        html: '', text: '', importance: 'normal', createdAt: m.receivedAt,
      });
    }
    await q.query(
      `INSERT INTO relay_messages (notification_id, received_at, client_address, smtp_user, envelope_from, recipients,
         size, header_from, message_id, raw, spool_file)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
         $8::text[], $9::text[], $10::bytea[], $11::text[])`,
      [
        messages.map((m) => m.id),
        messages.map((m) => m.receivedAt),
        messages.map((m) => m.clientAddress),
        messages.map((m) => m.smtpUser),
        messages.map((m) => m.envelopeFrom),
        messages.map((m) => JSON.stringify(m.recipients)),
        messages.map((m) => m.size),
        messages.map((m) => m.headerFrom),
        messages.map((m) => m.messageId),
        messages.map((m) => m.raw),
        messages.map((m) => m.spoolFile),
      ],
    );
  }

  async get(id: string, withRaw = true): Promise<RelayMessageRow | undefined> {
    const { rows } = await this.q.query<MessageRecord>(`${SELECT_MESSAGE} WHERE m.notification_id = $1`, [id]);
    return rows[0] && toMessage(rows[0], withRaw);
  }

  /** Newest first, without the bytes (nor are they read). */
  async recentMessages(limit: number): Promise<RelayMessageRow[]> {
    const { rows } = await this.q.query<MessageRecord>(
      `SELECT m.notification_id, m.received_at, m.client_address, m.smtp_user, m.envelope_from, m.recipients, m.size,
         m.header_from, m.message_id, NULL::bytea AS raw, m.spool_file, n.subject, n.status, n.sent_at, n.last_error
       FROM relay_messages m JOIN notifications n ON n.id = m.notification_id
       ORDER BY m.received_at DESC, m.notification_id COLLATE "C" DESC LIMIT $1`,
      [Math.max(1, Math.min(500, Math.floor(limit)))],
    );
    return rows.map((r) => toMessage(r, false));
  }

  async counts(): Promise<Partial<Record<NotificationStatus, number>>> {
    const { rows } = await this.q.query<{ status: NotificationStatus; n: number }>(
      'SELECT n.status AS status, count(*)::bigint AS n FROM relay_messages m JOIN notifications n ON n.id = m.notification_id GROUP BY n.status',
    );
    const out: Partial<Record<NotificationStatus, number>> = {};
    for (const r of rows) out[r.status] = r.n;
    return out;
  }

  /** Spool files the store still points to (any other file in the spool is an orphan). */
  async referencedSpoolFiles(): Promise<Set<string>> {
    const { rows } = await this.q.query<{ spool_file: string }>('SELECT spool_file FROM relay_messages WHERE spool_file IS NOT NULL');
    return new Set(rows.map((r) => r.spool_file));
  }

  async forgetSpoolFile(id: string): Promise<void> {
    await this.q.query('UPDATE relay_messages SET spool_file = NULL WHERE notification_id = $1', [id]);
  }

  async saveUser(user: Omit<RelayUserRow, 'lastUsedAt'>): Promise<void> {
    await this.q.query(
      `INSERT INTO relay_users (name, password_hash, allowed_from, allowed_recipients, created_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, allowed_from = excluded.allowed_from,
         allowed_recipients = excluded.allowed_recipients`,
      [user.name, user.passwordHash, JSON.stringify(user.allowedFrom), JSON.stringify(user.allowedRecipients), user.createdAt],
    );
  }

  async user(name: string): Promise<RelayUserRow | undefined> {
    const { rows } = await this.q.query<UserRecord>('SELECT * FROM relay_users WHERE name = $1', [name]);
    return rows[0] && toUser(rows[0]);
  }

  async users(): Promise<RelayUserRow[]> {
    const { rows } = await this.q.query<UserRecord>('SELECT * FROM relay_users ORDER BY name COLLATE "C"');
    return rows.map(toUser);
  }

  async removeUser(name: string): Promise<boolean> {
    const result = await this.q.query('DELETE FROM relay_users WHERE name = $1', [name]);
    return (result.rowCount ?? 0) > 0;
  }

  async userUsed(name: string, at: number): Promise<void> {
    await this.q.query('UPDATE relay_users SET last_used_at = $1 WHERE name = $2', [at, name]);
  }
}
