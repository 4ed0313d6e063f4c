import { randomBytes } from 'node:crypto';
import type { Directory, User } from '../directory.js';
import { sha256, type EmailAddress, type MessageFields, type MessageHeader, type NewAttachment } from './message.js';
import { nonDeliveryReport, type OverLimit } from './ndr.js';

/**
 * The emulated Exchange mailboxes: Inbox, Sent Items and Drafts of every directory user with a
 * mailbox, plus one "external" inbox per outside address so tests can read what left the tenant.
 *
 * Memory stays bounded: each folder keeps its newest `maxMessagesPerFolder` messages, and
 * attachment bytes are kept up to `maxContentBytes` in total; past that the oldest contents are
 * dropped (their name, size and sha256 remain). Recipients of one message share its bytes.
 */

export type FolderName = 'inbox' | 'sentitems' | 'drafts';
export const FOLDERS: FolderName[] = ['inbox', 'sentitems', 'drafts'];

export interface AttachmentBlob {
  size: number;
  sha256: string;
  /** Undefined once dropped to keep memory bounded. */
  content: Buffer | undefined;
}

export interface StoredAttachment {
  id: string;
  name: string;
  contentType: string;
  size: number;
  isInline: boolean;
  contentId?: string;
  lastModifiedDateTime: string;
  blob: AttachmentBlob;
}

export interface StoredMessage {
  id: string;
  folder: FolderName;
  /** Address of the mailbox holding this copy. */
  mailbox: string;
  internetMessageId: string;
  conversationId: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  receivedDateTime: string;
  sentDateTime?: string;
  isDraft: boolean;
  isRead: boolean;
  from?: EmailAddress;
  sender?: EmailAddress;
  toRecipients: EmailAddress[];
  ccRecipients: EmailAddress[];
  /** Kept on the sender's copies only, as Exchange does. */
  bccRecipients: EmailAddress[];
  replyTo: EmailAddress[];
  subject: string;
  body: MessageFields['body'];
  importance: MessageFields['importance'];
  internetMessageHeaders: MessageHeader[];
  attachments: StoredAttachment[];
  /** Ours: which app sent it and how ('system' for non-delivery reports). */
  origin: { appId: string; via: 'sendMail' | 'draft' | 'system' };
}

export interface Mailbox {
  address: string;
  displayName?: string;
  userId?: string;
  /** An address outside the emulated directory. */
  external: boolean;
  folders: Record<FolderName, StoredMessage[]>;
}

export interface MailStoreOptions {
  maxMessagesPerFolder: number;
  maxContentBytes: number;
}

const DEFAULT_STORE_OPTIONS: MailStoreOptions = {
  maxMessagesPerFolder: 500,
  maxContentBytes: 512 * 1024 * 1024,
};

/** Exchange item ids are long opaque base64 strings; ours are URL-safe so clients need not escape them. */
export function newItemId(prefix = 'AAMkAG'): string {
  return `${prefix}${randomBytes(36).toString('base64url')}=`;
}

export function newInternetMessageId(): string {
  return `<${randomBytes(16).toString('hex').toUpperCase()}@EMU0PR01MB0001.namprd00.prod.outlook.com>`;
}

function iso(nowMs: number): string {
  return new Date(nowMs).toISOString();
}

/** What Graph needs to send one message from a mailbox. */
export interface Outgoing {
  /** The mailbox the request targeted (its Sent Items keeps the copy). */
  mailbox: User;
  from: EmailAddress;
  sender: EmailAddress;
  fields: Omit<MessageFields, 'attachments' | 'from'>;
  attachments: StoredAttachment[];
  saveToSentItems: boolean;
  nowMs: number;
  appId: string;
  via: 'sendMail' | 'draft';
  /** Keep the draft's identity (id, conversation) for the Sent Items copy. */
  draft?: StoredMessage;
  /** The Message-ID a MIME submission carried (Exchange keeps a client's Message-ID). */
  internetMessageId?: string;
}

/** Time and the delivery counter, for messages Exchange accepted and delivers later. */
export interface DeliveryClock {
  now(): number;
  delivered(): void;
}

export class MailStore {
  private readonly boxes = new Map<string, Mailbox>();
  private blobs: AttachmentBlob[] = [];
  private contentBytes = 0;
  /** Accepted messages carried over to a later minute (sendingLimitAnswer "delay"), oldest first. */
  private pending: Outgoing[] = [];

  constructor(
    private readonly directory: Directory,
    readonly options: MailStoreOptions = DEFAULT_STORE_OPTIONS,
    private readonly clock?: DeliveryClock,
  ) {}

  /** Holds an accepted message until `out.nowMs`; it is delivered when anything looks at the mailboxes from then on. */
  deliverLater(out: Outgoing): void {
    this.pending.push(out);
    this.pending.sort((a, b) => a.nowMs - b.nowMs);
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Delivers every held message whose time has come (on the emulator clock). */
  private flushDue(): void {
    if (!this.clock || this.pending.length === 0) return;
    const now = this.clock.now();
    while (this.pending.length > 0 && this.pending[0]!.nowMs <= now) {
      this.deliver(this.pending.shift()!);
      this.clock.delivered();
    }
  }

  /** The mailbox of a directory user (created on first use). */
  userMailbox(user: User): Mailbox {
    let box = this.boxes.get(user.upn);
    if (!box) {
      box = { address: user.upn, displayName: user.displayName, userId: user.id, external: false, folders: { inbox: [], sentitems: [], drafts: [] } };
      this.boxes.set(user.upn, box);
    }
    return box;
  }

  private externalMailbox(address: string): Mailbox {
    const key = address.toLowerCase();
    let box = this.boxes.get(key);
    if (!box) {
      box = { address: key, external: true, folders: { inbox: [], sentitems: [], drafts: [] } };
      this.boxes.set(key, box);
    }
    return box;
  }

  /** A mailbox by a user's UPN or object id, or by an external address that received mail. */
  find(addressOrId: string): Mailbox | undefined {
    this.flushDue();
    const user = this.directory.findUser(addressOrId);
    if (user) return user.hasMailbox ? this.userMailbox(user) : undefined;
    return this.boxes.get(addressOrId.toLowerCase());
  }

  /** Every user mailbox (even empty) and every external address that received mail. */
  list(): Mailbox[] {
    this.flushDue();
    for (const user of this.directory.users.values()) if (user.hasMailbox) this.userMailbox(user);
    return [...this.boxes.values()].filter((box) => {
      if (box.external) return true;
      const user = box.userId ? this.directory.users.get(box.userId) : undefined;
      return user?.hasMailbox === true;
    });
  }

  clear(): void {
    this.pending = [];
    this.boxes.clear();
    this.blobs = [];
    this.contentBytes = 0;
  }

  clearMailbox(box: Mailbox): void {
    for (const folder of FOLDERS) box.folders[folder] = [];
  }

  /** Registers attachment bytes, dropping the oldest contents past the memory budget. */
  private blob(content: Buffer): AttachmentBlob {
    const blob: AttachmentBlob = { size: content.length, sha256: sha256(content), content };
    if (content.length === 0) return blob;
    this.blobs.push(blob);
    this.contentBytes += content.length;
    while (this.contentBytes > this.options.maxContentBytes && this.blobs.length > 0) {
      const oldest = this.blobs.shift()!;
      if (oldest.content) this.contentBytes -= oldest.size;
      oldest.content = undefined;
    }
    return blob;
  }

  attachment(input: NewAttachment, nowMs: number): StoredAttachment {
    return {
      id: newItemId('AAMkAGAtt'),
      name: input.name,
      contentType: input.contentType,
      size: input.content.length,
      isInline: input.isInline,
      contentId: input.contentId,
      lastModifiedDateTime: iso(nowMs),
      blob: this.blob(input.content),
    };
  }

  private file(box: Mailbox, message: StoredMessage): void {
    const folder = box.folders[message.folder];
    folder.push(message);
    if (folder.length > this.options.maxMessagesPerFolder) folder.splice(0, folder.length - this.options.maxMessagesPerFolder);
  }

  createDraft(owner: User, fields: MessageFields, nowMs: number, appId: string, internetMessageId?: string): StoredMessage {
    const box = this.userMailbox(owner);
    const now = iso(nowMs);
    const { attachments, from, ...rest } = fields;
    const draft: StoredMessage = {
      ...rest,
      id: newItemId(),
      folder: 'drafts',
      mailbox: box.address,
      internetMessageId: internetMessageId ?? newInternetMessageId(),
      conversationId: newItemId('AAQkAG'),
      createdDateTime: now,
      lastModifiedDateTime: now,
      receivedDateTime: now,
      isDraft: true,
      isRead: true,
      from,
      attachments: attachments.map((a) => this.attachment(a, nowMs)),
      origin: { appId, via: 'draft' },
    };
    this.file(box, draft);
    return draft;
  }

  /** A message of a user's mailbox, in any folder. */
  findMessage(owner: User, id: string): StoredMessage | undefined {
    this.flushDue();
    const box = this.userMailbox(owner);
    for (const folder of FOLDERS) {
      const found = box.folders[folder].find((m) => m.id === id);
      if (found) return found;
    }
    return undefined;
  }

  removeMessage(owner: User, message: StoredMessage): void {
    const folder = this.userMailbox(owner).folders[message.folder];
    const index = folder.indexOf(message);
    if (index >= 0) folder.splice(index, 1);
  }

  /**
   * Delivers a message: one copy per distinct recipient (without Bcc), one in the sending
   * mailbox's Sent Items (with Bcc) unless saveToSentItems is false. A directory user without a
   * mailbox cannot receive: the sender gets a non-delivery report, as from Exchange.
   * Returns the addresses that received a copy.
   */
  deliver(out: Outgoing): string[] {
    const now = iso(out.nowMs);
    const internetMessageId = out.draft?.internetMessageId ?? out.internetMessageId ?? newInternetMessageId();
    const conversationId = out.draft?.conversationId ?? newItemId('AAQkAG');
    const copy = (folder: FolderName, mailbox: string, withBcc: boolean, id = newItemId()): StoredMessage => ({
      ...out.fields,
      id,
      folder,
      mailbox,
      internetMessageId,
      conversationId,
      createdDateTime: out.draft?.createdDateTime ?? now,
      lastModifiedDateTime: now,
      receivedDateTime: now,
      sentDateTime: now,
      isDraft: false,
      isRead: folder === 'sentitems',
      from: out.from,
      sender: out.sender,
      toRecipients: out.fields.toRecipients.map((r) => ({ ...r })),
      ccRecipients: out.fields.ccRecipients.map((r) => ({ ...r })),
      bccRecipients: withBcc ? out.fields.bccRecipients.map((r) => ({ ...r })) : [],
      replyTo: out.fields.replyTo.map((r) => ({ ...r })),
      internetMessageHeaders: out.fields.internetMessageHeaders.map((h) => ({ ...h })),
      attachments: out.attachments.map((a) => ({ ...a, id: newItemId('AAMkAGAtt') })),
      origin: { appId: out.appId, via: out.via },
    });

    const delivered: string[] = [];
    const undeliverable: string[] = [];
    const seen = new Set<string>();
    for (const r of [...out.fields.toRecipients, ...out.fields.ccRecipients, ...out.fields.bccRecipients]) {
      const address = r.address.toLowerCase();
      if (seen.has(address)) continue;
      seen.add(address);
      const user = this.directory.findUser(address);
      if (user && !user.hasMailbox) {
        undeliverable.push(r.address);
        continue;
      }
      const box = user ? this.userMailbox(user) : this.externalMailbox(address);
      this.file(box, copy('inbox', box.address, false));
      delivered.push(box.address);
    }
    const senderBox = this.userMailbox(out.mailbox);
    if (out.saveToSentItems) this.file(senderBox, copy('sentitems', senderBox.address, true, out.draft?.id));
    if (undeliverable.length > 0) this.file(senderBox, nonDeliveryReport(out, senderBox.address, { kind: 'recipient-not-found', addresses: undeliverable }));
    return delivered;
  }

  /**
   * A message Exchange accepted (202) and then refused over a sending limit: no recipient gets a
   * copy, no Sent Items copy, and the sender's Inbox gets the non-delivery report.
   */
  refuseAfterAcceptance(out: Outgoing, reason: OverLimit): StoredMessage {
    const senderBox = this.userMailbox(out.mailbox);
    const report = nonDeliveryReport(out, senderBox.address, reason);
    this.file(senderBox, report);
    return report;
  }
}
