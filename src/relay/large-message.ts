import { libmime } from './libmime.js';
import type { PreparedAttachment } from '../graph/index.js';
import { fieldText, findField } from './headers.js';
import { decodedContent } from './long-lines.js';
import { contentTypeOf, readEntity, replaceChildren, transferEncodingOf, writeEntity, type MimeChild, type MimeEntity } from './mime-tree.js';

/**
 * A relayed message over Graph's 4 MB request limit, made ready for a MIME draft: its largest
 * attachment parts (inline images included) are taken out until the rest fits one request; the
 * rest - headers, text and HTML alternatives, small parts - stays MIME as the sender wrote it.
 * The parts taken out go on as Graph attachments, inline ones with isInline and their Content-ID,
 * so `cid:` references in the HTML still find them.
 */
export interface DraftParts {
  mime: Buffer;
  attachments: PreparedAttachment[];
}

interface Leaf {
  child: MimeChild;
  parentType: string;
}

function leavesOf(entity: MimeEntity, out: Leaf[] = []): Leaf[] {
  for (const child of entity.children ?? []) {
    if (child.entity.children) leavesOf(child.entity, out);
    else out.push({ child, parentType: entity.contentType });
  }
  return out;
}

function dispositionOf(entity: MimeEntity): { type: string; filename?: string } {
  const field = findField(entity.fields, 'Content-Disposition');
  if (!field) return { type: '' };
  const parsed = libmime().parseHeaderValue(fieldText(field));
  return { type: (parsed.value || '').toLowerCase().trim(), filename: parsed.params.filename };
}

/** A text or HTML body (not an attached file): never taken out. */
function isBodyText(entity: MimeEntity): boolean {
  const disposition = dispositionOf(entity);
  return (entity.contentType === 'text/plain' || entity.contentType === 'text/html') && disposition.type !== 'attachment' && !disposition.filename && !contentTypeOf(entity.fields).params.name;
}

function decodeName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  try {
    return libmime().decodeWords(name).trim() || undefined;
  } catch {
    return name.trim() || undefined;
  }
}

function asAttachment(leaf: Leaf, index: number): PreparedAttachment {
  const entity = leaf.child.entity;
  const disposition = dispositionOf(entity);
  const cid = findField(entity.fields, 'Content-ID');
  const contentId = cid ? fieldText(cid).replace(/^<|>$/g, '') : undefined;
  // As Exchange (and the emulator, mime-message.ts) reads MIME: inline by disposition, or a
  // Content-ID inside multipart/related.
  const isInline = disposition.type === 'inline' || (Boolean(contentId) && disposition.type !== 'attachment' && leaf.parentType === 'multipart/related');
  return {
    name: decodeName(disposition.filename) ?? decodeName(contentTypeOf(entity.fields).params.name) ?? `attachment-${index + 1}`,
    contentType: entity.contentType,
    content: decodedContent(entity.body, transferEncodingOf(entity.fields)),
    ...(isInline ? { isInline } : {}),
    ...(contentId ? { contentId } : {}),
  };
}

/** The entity without the `removed` leaves (a multipart left empty goes too); null when nothing is left. */
function without(entity: MimeEntity, removed: Set<MimeChild>): Buffer | null | undefined {
  if (!entity.children) return undefined;
  const changes = new Map<MimeChild, Buffer | null>();
  for (const child of entity.children) {
    if (removed.has(child)) changes.set(child, null);
    else if (child.entity.children) {
      const bytes = without(child.entity, removed);
      if (bytes !== undefined) changes.set(child, bytes);
    }
  }
  if (changes.size === 0) return undefined;
  if ([...changes.values()].filter((b) => b === null).length === entity.children.length) return null;
  return writeEntity(entity.fields, replaceChildren(entity.body, changes));
}

/** Undefined when no choice of parts makes it fit (one huge body, or a message that is one part). */
export function splitForDraft(mime: Buffer, fits: (bytes: number) => boolean): DraftParts | undefined {
  const top = readEntity(mime);
  const candidates = leavesOf(top)
    .filter((l) => !isBodyText(l.child.entity))
    .sort((a, b) => b.child.end - b.child.start - (a.child.end - a.child.start));
  const removed: Leaf[] = [];
  let size = mime.length;
  for (const leaf of candidates) {
    if (fits(size)) break;
    removed.push(leaf);
    size -= leaf.child.end - leaf.child.start;
  }
  if (removed.length === 0) return undefined;
  const rest = without(top, new Set(removed.map((l) => l.child)));
  if (!rest || !fits(rest.length)) return undefined;
  return { mime: rest, attachments: removed.map((leaf, i) => asAttachment(leaf, i)) };
}
