import type { AsyncMethods } from './postgres/conformance.js';
import type Database from 'better-sqlite3';
import { parseJsonColumn } from './json.js';
import type { OutboxRepository } from './outbox.js';
import type { NotificationStatus } from './rows.js';

/** A message the SMTP relay accepted: its envelope, who sent it, and where its bytes are. */
export interface NewRelayMessage {
  id: string;
  receivedAt: number;
  clientAddress: string;
  smtpUser: string | null;
  envelopeFrom: string;
  /** Every RCPT TO, in order: the message goes to exactly these. */
  recipients: string[];
  size: number;
  headerFrom: string | null;
  messageId: string | null;
  subject: string;
  /** The bytes when small; otherwise `spoolFile` names the file that holds them. */
  raw: Buffer | null;
  spoolFile: string | null;
}

export interface RelayMessageRow extends Omit<NewRelayMessage, 'subject'> {
  subject: string;
  status: NotificationStatus;
  sentAt: number | null;
  lastError: string | null;
}

export interface RelayUserRow {
  name: string;
  passwordHash: string;
  allowedFrom: string[];
  allowedRecipients: string[];
  createdAt: number;
  lastUsedAt: number | null;
}

export interface MessageRecord {
  notification_id: string;
  received_at: number;
  client_address: string;
  smtp_user: string | null;
  envelope_from: string;
  recipients: string;
  size: number;
  header_from: string | null;
  message_id: string | null;
  raw: Buffer | null;
  spool_file: string | null;
  subject: string;
  status: NotificationStatus;
  sent_at: number | null;
  last_error: string | null;
}

export interface UserRecord {
  name: string;
  password_hash: string;
  allowed_from: string;
  allowed_recipients: string;
  created_at: number;
  last_used_at: number | null;
}

export function toMessage(r: MessageRecord, withRaw: boolean): RelayMessageRow {
  return {
    id: r.notification_id,
    receivedAt: r.received_at,
    clientAddress: r.client_address,
    smtpUser: r.smtp_user,
    envelopeFrom: r.envelope_from,
    recipients: parseJsonColumn<string[]>(r.recipients, []),
    size: r.size,
    headerFrom: r.header_from,
    messageId: r.message_id,
    raw: withRaw ? r.raw : null,
    spoolFile: r.spool_file,
    subject: r.subject,
    status: r.status,
    sentAt: r.sent_at,
    lastError: r.last_error,
  };
}

export function toUser(r: UserRecord): RelayUserRow {
  return {
    name: r.name,
    passwordHash: r.password_hash,
    allowedFrom: parseJsonColumn<string[]>(r.allowed_from, []),
    allowedRecipients: parseJsonColumn<string[]>(r.allowed_recipients, []),
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
  };
}

const SELECT_MESSAGE = `SELECT m.*, n.subject, n.status, n.sent_at, n.last_error FROM relay_messages m JOIN notifications n ON n.id = m.notification_id`;

/**
 * The relay's rows. Async like the store port the rest of the code moves to; on SQLite each call
 * runs synchronously underneath, so `accept` commits before its promise resolves - the listener
 * answers 250 only after that.
 */
export class RelayRepository {
  private readonly insertMessage: Database.Statement;
  private readonly messageById: Database.Statement;
  private readonly recent: Database.Statement;
  private readonly spoolFiles: Database.Statement;
  private readonly clearSpool: Database.Statement;
  private readonly countByStatus: Database.Statement;
  private readonly insertUser: Database.Statement;
  private readonly userByName: Database.Statement;
  private readonly allUsers: Database.Statement;
  private readonly deleteUser: Database.Statement;
  private readonly touchUser: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly outbox: OutboxRepository,
  ) {
    this.insertMessage = db.prepare(`
      INSERT INTO relay_messages (notification_id, received_at, client_address, smtp_user, envelope_from, recipients,
        size, header_from, message_id, raw, spool_file)
      VALUES (@id, @receivedAt, @clientAddress, @smtpUser, @envelopeFrom, @recipients, @size, @headerFrom, @messageId,
        @raw, @spoolFile)`);
    this.messageById = db.prepare(`${SELECT_MESSAGE} WHERE m.notification_id = ?`);
    this.recent = db.prepare(`${SELECT_MESSAGE} ORDER BY m.received_at DESC, m.notification_id DESC LIMIT ?`);
    this.spoolFiles = db.prepare('SELECT spool_file FROM relay_messages WHERE spool_file IS NOT NULL');
    this.clearSpool = db.prepare('UPDATE relay_messages SET spool_file = NULL WHERE notification_id = ?');
    this.countByStatus = db.prepare(
      "SELECT n.status AS status, count(*) AS n FROM relay_messages m JOIN notifications n ON n.id = m.notification_id GROUP BY n.status",
    );
    this.insertUser = db.prepare(`
      INSERT INTO relay_users (name, password_hash, allowed_from, allowed_recipients, created_at)
      VALUES (@name, @passwordHash, @allowedFrom, @allowedRecipients, @createdAt)
      ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, allowed_from = excluded.allowed_from,
        allowed_recipients = excluded.allowed_recipients`);
    this.userByName = db.prepare('SELECT * FROM relay_users WHERE name = ?');
    this.allUsers = db.prepare('SELECT * FROM relay_users ORDER BY name');
    this.deleteUser = db.prepare('DELETE FROM relay_users WHERE name = ?');
    this.touchUser = db.prepare('UPDATE relay_users SET last_used_at = ? WHERE name = ?');
    this.insertBatch = db.transaction((messages: NewRelayMessage[]) => {
      for (const message of messages) this.insertOne(message);
    });
  }

  private batch: { messages: NewRelayMessage[]; done: Promise<void> } | undefined;
  /** Made once: better-sqlite3 builds a transaction's wrappers each time db.transaction() is called. */
  private readonly insertBatch: Database.Transaction<(messages: NewRelayMessage[]) => void>;

  /**
   * Stores the outbox row (kind `relay`, due at once) and the message; resolves once committed.
   * Messages arriving within two turns of the event loop share one transaction (group commit:
   * one WAL write for many sessions), so each still gets its 250 only after its own commit.
   * Two turns, not one: the sessions whose final dot is read in the next I/O phase join too -
   * measured with 10 clients, ~8 % less CPU per message (a commit's fixed pages, index leaves
   * and counts, shared by more messages) for one more turn of latency.
   */
  accept(m: NewRelayMessage): Promise<void> {
    if (!this.batch) {
      const messages: NewRelayMessage[] = [];
      const done = new Promise<void>((resolve, reject) => {
        const commit = () => {
          this.batch = undefined;
          try {
            this.insertBatch.immediate(messages);
            resolve();
          } catch (err) {
            reject(err);
          }
        };
        setImmediate(() => setImmediate(commit));
      });
      this.batch = { messages, done };
    }
    this.batch.messages.push(m);
    return this.batch.done;
  }

  private insertOne(m: NewRelayMessage): void {
    this.outbox.add({
      id: m.id,
      kind: 'relay',
      groupKey: `relay|${m.id}`,
      to: m.recipients,
      cc: [],
      bcc: [],
      subject: m.subject,
      html: '',
      text: '',
      importance: 'normal',
      createdAt: m.receivedAt,
    });
    this.insertMessage.run({ ...m, recipients: JSON.stringify(m.recipients) });
  }

  async get(id: string, withRaw = true): Promise<RelayMessageRow | undefined> {
    const r = this.messageById.get(id) as MessageRecord | undefined;
    return r && toMessage(r, withRaw);
  }

  /** Newest first, without the bytes. */
  async recentMessages(limit: number): Promise<RelayMessageRow[]> {
    return (this.recent.all(Math.max(1, Math.min(500, Math.floor(limit)))) as MessageRecord[]).map((r) => toMessage(r, false));
  }

  async counts(): Promise<Partial<Record<NotificationStatus, number>>> {
    const out: Partial<Record<NotificationStatus, number>> = {};
    for (const r of this.countByStatus.all() as { status: NotificationStatus; n: number }[]) out[r.status] = r.n;
    return out;
  }

  /** Spool files the store still points to (any other file in the spool is an orphan). */
  async referencedSpoolFiles(): Promise<Set<string>> {
    return new Set((this.spoolFiles.all() as { spool_file: string }[]).map((r) => r.spool_file));
  }

  async forgetSpoolFile(id: string): Promise<void> {
    this.clearSpool.run(id);
  }

  async saveUser(user: Omit<RelayUserRow, 'lastUsedAt'>): Promise<void> {
    this.insertUser.run({
      ...user,
      allowedFrom: JSON.stringify(user.allowedFrom),
      allowedRecipients: JSON.stringify(user.allowedRecipients),
    });
  }

  async user(name: string): Promise<RelayUserRow | undefined> {
    const r = this.userByName.get(name) as UserRecord | undefined;
    return r && toUser(r);
  }

  async users(): Promise<RelayUserRow[]> {
    return (this.allUsers.all() as UserRecord[]).map(toUser);
  }

  async removeUser(name: string): Promise<boolean> {
    return this.deleteUser.run(name).changes > 0;
  }

  async userUsed(name: string, at: number): Promise<void> {
    this.touchUser.run(at, name);
  }
}

/**
 * The relay's repository as src/relay uses it (issue 16): SQLite's, or PostgreSQL's PgRelay with
 * the same methods returning promises (postgres/conformance.ts). src/relay awaits every call.
 */
export type RelayStore = RelayRepository | AsyncMethods<RelayRepository>;
