import { createHash } from 'node:crypto';
import { cannotConvert, GraphError, TEXT, unknownProperty, unresolvedRecipient } from './errors.js';

/**
 * The message as Graph accepts it (JSON `message` resource, fileAttachment) and the checks
 * Graph/Exchange apply before a message is accepted.
 */

export interface EmailAddress {
  name?: string;
  address: string;
}

export interface MessageHeader {
  name: string;
  value: string;
}

export type Importance = 'low' | 'normal' | 'high';
export type BodyType = 'text' | 'html';

/** An attachment given inline (sendMail, POST .../attachments): bytes already decoded. */
export interface NewAttachment {
  name: string;
  contentType: string;
  isInline: boolean;
  contentId?: string;
  content: Buffer;
}

/** A message as the client wrote it, validated. */
export interface MessageFields {
  subject: string;
  body: { contentType: BodyType; content: string };
  toRecipients: EmailAddress[];
  ccRecipients: EmailAddress[];
  bccRecipients: EmailAddress[];
  replyTo: EmailAddress[];
  from?: EmailAddress;
  importance: Importance;
  internetMessageHeaders: MessageHeader[];
  attachments: NewAttachment[];
}

const MESSAGE_TYPE = 'Microsoft.OutlookServices.Message';

/** Writable and read-only message properties Graph knows; anything else is RequestBodyRead. */
const MESSAGE_PROPERTIES = [
  'bccRecipients', 'body', 'bodyPreview', 'categories', 'ccRecipients', 'changeKey', 'conversationId',
  'conversationIndex', 'createdDateTime', 'flag', 'from', 'hasAttachments', 'id', 'importance',
  'inferenceClassification', 'internetMessageHeaders', 'internetMessageId', 'isDeliveryReceiptRequested',
  'isDraft', 'isRead', 'isReadReceiptRequested', 'lastModifiedDateTime', 'parentFolderId', 'receivedDateTime',
  'replyTo', 'sender', 'sentDateTime', 'subject', 'toRecipients', 'uniqueBody', 'webLink', 'attachments',
  'extensions', 'singleValueExtendedProperties', 'multiValueExtendedProperties',
].map((p) => p.toLowerCase());

/**
 * An Internet address as Exchange resolves it for an SMTP recipient: local@domain with a dotted
 * domain, no display name, no spaces or control characters.
 */
const ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

function isValidAddress(address: string): boolean {
  if (address.length > 320 || !ADDRESS.test(address)) return false;
  const local = address.slice(0, address.lastIndexOf('@'));
  return local.length <= 64 && !local.startsWith('.') && !local.endsWith('.') && !local.includes('..');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Case-insensitive property access, as Graph's JSON reader matches property names. */
export function prop(object: Record<string, unknown>, name: string): unknown {
  if (name in object) return object[name];
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(object)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

function optionalString(object: Record<string, unknown>, name: string): string | undefined {
  const value = prop(object, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw cannotConvert(value, 'Edm.String');
  return value;
}

function recipient(value: unknown): EmailAddress {
  if (!isObject(value)) throw cannotConvert(value, 'Microsoft.OutlookServices.Recipient');
  const email = prop(value, 'emailAddress');
  if (!isObject(email)) throw new GraphError(400, 'ErrorInvalidRecipients', "At least one recipient isn't valid.");
  const address = optionalString(email, 'address')?.trim() ?? '';
  const name = optionalString(email, 'name');
  return name === undefined ? { address } : { name, address };
}

function recipients(object: Record<string, unknown>, name: string): EmailAddress[] {
  const value = prop(object, name);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw cannotConvert(value, 'Collection(Microsoft.OutlookServices.Recipient)');
  return value.map(recipient);
}

function enumValue<T extends string>(object: Record<string, unknown>, name: string, allowed: readonly T[], edmType: string, fallback: T): T {
  const value = prop(object, name);
  if (value === undefined || value === null) return fallback;
  const match = typeof value === 'string' ? allowed.find((a) => a === value.toLowerCase()) : undefined;
  if (!match) throw cannotConvert(value, edmType);
  return match;
}

/** Graph refuses more custom headers than this in one message. */
export const MAX_CUSTOM_HEADERS = 5;

/** Graph accepts custom headers only, named x-/X-, when a message is created or sent. */
function headers(object: Record<string, unknown>): MessageHeader[] {
  const value = prop(object, 'internetMessageHeaders');
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw cannotConvert(value, 'Collection(Microsoft.OutlookServices.InternetMessageHeader)');
  if (value.length > MAX_CUSTOM_HEADERS) {
    throw new GraphError(400, 'InvalidInternetMessageHeaderCollection', `Maximum number of headers in one message should be less than or equal to ${MAX_CUSTOM_HEADERS}.`);
  }
  return value.map((entry) => {
    if (!isObject(entry)) throw cannotConvert(entry, 'Microsoft.OutlookServices.InternetMessageHeader');
    const name = optionalString(entry, 'name') ?? '';
    const headerValue = optionalString(entry, 'value') ?? '';
    if (!/^x-/i.test(name)) {
      throw new GraphError(400, 'InvalidInternetMessageHeader', `The internet message header name '${name.slice(0, 200)}' should start with 'x-' or 'X-'.`);
    }
    // RFC 5322 field names are printable ASCII without ':'; values may not break the header block.
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name) || /[\r\n\0]/.test(headerValue)) {
      throw new GraphError(400, 'InvalidInternetMessageHeader', `The internet message header '${name.slice(0, 200)}' has an invalid name or value.`);
    }
    return { name, value: headerValue };
  });
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A `#microsoft.graph.fileAttachment` given with its bytes (sendMail, draft, POST .../attachments). */
export function parseFileAttachment(value: unknown): NewAttachment {
  if (!isObject(value)) throw cannotConvert(value, 'Microsoft.OutlookServices.Attachment');
  const type = optionalString(value, '@odata.type');
  if (type === undefined) throw new GraphError(400, 'RequestBodyRead', 'Cannot create an abstract class.');
  if (type.replace(/^#/, '').toLowerCase() !== 'microsoft.graph.fileattachment') {
    throw new GraphError(400, 'ErrorInvalidRequest', `The emulator supports file attachments only, not '${type.slice(0, 100)}'.`);
  }
  const contentBytes = optionalString(value, 'contentBytes') ?? '';
  const compact = contentBytes.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) throw cannotConvert(contentBytes.slice(0, 40), 'Edm.Binary');
  const isInline = prop(value, 'isInline');
  if (isInline !== undefined && isInline !== null && typeof isInline !== 'boolean') throw cannotConvert(isInline, 'Edm.Boolean');
  return {
    name: optionalString(value, 'name') ?? '',
    contentType: optionalString(value, 'contentType') ?? 'application/octet-stream',
    isInline: isInline === true,
    contentId: optionalString(value, 'contentId'),
    content: Buffer.from(compact, 'base64'),
  };
}

/** Reads a `message` resource from JSON; shape and type errors answer as Graph's JSON reader does. */
export function parseMessage(value: unknown): MessageFields {
  if (!isObject(value)) throw cannotConvert(value, MESSAGE_TYPE);
  for (const key of Object.keys(value)) {
    if (!key.startsWith('@odata.') && !MESSAGE_PROPERTIES.includes(key.toLowerCase())) throw unknownProperty(key, MESSAGE_TYPE);
  }
  const body = prop(value, 'body');
  let parsedBody: MessageFields['body'] = { contentType: 'text', content: '' };
  if (body !== undefined && body !== null) {
    if (!isObject(body)) throw cannotConvert(body, 'Microsoft.OutlookServices.ItemBody');
    parsedBody = {
      contentType: enumValue(body, 'contentType', ['text', 'html'] as const, 'Microsoft.OutlookServices.BodyType', 'text'),
      content: optionalString(body, 'content') ?? '',
    };
  }
  const from = prop(value, 'from');
  const attachments = prop(value, 'attachments');
  if (attachments !== undefined && attachments !== null && !Array.isArray(attachments)) {
    throw cannotConvert(attachments, 'Collection(Microsoft.OutlookServices.Attachment)');
  }
  return {
    subject: optionalString(value, 'subject') ?? '',
    body: parsedBody,
    toRecipients: recipients(value, 'toRecipients'),
    ccRecipients: recipients(value, 'ccRecipients'),
    bccRecipients: recipients(value, 'bccRecipients'),
    replyTo: recipients(value, 'replyTo'),
    from: from === undefined || from === null ? undefined : recipient(from),
    importance: enumValue(value, 'importance', ['low', 'normal', 'high'] as const, 'Microsoft.OutlookServices.Importance', 'normal'),
    internetMessageHeaders: headers(value),
    attachments: ((attachments as unknown[] | undefined) ?? []).map(parseFileAttachment),
  };
}

/** Exchange's checks when a message is submitted: at least one recipient, every address resolvable. */
export function checkRecipients(fields: Pick<MessageFields, 'toRecipients' | 'ccRecipients' | 'bccRecipients' | 'replyTo' | 'from'>): void {
  const all = [...fields.toRecipients, ...fields.ccRecipients, ...fields.bccRecipients];
  if (all.length === 0) throw new GraphError(400, 'ErrorInvalidRecipients', TEXT.noRecipients);
  for (const r of [...all, ...fields.replyTo, ...(fields.from ? [fields.from] : [])]) {
    if (!isValidAddress(r.address)) throw unresolvedRecipient(r.address);
  }
}

/** Distinct recipient addresses (to, cc, bcc), lower-cased: what Exchange counts against its limits. */
export function distinctRecipients(fields: Pick<MessageFields, 'toRecipients' | 'ccRecipients' | 'bccRecipients'>): string[] {
  return [...new Set([...fields.toRecipients, ...fields.ccRecipients, ...fields.bccRecipients].map((r) => r.address.toLowerCase()))];
}

/** Exchange Online's default maximum message size (MaxSendSize 35840 KB), measured as MIME. */
const MAX_MESSAGE_BYTES = 35_840 * 1024;

/** Size of content once base64-encoded in MIME (76-character lines with CRLF), as Exchange measures it. */
function mimeEncodedSize(bytes: number): number {
  const base64 = Math.ceil(bytes / 3) * 4;
  return base64 + Math.ceil(base64 / 76) * 2;
}

export function checkMessageSize(bodyLength: number, attachmentSizes: number[]): void {
  const total = bodyLength + attachmentSizes.reduce((sum, size) => sum + mimeEncodedSize(size), 0);
  if (total > MAX_MESSAGE_BYTES) throw new GraphError(400, 'ErrorMessageSizeExceeded', TEXT.messageTooLarge);
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
