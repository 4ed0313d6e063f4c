import { escapeHtml } from '../shared/index.js';
import type { PreparedAttachment, PreparedMessage } from './message.js';
import { MAX_REQUEST_BYTES, sendMailSize } from './payload.js';

/** Graph's 4 MB request limit, applied: what fits one request, and what to leave out so it does. */

/** Whether a MIME message of `bytes` fits one sendMail request as base64 (with room for the request line and headers). */
export function mimeFits(bytes: number, maxRequestBytes = MAX_REQUEST_BYTES): boolean {
  return 4 * Math.ceil(bytes / 3) < maxRequestBytes - 16 * 1024;
}

export function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function describeAttachments(attachments: PreparedAttachment[]): string {
  const list = attachments.map((a) => `${a.name} (${megabytes(a.content.length)})`).join(', ');
  return attachments.length === 1 ? `the attachment ${list}` : `the attachments ${list}`;
}

/**
 * Leaves out the largest attachments until one sendMail fits, and says so at the end of the body
 * (escaped when the body is HTML).
 */
export function dropUntilInline(msg: PreparedMessage, maxRequestBytes = MAX_REQUEST_BYTES): { msg: PreparedMessage; dropped: string[] } {
  const kept = [...msg.attachments].sort((a, b) => a.content.length - b.content.length);
  const dropped: PreparedAttachment[] = [];
  for (;;) {
    const candidate = withDropNote({ ...msg, attachments: kept }, dropped);
    if (dropped.length > 0 && (sendMailSize(candidate, kept) < maxRequestBytes || kept.length === 0)) {
      return { msg: candidate, dropped: dropped.map((a) => a.name) };
    }
    if (dropped.length === 0 && sendMailSize(msg, kept) < maxRequestBytes) return { msg, dropped: [] };
    dropped.unshift(kept.pop()!);
  }
}

function withDropNote(msg: PreparedMessage, dropped: PreparedAttachment[]): PreparedMessage {
  if (dropped.length === 0) return msg;
  const note = `[o365-notify] Not attached: ${dropped.map((a) => `${a.name} (${megabytes(a.content.length)})`).join(', ')}. Attachments this large need the Microsoft Graph permission Mail.ReadWrite, which this sign-in does not have.`;
  if (msg.body.contentType === 'text') return { ...msg, body: { contentType: 'text', content: `${msg.body.content}\n\n${note}` } };
  const html = `<p>${escapeHtml(note)}</p>`;
  const content = msg.body.content;
  const end = content.toLowerCase().lastIndexOf('</body>');
  return { ...msg, body: { contentType: 'html', content: end === -1 ? content + html : content.slice(0, end) + html + content.slice(end) } };
}
