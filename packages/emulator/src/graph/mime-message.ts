import { simpleParser, type AddressObject, type HeaderValue } from 'mailparser';
import { GraphError } from './errors.js';
import type { EmailAddress, MessageFields, MessageHeader } from './message.js';

/**
 * sendMail in MIME format, as Graph documents it: the request body is the base64 of an RFC 5322
 * message, sent with `Content-Type: text/plain`; Graph takes recipients, subject, body and
 * attachments from the MIME (To, Cc and Bcc headers decide who receives it).
 * https://learn.microsoft.com/en-us/graph/api/user-sendmail#example-4-send-a-new-message-using-mime-format
 * https://learn.microsoft.com/en-us/graph/outlook-send-mime-message
 * A body that is not base64 gets 400 ErrorMimeContentInvalidBase64String (the code the page
 * names); MIME that cannot be read as a message gets 400 ErrorMimeContentInvalid (to confirm
 * against a real tenant, docs/emulator.md). A line over 998 octets (RFC 5322 section 2.1.1 MUST
 * NOT) is refused with ErrorMimeContentInvalid too: Graph's pages say nothing about it, so the
 * stricter answer is emulated (docs/emulator.md notes the question).
 */
export class MimeBody {
  constructor(readonly text: string) {}
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** RFC 5322 section 2.1.1: at most 998 characters a line, CRLF excluded. */
const MAX_LINE_OCTETS = 998;

/** The 1-based number of the first line over 998 octets, or 0. */
function firstLongLine(raw: Buffer): number {
  let line = 1;
  for (let start = 0; start < raw.length; line++) {
    const lf = raw.indexOf(0x0a, start);
    const end = lf === -1 ? raw.length : lf;
    if (end - start - (raw[end - 1] === 0x0d ? 1 : 0) > MAX_LINE_OCTETS) return line;
    start = end + 1;
  }
  return 0;
}

function addresses(value: AddressObject | AddressObject[] | undefined): EmailAddress[] {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  return list
    .flatMap((o) => o.value)
    .flatMap((v) => (v.group ? v.group : [v]))
    .filter((v) => typeof v.address === 'string' && v.address.includes('@'))
    .map((v) => (v.name ? { name: v.name, address: v.address!.toLowerCase() } : { address: v.address!.toLowerCase() }));
}

function headerText(value: HeaderValue): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toUTCString();
  if (Array.isArray(value)) return value.map((v) => headerText(v as HeaderValue)).join(', ');
  if (value && typeof value === 'object' && 'text' in value) return String((value as { text: unknown }).text);
  if (value && typeof value === 'object' && 'value' in value) return String((value as { value: unknown }).value);
  return String(value);
}

export async function parseMimeMessage(body: MimeBody): Promise<MessageFields & { internetMessageId?: string }> {
  const compact = body.text.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) {
    throw new GraphError(400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
  }
  const raw = Buffer.from(compact, 'base64');
  const head = raw.subarray(0, Math.min(raw.length, 4096)).toString('latin1');
  if (!/^[\x21-\x39\x3b-\x7e]+:/.test(head)) throw new GraphError(400, 'ErrorMimeContentInvalid', 'The MIME content is not a valid message: it has no header fields.');
  const longLine = firstLongLine(raw);
  if (longLine > 0) throw new GraphError(400, 'ErrorMimeContentInvalid', `The MIME content is not a valid message: line ${longLine} is longer than ${MAX_LINE_OCTETS} characters.`);
  let parsed;
  try {
    parsed = await simpleParser(raw, { skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true });
  } catch {
    throw new GraphError(400, 'ErrorMimeContentInvalid', 'The MIME content is not a valid message.');
  }
  const custom: MessageHeader[] = [];
  for (const [name, value] of parsed.headers) {
    if (/^x-/i.test(name)) custom.push({ name: parsed.headerLines.find((l) => l.key === name)?.line.split(':')[0] ?? name, value: headerText(value) });
  }
  const html = typeof parsed.html === 'string' ? parsed.html : undefined;
  const from = addresses(parsed.from)[0];
  return {
    subject: parsed.subject ?? '',
    body: html !== undefined ? { contentType: 'html', content: html } : { contentType: 'text', content: parsed.text ?? '' },
    toRecipients: addresses(parsed.to),
    ccRecipients: addresses(parsed.cc),
    bccRecipients: addresses(parsed.bcc),
    replyTo: addresses(parsed.replyTo),
    from,
    importance: priorityOf(parsed),
    internetMessageHeaders: custom,
    attachments: parsed.attachments.map((a, i) => ({
      name: a.filename ?? `attachment-${i + 1}`,
      contentType: a.contentType,
      isInline: a.contentDisposition === 'inline' || (Boolean(a.cid) && a.related === true),
      contentId: a.cid,
      content: a.content,
    })),
    internetMessageId: parsed.messageId,
  };
}

/** mailparser reads X-Priority / Importance into `priority` (not in its type definitions). */
function priorityOf(parsed: object): MessageFields['importance'] {
  const p = (parsed as { priority?: string }).priority;
  return p === 'high' ? 'high' : p === 'low' ? 'low' : 'normal';
}
