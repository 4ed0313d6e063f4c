import { randomUUID } from 'node:crypto';
import { libmime } from './libmime.js';
import { formatAddressList, parseAddressList } from './addresses.js';
import { decodedText, decodeBytes, fieldText, findField, foldLong, hasEightBit, textField, type HeaderField } from './headers.js';

/**
 * What devices get wrong in their headers, repaired the way Exchange would accept it:
 * - 8-bit bytes in headers (UTF-8, or the device's Windows-1252 / ISO-8859-1) become RFC 2047
 *   encoded words in UTF-8 - names in address headers, the whole value in unstructured ones;
 * - no Date or no Message-ID: added (RFC 5322 section 3.6 requires Date; Exchange adds a
 *   Message-ID, we add it first so the deliveries list and a duplicate check can name it);
 * - lines over 998 characters are folded.
 * Encoded words in ISO-8859-1 or Windows-1252 are valid MIME and are kept as they are.
 */
const ADDRESS_HEADERS = new Set(['from', 'to', 'cc', 'bcc', 'reply-to', 'sender']);
/** Structured headers whose 8-bit parameters (file names) Exchange reads as UTF-8: kept. */
const KEPT_EIGHT_BIT = new Set(['content-type', 'content-disposition']);

export interface RepairedHeader {
  fields: HeaderField[];
  subject: string;
  headerFrom: string | null;
  messageId: string;
  repairs: string[];
}

function encodeEightBit(f: HeaderField): HeaderField {
  const lower = f.name.toLowerCase();
  if (!hasEightBit(f.raw) || KEPT_EIGHT_BIT.has(lower)) return f;
  const text = decodeBytes(f.raw).replace(/\r\n(?=[ \t])/g, '').trim();
  if (ADDRESS_HEADERS.has(lower)) {
    const list = parseAddressList(text);
    if (list.length > 0) return textField(f.name, formatAddressList(list));
  }
  return { name: f.name, raw: Buffer.from(` ${libmime().encodeWords(text, 'B', 52)}`, 'latin1') };
}

export function repairHeader(input: HeaderField[], hostname: string, now: Date): RepairedHeader {
  const repairs: string[] = [];
  const fields = input.map((f) => {
    let out = encodeEightBit(f);
    if (out !== f) repairs.push(`encoded 8-bit ${f.name}`);
    const folded = foldLong(out);
    if (folded !== out) repairs.push(`folded a long ${f.name} line`);
    out = folded;
    return out;
  });
  if (!findField(fields, 'Date')) {
    fields.push(textField('Date', now.toUTCString().replace('GMT', '+0000')));
    repairs.push('added Date');
  }
  let messageId = fieldText(findField(fields, 'Message-ID') ?? { name: '', raw: Buffer.alloc(0) });
  if (!/^<[^<>\s]+@[^<>\s]+>$/.test(messageId)) {
    const had = messageId !== '';
    messageId = `<${randomUUID()}@${hostname}>`;
    const index = fields.findIndex((f) => f.name.toLowerCase() === 'message-id');
    if (index >= 0) fields.splice(index, 1);
    fields.push(textField('Message-ID', messageId));
    repairs.push(had ? 'replaced an invalid Message-ID' : 'added Message-ID');
  }
  if (findField(fields, 'Content-Type') && !findField(fields, 'MIME-Version')) {
    fields.push(textField('MIME-Version', '1.0'));
    repairs.push('added MIME-Version');
  }
  const from = findField(fields, 'From');
  const headerFrom = from ? (parseAddressList(fieldText(from))[0]?.address ?? null) : null;
  return { fields, subject: decodedText(findField(fields, 'Subject')).replace(/\s+/g, ' ').trim(), headerFrom, messageId, repairs };
}
