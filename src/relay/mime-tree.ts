import { libmime } from './libmime.js';
import { fieldText, findField, parseHeaderBlock, serializeHeaders, type HeaderField } from './headers.js';
import { splitMessage } from './message-parts.js';

/**
 * A MIME entity read just far enough to edit one part and leave every other byte as it came
 * (RFC 2046 section 5.1.1): a multipart body is cut at its boundary delimiter lines, each child
 * keeps its byte range, and only a changed child is written again.
 */
export interface MimeEntity {
  fields: HeaderField[];
  body: Buffer;
  /** Lower-case type/subtype; text/plain when there is no Content-Type (RFC 2045 section 5.2). */
  contentType: string;
  /** Children of a multipart entity, in order. */
  children?: MimeChild[];
}

export interface MimeChild {
  entity: MimeEntity;
  /** Where the child's delimiter line starts in the parent's body... */
  start: number;
  /** ...and where the next delimiter line starts (the CRLF before it is the delimiter's, RFC 2046). */
  end: number;
  /** The child's own bytes (header block, blank line, body) within the parent's body. */
  contentStart: number;
  contentEnd: number;
}

const CRLF = Buffer.from('\r\n');

export function contentTypeOf(fields: readonly HeaderField[]): { type: string; params: Record<string, string> } {
  const field = findField(fields, 'Content-Type');
  if (!field) return { type: 'text/plain', params: {} };
  const parsed = libmime().parseHeaderValue(fieldText(field));
  return { type: (parsed.value || 'text/plain').toLowerCase().trim(), params: parsed.params };
}

export function transferEncodingOf(fields: readonly HeaderField[]): string {
  const field = findField(fields, 'Content-Transfer-Encoding');
  return field ? fieldText(field).toLowerCase() : '7bit';
}

/** Reads an entity (a whole message or one part): header fields, body, and children when multipart. */
export function readEntity(raw: Buffer): MimeEntity {
  const { header, body } = splitMessage(raw);
  const fields = parseHeaderBlock(header);
  const { type, params } = contentTypeOf(fields);
  const entity: MimeEntity = { fields, body, contentType: type };
  if (type.startsWith('multipart/') && params.boundary) entity.children = readChildren(body, params.boundary);
  return entity;
}

function readChildren(body: Buffer, boundary: string): MimeChild[] {
  const dash = Buffer.from(`--${boundary}`, 'latin1');
  const delimiters: { start: number; lineEnd: number; close: boolean }[] = [];
  for (let at = body.indexOf(dash); at !== -1; at = body.indexOf(dash, at + dash.length)) {
    if (at !== 0 && !(body[at - 2] === 0x0d && body[at - 1] === 0x0a)) continue;
    const eol = body.indexOf(CRLF, at);
    const lineEnd = eol === -1 ? body.length : eol;
    const tail = body.subarray(at + dash.length, lineEnd).toString('latin1');
    // A delimiter is the boundary followed only by optional "--" and transport padding.
    if (!/^(--)?[ \t]*$/.test(tail)) continue;
    const close = tail.startsWith('--');
    delimiters.push({ start: at, lineEnd, close });
    if (close) break;
  }
  const children: MimeChild[] = [];
  for (let i = 0; i < delimiters.length; i++) {
    const d = delimiters[i]!;
    if (d.close) break;
    const next = delimiters[i + 1];
    const contentStart = Math.min(body.length, d.lineEnd + 2);
    const end = next ? next.start - 2 : body.length;
    const contentEnd = Math.max(contentStart, end);
    children.push({ entity: readEntity(body.subarray(contentStart, contentEnd)), start: d.start, end: next ? next.start : body.length, contentStart, contentEnd });
  }
  return children;
}

/** The entity's bytes: its header fields, the blank line, its body. */
export function writeEntity(fields: readonly HeaderField[], body: Buffer): Buffer {
  return Buffer.concat([serializeHeaders(fields), CRLF, body]);
}

/** The parent's body with some children replaced (new bytes) or removed (null); others untouched. */
export function replaceChildren(body: Buffer, changes: ReadonlyMap<MimeChild, Buffer | null>): Buffer {
  const sorted = [...changes.entries()].sort(([a], [b]) => a.start - b.start);
  const out: Buffer[] = [];
  let at = 0;
  for (const [child, bytes] of sorted) {
    if (bytes === null) {
      out.push(body.subarray(at, child.start));
      at = child.end;
    } else {
      out.push(body.subarray(at, child.contentStart), bytes);
      at = child.contentEnd;
    }
  }
  out.push(body.subarray(at));
  return Buffer.concat(out);
}

/**
 * Applies `edit` to every leaf (non-multipart) entity, depth first; an edit returns the leaf's new
 * bytes, or undefined to keep it. Returns the entity's new bytes, or undefined when nothing changed.
 */
export function editLeaves(entity: MimeEntity, edit: (leaf: MimeEntity, top: boolean) => Buffer | undefined, top = true): Buffer | undefined {
  if (!entity.children) return edit(entity, top);
  const changes = new Map<MimeChild, Buffer | null>();
  for (const child of entity.children) {
    const bytes = editLeaves(child.entity, edit, false);
    if (bytes) changes.set(child, bytes);
  }
  if (changes.size === 0) return undefined;
  return writeEntity(entity.fields, replaceChildren(entity.body, changes));
}
