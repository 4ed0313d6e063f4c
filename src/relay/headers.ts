import { libmime } from './libmime.js';

/**
 * A message's header block as a list of fields, kept as raw bytes where they are not touched:
 * the relay edits only the fields it must (From, To, Cc, Bcc, Reply-To, Date, Message-ID) and
 * repairs what Exchange would refuse or mangle, and writes every other field back as it came.
 */
export interface HeaderField {
  /** As written, e.g. `Subject`. */
  name: string;
  /** The raw value after the colon, folded lines included (CRLF-separated), without the final CRLF. */
  raw: Buffer;
}

const CRLF = Buffer.from('\r\n');
/** RFC 5322 section 2.1.1: a line is at most 998 characters. */
export const MAX_LINE = 998;

/** Splits a CRLF header block (without the blank line) into fields; a line without a colon is kept as a continuation. */
export function parseHeaderBlock(block: Buffer): HeaderField[] {
  const fields: HeaderField[] = [];
  let start = 0;
  const lines: Buffer[] = [];
  while (start < block.length) {
    let end = block.indexOf(CRLF, start);
    if (end === -1) end = block.length;
    lines.push(block.subarray(start, end));
    start = end + 2;
  }
  for (const line of lines) {
    if (line.length === 0) continue;
    const first = line[0]!;
    const last = fields[fields.length - 1];
    if ((first === 0x20 || first === 0x09) && last) {
      last.raw = Buffer.concat([last.raw, CRLF, line]);
      continue;
    }
    const colon = line.indexOf(0x3a);
    const name = colon > 0 ? line.subarray(0, colon).toString('latin1').trim() : '';
    if (colon <= 0 || !/^[\x21-\x39\x3b-\x7e]+$/.test(name)) {
      // Not a header (a device that wrote text before the blank line): keep it as part of the previous field.
      if (last) last.raw = Buffer.concat([last.raw, CRLF, Buffer.from(' '), line]);
      continue;
    }
    fields.push({ name, raw: line.subarray(colon + 1) });
  }
  return fields;
}

export function serializeHeaders(fields: readonly HeaderField[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fields) parts.push(Buffer.from(`${f.name}:`, 'latin1'), f.raw, CRLF);
  return Buffer.concat(parts);
}

export function findField(fields: readonly HeaderField[], name: string): HeaderField | undefined {
  const lower = name.toLowerCase();
  return fields.find((f) => f.name.toLowerCase() === lower);
}

export function removeFields(fields: HeaderField[], name: string): HeaderField[] {
  const lower = name.toLowerCase();
  return fields.filter((f) => f.name.toLowerCase() !== lower);
}

export function textField(name: string, value: string): HeaderField {
  return { name, raw: Buffer.from(` ${value}`, 'utf8') };
}

/** The value as text: unfolded, 8-bit bytes read as UTF-8 (or Windows-1252 when they are not UTF-8). */
export function fieldText(f: HeaderField): string {
  return decodeBytes(f.raw).replace(/\r\n(?=[ \t])/g, '').trim();
}

/** The value with encoded words decoded (for display: subject, names). */
export function decodedText(f: HeaderField | undefined): string {
  if (!f) return '';
  const text = fieldText(f);
  // Without an encoded word (`=?charset?...`) there is nothing to decode.
  if (!text.includes('=?')) return text;
  try {
    return libmime().decodeWords(text);
  } catch {
    return text;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
// Node's TextDecoder reads 'windows-1252' as ISO-8859-1; the 0x80-0x9F range (where 1252 has
// the euro sign, curly quotes and dashes) is mapped here.
const CP1252_HIGH = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';
const windows1252 = { decode: (bytes: Buffer) => Array.from(bytes, (b) => (b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80]! : String.fromCharCode(b))).join('') };

/** Devices write 8-bit headers in UTF-8 or in their code page (nearly always Windows-1252, a superset of ISO-8859-1). */
export function decodeBytes(bytes: Buffer): string {
  if (!hasEightBit(bytes)) return bytes.toString('latin1');
  try {
    return utf8.decode(bytes);
  } catch {
    return windows1252.decode(bytes);
  }
}

export function hasEightBit(bytes: Buffer): boolean {
  // A plain loop: Buffer.some calls a function per byte, for every header field of every message.
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return true;
  return false;
}

/** Folds a header line longer than 998 characters at spaces (the value is unchanged once unfolded). */
export function foldLong(f: HeaderField): HeaderField {
  // Nearly every field is shorter than a line can be: nothing to split or fold.
  if (f.name.length + 1 + f.raw.length <= MAX_LINE) return f;
  const lines = f.raw.toString('latin1').split('\r\n');
  if (lines.every((l, i) => l.length + (i === 0 ? f.name.length + 1 : 0) <= MAX_LINE)) return f;
  const folded = libmime().foldLines(`${f.name}:${lines.join('').replace(/\s+/g, ' ')}`, 76, true);
  const value = folded.slice(f.name.length + 1).replace(/\r?\n/g, '\r\n');
  return { name: f.name, raw: Buffer.from(value.replace(/\r\n$/, ''), 'latin1') };
}
