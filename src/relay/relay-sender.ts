import { readFile, rm } from 'node:fs/promises';
import type { AddressObject } from 'mailparser';
import type { FromPolicy } from '../config/index.js';
import { NOTIFY_ID_HEADER, NOTIFY_KIND_HEADER, outcomeOfError, type DeliveryChannel, type DeliveryOutcome, type GraphConnection, type OutgoingMessage } from '../delivery/index.js';
import { GraphSendError, mimeFits, type MailMessage } from '../graph/index.js';
import { noopLogger, type NotifyLogger } from '../infra/index.js';
import type { RelayMessageRow, RelayStore } from '../store/index.js';
import type { RelayIdentity } from './listener.js';
import { splitForDraft } from './large-message.js';
import { buildOutgoingMime, type OutgoingMime } from './outgoing.js';

/** What the relay needs from the delivery side: the connection in use, held while a call runs. */
export interface ConnectionAccess {
  use<T>(fn: (connection: GraphConnection) => Promise<T>): Promise<T>;
}

export interface RelaySenderOptions {
  inner: DeliveryChannel & ConnectionAccess;
  relay: RelayStore;
  identity: () => Promise<RelayIdentity>;
  fromPolicy: () => FromPolicy;
  logger?: NotifyLogger;
}

/**
 * The outbox worker's sender with relayed messages added: rows of kind `relay` are read back from
 * the store (or their spool file), get the envelope and From rules (outgoing.ts), and go to Graph
 * as MIME; every other row goes to the inner sender unchanged. Pacing, retries, waiting for a
 * sign-in, diagnoses and metrics are the worker's, as for alert e-mails.
 */
export class RelaySender implements DeliveryChannel {
  private readonly logger: NotifyLogger;

  constructor(private readonly o: RelaySenderOptions) {
    this.logger = o.logger ?? noopLogger;
  }

  async send(email: OutgoingMessage, options: { signal: AbortSignal }): Promise<DeliveryOutcome> {
    if (email.headers[NOTIFY_KIND_HEADER] !== 'relay') return this.o.inner.send(email, options);
    try {
      return await this.sendRelayed(email, options.signal);
    } catch (err) {
      const outcome = outcomeOfError(err);
      this.logger.warn({ component: 'smtp', id: email.headers[NOTIFY_ID_HEADER], outcome: outcome.kind, code: outcome.problem.code }, `relayed message not sent: ${outcome.problem.message}`);
      return outcome;
    }
  }

  private async sendRelayed(email: OutgoingMessage, signal: AbortSignal): Promise<DeliveryOutcome> {
    const id = email.headers[NOTIFY_ID_HEADER]!;
    const row = await this.o.relay.get(id);
    if (!row) {
      throw new GraphSendError({ status: 0, code: 'RelayMessageMissing', message: `the relayed message ${id} is no longer in the store`, attempts: 0, retryable: false });
    }
    const raw = await this.bytesOf(row);
    const identity = await this.o.identity();
    const out = buildOutgoingMime({ raw, recipients: row.recipients, envelopeFrom: row.envelopeFrom, mailbox: identity.mailbox, fromPolicy: this.o.fromPolicy(), id });
    const result = await this.o.inner.use((connection) => (mimeFits(out.mime.length) ? connection.client.sendMime(out.mime, id) : this.sendLarge(connection, out, id, signal)));
    this.logger.info(
      { component: 'smtp', id, path: result.path, recipients: row.recipients.length, bytes: out.mime.length, ...(out.reencoded.length > 0 ? { reencoded: out.reencoded } : {}) },
      'relayed message accepted by Microsoft Graph',
    );
    await this.cleanUp(row);
    return { kind: 'sent', messageId: result.messageId, requests: result.requests };
  }

  private async bytesOf(row: RelayMessageRow): Promise<Buffer> {
    if (row.raw) return row.raw;
    if (!row.spoolFile) {
      throw new GraphSendError({ status: 0, code: 'RelayMessageMissing', message: `the relayed message ${row.id} has no stored bytes`, attempts: 0, retryable: false });
    }
    try {
      return await readFile(row.spoolFile);
    } catch (err) {
      throw new GraphSendError({ status: 0, code: 'RelaySpoolUnreadable', message: `the relayed message's spool file ${row.spoolFile} cannot be read: ${(err as Error).message}`, attempts: 0, retryable: false, cause: err });
    }
  }

  /** Sent: a spool file is not needed any more (the row keeps the envelope for the deliveries list). */
  private async cleanUp(row: RelayMessageRow): Promise<void> {
    if (!row.spoolFile) return;
    await this.o.relay.forgetSpoolFile(row.id);
    await rm(row.spoolFile, { force: true }).catch(() => undefined);
  }

  /**
   * Over Graph's 4 MB request limit: a MIME draft without the largest parts, which follow as
   * attachments (upload sessions), so alternatives and inline images stay as sent
   * (large-message.ts). Only when no choice of parts fits (a huge body, a one-part message) is the
   * message converted into the mail client's model (its HTML or text body, every attachment).
   */
  private async sendLarge(connection: GraphConnection, out: OutgoingMime, id: string, signal: AbortSignal) {
    const parts = splitForDraft(out.mime, (bytes) => mimeFits(bytes));
    if (parts) return connection.client.sendMimeThroughDraft(parts.mime, parts.attachments, id, { signal });
    return this.sendConverted(connection, out, id, signal);
  }

  private async sendConverted(connection: GraphConnection, out: OutgoingMime, id: string, signal: AbortSignal) {
    // Loaded with the first relayed message: mailparser and what it brings are ~20 MB the idle service does not need (issue 14).
    const { simpleParser } = await import('mailparser');
    const parsed = await simpleParser(out.mime, { skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true });
    const addresses = (a: AddressObject | AddressObject[] | undefined) =>
      (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value).filter((v) => v.address).map((v) => ({ address: v.address!, name: v.name || undefined }));
    const from = addresses(parsed.from)[0];
    const message: MailMessage = {
      id,
      to: out.to,
      cc: out.cc,
      bcc: out.bcc,
      from: from && out.from ? { address: out.from, name: from.name } : undefined,
      replyTo: addresses(parsed.replyTo),
      subject: parsed.subject ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : undefined,
      text: parsed.text,
      attachments: parsed.attachments.map((a, i) => ({ name: a.filename ?? `attachment-${i + 1}`, contentType: a.contentType, content: a.content })),
    };
    return connection.client.send(message, { signal });
  }
}
