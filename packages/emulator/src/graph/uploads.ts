import { randomBytes, timingSafeEqual } from 'node:crypto';
import { GraphError, TEXT, unauthorized } from './errors.js';
import { newItemId } from './store.js';

/**
 * Upload sessions for large attachments (attachment: createUploadSession). The client PUTs the
 * file's bytes in order to a pre-authenticated URL; the final PUT attaches the file to the draft.
 */

/** Graph: attachments up to 150 MB. */
export const MAX_SESSION_BYTES = 150 * 1024 * 1024;
/** How long the URL's token is valid (Exchange issues it for about two hours). */
const SESSION_LIFETIME_MS = 2 * 3600_000;
/** Sessions kept at once, and bytes buffered across them; the oldest sessions are dropped beyond these. */
const MAX_SESSIONS = 200;
const MAX_BUFFERED_BYTES = 256 * 1024 * 1024;

export interface UploadSession {
  id: string;
  authToken: string;
  appId: string;
  tenantId: string;
  mailboxUserId: string;
  messageId: string;
  name: string;
  size: number;
  contentType: string;
  isInline: boolean;
  contentId?: string;
  expiresAtMs: number;
  received: number;
  chunks: Buffer[];
}

export interface ContentRange {
  start: number;
  end: number;
  total: number;
}

/** `Content-Range: bytes {start}-{end}/{total}` (0-based, end inclusive). */
function parseContentRange(header: string | undefined): ContentRange | undefined {
  const match = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15})$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  const [start, end, total] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (end < start || end >= total) return undefined;
  return { start, end, total };
}

export type PutResult = { done: false; nextExpectedRanges: string[] } | { done: true; content: Buffer };

export class UploadSessions {
  private readonly sessions = new Map<string, UploadSession>();
  private buffered = 0;

  private drop(id: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.buffered -= session.received;
    this.sessions.delete(id);
  }

  create(input: Omit<UploadSession, 'id' | 'authToken' | 'expiresAtMs' | 'received' | 'chunks'>, nowMs: number): UploadSession {
    this.prune(nowMs);
    const session: UploadSession = {
      ...input,
      id: newItemId('AAMkAGSes'),
      authToken: randomBytes(32).toString('base64url'),
      expiresAtMs: nowMs + SESSION_LIFETIME_MS,
      received: 0,
      chunks: [],
    };
    this.sessions.set(session.id, session);
    while (this.sessions.size > MAX_SESSIONS) this.drop(this.sessions.keys().next().value!);
    return session;
  }

  get(id: string): UploadSession | undefined {
    return this.sessions.get(id);
  }

  /** The session a PUT/GET/DELETE names, with its token checked (401 as for any bad token). */
  authorize(id: string, authToken: string | undefined, nowMs: number): UploadSession {
    const session = this.sessions.get(id);
    if (!session) throw new GraphError(404, 'ErrorItemNotFound', TEXT.itemNotFound);
    if (!authToken) throw unauthorized(TEXT.tokenEmpty);
    const given = Buffer.from(authToken);
    const expected = Buffer.from(session.authToken);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw unauthorized(TEXT.tokenInvalid);
    if (session.expiresAtMs <= nowMs) {
      this.drop(id);
      throw unauthorized(TEXT.tokenExpired);
    }
    return session;
  }

  /** Where the next PUT must start, in the form the PUT responses use. */
  nextExpectedRanges(session: UploadSession): string[] {
    return [session.received === 0 ? '0-' : String(session.received)];
  }

  /**
   * Appends one range. Bytes must come in order: a range that starts before the next expected
   * byte overlaps what was received, one that starts after it leaves a gap (both 416, nothing
   * stored), so a client resumes from nextExpectedRanges.
   */
  put(session: UploadSession, rangeHeader: string | undefined, body: Buffer): PutResult {
    const range = parseContentRange(rangeHeader);
    if (!range) {
      throw new GraphError(400, 'ErrorInvalidRequest', "The Content-Range header is missing or malformed. Expected 'bytes {start}-{end}/{total}'.");
    }
    if (range.total !== session.size) {
      throw new GraphError(400, 'ErrorInvalidRequest', `The total size in the Content-Range header (${range.total}) does not match the size of the upload session (${session.size}).`);
    }
    if (range.end - range.start + 1 !== body.length) {
      throw new GraphError(400, 'ErrorInvalidRequest', 'The Content-Range header length does not match the provided number of bytes.');
    }
    if (range.start < session.received) {
      throw new GraphError(416, 'InvalidRange', `Uploaded fragment overlaps with existing data. Next expected byte: ${session.received}.`);
    }
    if (range.start > session.received) {
      throw new GraphError(416, 'InvalidRange', `Uploaded fragment is out of order. Next expected byte: ${session.received}.`);
    }
    session.chunks.push(body);
    session.received += body.length;
    this.buffered += body.length;
    for (const id of this.sessions.keys()) {
      if (this.buffered <= MAX_BUFFERED_BYTES) break;
      if (id !== session.id) this.drop(id);
    }
    if (session.received < session.size) return { done: false, nextExpectedRanges: this.nextExpectedRanges(session) };
    this.drop(session.id);
    return { done: true, content: Buffer.concat(session.chunks) };
  }

  cancel(id: string): void {
    this.drop(id);
  }

  clear(): void {
    this.sessions.clear();
    this.buffered = 0;
  }

  private prune(nowMs: number): void {
    for (const [id, s] of this.sessions) if (s.expiresAtMs <= nowMs) this.drop(id);
  }
}
