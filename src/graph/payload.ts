import type { Mailbox } from './addresses.js';
import type { PreparedAttachment, PreparedMessage } from './message.js';

/**
 * The JSON Graph receives, and its exact size. Graph refuses requests over 4 MB, so the client
 * decides between one sendMail and draft + upload session on the real serialized size
 * (base64 growth and JSON escaping included), computed without building the base64 twice.
 */

/**
 * Graph's request body limit (413 above it): "4 MB", planned as the stricter of 4,000,000 and
 * 4,194,304 bytes (issue 13.14), since both readings are reported.
 */
export const MAX_REQUEST_BYTES = 4_000_000;

export interface GraphRecipient {
  emailAddress: { address: string; name?: string };
}

export interface GraphFileAttachment {
  '@odata.type': '#microsoft.graph.fileAttachment';
  name: string;
  contentType: string;
  contentBytes: string;
  isInline?: boolean;
  contentId?: string;
}

export type GraphMessage = Record<string, unknown>;

function recipient(m: Mailbox): GraphRecipient {
  return { emailAddress: m.name ? { address: m.address, name: m.name } : { address: m.address } };
}

/** Bytes of the base64 text for `n` bytes (padding included). */
export function base64Length(n: number): number {
  return 4 * Math.ceil(n / 3);
}

export function fileAttachment(a: PreparedAttachment, withContent = true): GraphFileAttachment {
  return {
    '@odata.type': '#microsoft.graph.fileAttachment',
    name: a.name,
    contentType: a.contentType,
    contentBytes: withContent ? a.content.toString('base64') : '',
    ...inlineFields(a),
  };
}

/** isInline and contentId of an inline image (fileAttachment and attachmentItem both have them). */
export function inlineFields(a: PreparedAttachment): { isInline?: boolean; contentId?: string } {
  return { ...(a.isInline ? { isInline: true } : {}), ...(a.contentId ? { contentId: a.contentId } : {}) };
}

/** The `message` resource for sendMail or a draft, with the given attachments embedded. */
export function graphMessage(msg: PreparedMessage, attachments: PreparedAttachment[], withContent = true): GraphMessage {
  const out: GraphMessage = {
    subject: msg.subject,
    body: { contentType: msg.body.contentType === 'html' ? 'HTML' : 'Text', content: msg.body.content },
    toRecipients: msg.to.map(recipient),
  };
  if (msg.cc.length > 0) out.ccRecipients = msg.cc.map(recipient);
  if (msg.bcc.length > 0) out.bccRecipients = msg.bcc.map(recipient);
  if (msg.replyTo.length > 0) out.replyTo = msg.replyTo.map(recipient);
  if (msg.from) out.from = recipient(msg.from);
  if (msg.importance) out.importance = msg.importance;
  out.internetMessageHeaders = msg.headers.map((h) => ({ name: h.name, value: h.value }));
  if (attachments.length > 0) out.attachments = attachments.map((a) => fileAttachment(a, withContent));
  return out;
}

/** The body of `POST /me/sendMail` (saveToSentItems left at Graph's default, true). */
export function sendMailBody(msg: PreparedMessage, attachments: PreparedAttachment[], withContent = true): { message: GraphMessage } {
  return { message: graphMessage(msg, attachments, withContent) };
}

/**
 * Serialized size of a JSON body whose attachments' `contentBytes` are left empty, plus their
 * base64 length: equal to the size of the real body, because base64 needs no JSON escaping.
 */
function sizeWithAttachments(bodyWithoutContent: unknown, attachments: PreparedAttachment[]): number {
  let size = Buffer.byteLength(JSON.stringify(bodyWithoutContent), 'utf8');
  for (const a of attachments) size += base64Length(a.content.length);
  return size;
}

export function sendMailSize(msg: PreparedMessage, attachments: PreparedAttachment[]): number {
  return sizeWithAttachments(sendMailBody(msg, attachments, false), attachments);
}

export function draftSize(msg: PreparedMessage, attachments: PreparedAttachment[]): number {
  return sizeWithAttachments(graphMessage(msg, attachments, false), attachments);
}

/** Size of `POST /messages/{id}/attachments` for one attachment. */
export function attachmentRequestSize(a: PreparedAttachment): number {
  return sizeWithAttachments(fileAttachment(a, false), [a]);
}
