import { randomUUID } from 'node:crypto';
import { parseAddress, printable, stripControls, type AddressInput, type Mailbox } from './addresses.js';
import { cleanText, contentTypeForFileName } from '../shared/index.js';
import { GraphSendError } from './errors.js';

/**
 * The message model callers give the mail client. Everything is checked and cleaned here,
 * before any request: a message either becomes a PreparedMessage or fails with every problem
 * listed (GraphSendError code InvalidMessage).
 */
export interface MailMessage {
  to?: AddressInput | AddressInput[];
  cc?: AddressInput | AddressInput[];
  bcc?: AddressInput | AddressInput[];
  replyTo?: AddressInput | AddressInput[];
  /** Send as another mailbox (a shared mailbox); needs Exchange "Send As" for the signed-in account. */
  from?: AddressInput;
  subject: string;
  /** Plain text body, sent as text (never interpreted as HTML). */
  text?: string;
  /** HTML body, sent as given. When both are set the HTML is sent; Exchange derives the plain-text part. */
  html?: string;
  importance?: Importance;
  /** Custom Internet headers; names must start with `x-`. */
  headers?: Record<string, string>;
  attachments?: MailAttachment[];
  /** Stable id sent as `x-o365-notify-id` so duplicates can be recognised; generated when absent. */
  id?: string;
}

export type Importance = 'low' | 'normal' | 'high';

export interface MailAttachment {
  name: string;
  contentType?: string;
  content: Buffer | Uint8Array;
}

export interface PreparedAttachment {
  name: string;
  contentType: string;
  content: Buffer;
  /** An image the HTML shows through `cid:` (the relay's large-message path keeps them so). */
  isInline?: boolean;
  /** Its Content-ID, without angle brackets. */
  contentId?: string;
}

export interface PreparedMessage {
  id: string;
  from?: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  bcc: Mailbox[];
  replyTo: Mailbox[];
  subject: string;
  body: { contentType: 'text' | 'html'; content: string };
  importance?: Importance;
  /** `x-o365-notify-id` first, then the caller's headers. */
  headers: { name: string; value: string }[];
  attachments: PreparedAttachment[];
}

export const NOTIFY_ID_HEADER = 'x-o365-notify-id';
const SUBJECT_MAX_CHARS = 255;
/** Graph refuses more than five custom Internet headers (InvalidInternetMessageHeaderCollection). */
export const MAX_CUSTOM_HEADERS = 5;
/** Exchange Online: at most 500 recipients per message. */
const MAX_RECIPIENTS = 500;
/** Graph's limit for one attachment (upload session). */
const MAX_ATTACHMENT_BYTES = 150 * 1024 * 1024;
const HEADER_VALUE_MAX = 900;
const ATTACHMENT_NAME_MAX = 255;
const ID_PATTERN = /^[A-Za-z0-9._:@+-]{1,128}$/;
const HEADER_NAME = /^x-[A-Za-z0-9-]+$/i;
const CONTENT_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(?:\s*;\s*[A-Za-z0-9_.-]+=(?:[A-Za-z0-9_.+-]+|"[^"\r\n]*"))*$/;

/** Subject line: line breaks and control characters removed, whitespace collapsed, at most 255 characters. */
export function sanitiseSubject(subject: string): string {
  const clean = stripControls(subject).replace(/\s+/g, ' ').trim();
  const chars = [...clean];
  return chars.length <= SUBJECT_MAX_CHARS ? clean : chars.slice(0, SUBJECT_MAX_CHARS - 1).join('') + '\u2026';
}

/** Header values are one line: control characters removed, bounded length. */
function sanitiseHeaderValue(value: string): string {
  const clean = stripControls(value).replace(/\s+/g, ' ').trim();
  return [...clean].slice(0, HEADER_VALUE_MAX).join('');
}

/** File names: no control characters or path separators, bounded length. */
function sanitiseAttachmentName(name: string): string {
  const clean = stripControls(name).replace(/[/\\]/g, '_').replace(/\s+/g, ' ').trim();
  return [...clean].slice(0, ATTACHMENT_NAME_MAX).join('');
}

function list<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Checks and cleans a message; throws GraphSendError(InvalidMessage) listing every problem. */
export function prepareMessage(message: MailMessage): PreparedMessage {
  const problems: string[] = [];
  if (typeof message !== 'object' || message === null) {
    throw invalid(['the message must be an object']);
  }

  const recipients = (field: 'to' | 'cc' | 'bcc' | 'replyTo'): Mailbox[] => {
    const out: Mailbox[] = [];
    for (const entry of list(message[field])) {
      const parsed = parseAddress(entry);
      if ('problem' in parsed) problems.push(`${field}: ${parsed.problem}`);
      else out.push(parsed.mailbox);
    }
    return out;
  };
  const to = recipients('to');
  const cc = recipients('cc');
  const bcc = recipients('bcc');
  const replyTo = recipients('replyTo');
  const recipientCount = list(message.to).length + list(message.cc).length + list(message.bcc).length;
  if (recipientCount === 0) problems.push('to: at least one recipient (to, cc or bcc) is required');
  if (recipientCount > MAX_RECIPIENTS) problems.push(`to/cc/bcc: ${recipientCount} recipients; Exchange Online accepts at most ${MAX_RECIPIENTS} per message`);

  let from: Mailbox | undefined;
  if (message.from !== undefined) {
    const parsed = parseAddress(message.from);
    if ('problem' in parsed) problems.push(`from: ${parsed.problem}`);
    else from = parsed.mailbox;
  }

  if (typeof message.subject !== 'string') problems.push('subject: a string is required');
  const subject = typeof message.subject === 'string' ? sanitiseSubject(message.subject) : '';

  let body: PreparedMessage['body'] = { contentType: 'text', content: '' };
  if (message.html !== undefined && typeof message.html !== 'string') problems.push('html: must be a string');
  if (message.text !== undefined && typeof message.text !== 'string') problems.push('text: must be a string');
  // Bodies follow the same character rule as subjects: no control or direction-override characters.
  if (typeof message.html === 'string') body = { contentType: 'html', content: cleanText(message.html, 'text') };
  else if (typeof message.text === 'string') body = { contentType: 'text', content: cleanText(message.text, 'text') };
  else problems.push('text or html: a body is required');

  if (message.importance !== undefined && !['low', 'normal', 'high'].includes(message.importance)) {
    problems.push(`importance: "${printable(String(message.importance))}" is not one of low, normal, high`);
  }

  let id = message.id;
  if (id === undefined) id = randomUUID();
  else if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    problems.push('id: 1 to 128 characters from letters, digits and . _ : @ + -');
  }

  const headers: { name: string; value: string }[] = [{ name: NOTIFY_ID_HEADER, value: String(id) }];
  const seen = new Set([NOTIFY_ID_HEADER]);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!HEADER_NAME.test(name)) {
      problems.push(`headers: "${printable(name)}" is not allowed; Graph only accepts custom headers whose names start with x- (letters, digits and hyphens)`);
      continue;
    }
    if (seen.has(name.toLowerCase())) {
      problems.push(name.toLowerCase() === NOTIFY_ID_HEADER ? `headers: ${NOTIFY_ID_HEADER} is set by o365-notify; pass the message id as "id"` : `headers: "${name}" is given twice`);
      continue;
    }
    if (typeof value !== 'string') {
      problems.push(`headers: the value of "${name}" must be a string`);
      continue;
    }
    seen.add(name.toLowerCase());
    headers.push({ name, value: sanitiseHeaderValue(value) });
  }
  if (headers.length > MAX_CUSTOM_HEADERS) {
    problems.push(`headers: Graph accepts at most ${MAX_CUSTOM_HEADERS} custom headers and ${NOTIFY_ID_HEADER} is one of them; give at most ${MAX_CUSTOM_HEADERS - 1}`);
  }

  const attachments: PreparedAttachment[] = [];
  list(message.attachments).forEach((a, i) => {
    const label = `attachments[${i}]`;
    if (typeof a !== 'object' || a === null) {
      problems.push(`${label}: must be { name, contentType, content }`);
      return;
    }
    const name = typeof a.name === 'string' ? sanitiseAttachmentName(a.name) : '';
    if (name === '') problems.push(`${label}: a file name is required`);
    // No type given: from the file's extension (report.pdf is application/pdf, not octet-stream).
    const contentType = a.contentType === undefined ? contentTypeForFileName(name) : String(a.contentType).trim();
    if (!CONTENT_TYPE.test(contentType)) problems.push(`${label} (${name}): "${printable(contentType)}" is not a MIME type like application/pdf`);
    if (!(a.content instanceof Uint8Array)) {
      problems.push(`${label} (${name}): content must be a Buffer`);
      return;
    }
    if (a.content.length > MAX_ATTACHMENT_BYTES) {
      problems.push(`${label} (${name}): ${a.content.length} bytes; Graph accepts attachments up to 150 MB`);
    }
    const content = Buffer.isBuffer(a.content) ? a.content : Buffer.from(a.content.buffer, a.content.byteOffset, a.content.length);
    attachments.push({ name, contentType, content });
  });

  if (problems.length > 0) throw invalid(problems);
  return {
    id: String(id),
    ...(from ? { from } : {}),
    to,
    cc,
    bcc,
    replyTo,
    subject,
    body,
    ...(message.importance ? { importance: message.importance } : {}),
    headers,
    attachments,
  };
}

function invalid(problems: string[]): GraphSendError {
  return new GraphSendError({
    status: 0,
    code: 'InvalidMessage',
    message: `The message was not sent because it is invalid:\n- ${problems.join('\n- ')}`,
    attempts: 0,
    retryable: false,
    problems,
  });
}
