import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';
import { MAX_LINE, removeFields, textField, findField } from './headers.js';
import { editLeaves, readEntity, transferEncodingOf, writeEntity, type MimeEntity } from './mime-tree.js';

/**
 * Body lines over 998 octets (RFC 5322 section 2.1.1 says MUST NOT; an HTML report written on
 * one line is the usual case). What Graph's MIME sendMail does with them is not documented, and
 * an SMTP hop after Exchange may refuse or cut them ("message has lines too long for transport"),
 * so the part is re-encoded instead, the way RFC 2045 intends: text as quoted-printable, anything
 * else as base64. Decoded, the content is byte for byte what the sender wrote; parts without long
 * lines are left exactly as they came.
 */
export interface LongLineRepair {
  mime: Buffer;
  /** One entry per re-encoded part, e.g. "text/html as quoted-printable". */
  reencoded: string[];
}

const CRLF = Buffer.from('\r\n');

export function hasLongLine(bytes: Buffer, max = MAX_LINE): boolean {
  let start = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(CRLF, start);
    const lineEnd = end === -1 ? bytes.length : end;
    if (lineEnd - start > max) return true;
    start = lineEnd + 2;
  }
  return false;
}

/** The part's content as the sender meant it (its transfer encoding undone). */
export function decodedContent(body: Buffer, encoding: string): Buffer {
  if (encoding === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (encoding === 'quoted-printable') {
    const text = body.toString('latin1').replace(/=\r\n/g, '');
    return Buffer.from(text.replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
  }
  return body;
}

function base64Lines(content: Buffer): Buffer {
  return Buffer.from((content.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n'), 'latin1');
}

function reencode(leaf: MimeEntity, top: boolean, reencoded: string[]): Buffer | undefined {
  if (!hasLongLine(leaf.body)) return undefined;
  // message/rfc822 must stay 7bit/8bit/binary (RFC 2046 section 5.2.1): left as it is.
  if (leaf.contentType.startsWith('message/')) return undefined;
  const encoding = transferEncodingOf(leaf.fields);
  const content = decodedContent(leaf.body, encoding);
  const asText = leaf.contentType.startsWith('text/');
  const body = asText ? Buffer.from(qpWrap(qpEncode(content), 76), 'latin1') : base64Lines(content);
  let fields = removeFields(leaf.fields, 'Content-Transfer-Encoding');
  fields.push(textField('Content-Transfer-Encoding', asText ? 'quoted-printable' : 'base64'));
  // The message itself is the part: a transfer encoding needs MIME-Version (RFC 2045 section 4).
  if (top && !findField(fields, 'MIME-Version')) fields = [...fields, textField('MIME-Version', '1.0')];
  reencoded.push(`${leaf.contentType} as ${asText ? 'quoted-printable' : 'base64'}`);
  return writeEntity(fields, body);
}

export function repairLongLines(mime: Buffer): LongLineRepair {
  if (!hasLongLine(mime)) return { mime, reencoded: [] };
  const reencoded: string[] = [];
  const edited = editLeaves(readEntity(mime), (leaf, top) => reencode(leaf, top, reencoded));
  return { mime: edited ?? mime, reencoded };
}
