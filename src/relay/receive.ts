import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { parseHeaderBlock, serializeHeaders } from './headers.js';
import { repairHeader, type RepairedHeader } from './repair.js';

/**
 * Reads one message from the DATA stream without holding a large one in memory: line endings
 * become CRLF (devices send bare LF), the header block is collected and repaired, and the body
 * stays in memory only while it is small; past `inlineLimit` it streams to a spool file.
 */
export interface ReceiveOptions {
  spoolDir: string;
  /** Bodies up to this many bytes are stored in the database row, larger ones in a spool file. */
  inlineLimit: number;
  /** Past this many bytes the message is drained and refused (smtp-server's SIZE check says so too). */
  maxBytes: number;
  hostname: string;
  /** fsync the spool file before the commit (service.durability power-loss). */
  fsync: boolean;
  now: () => Date;
}

export interface Received {
  header: RepairedHeader;
  /** The repaired message, when small. */
  raw: Buffer | null;
  spoolFile: string | null;
  /** Bytes as stored (after repairs). */
  size: number;
  /** Bytes as received. */
  receivedBytes: number;
  tooBig: boolean;
}

/** The header block ends at the first empty line; more than this without one and the rest is body. */
const MAX_HEADER_BYTES = 1024 * 1024;
const CRLF = Buffer.from('\r\n');
const WRITE_BYTES = 256 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');

/** Bare LF -> CRLF, across chunk boundaries. */
class LineEndings {
  private lastWasCR = false;

  push(chunk: Buffer): Buffer {
    let extra = 0;
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) {
      if (!(i === 0 ? this.lastWasCR : chunk[i - 1] === 0x0d)) extra++;
    }
    const last = chunk.length > 0 ? chunk[chunk.length - 1] === 0x0d : this.lastWasCR;
    if (extra === 0) {
      this.lastWasCR = last;
      return chunk;
    }
    const out = Buffer.allocUnsafe(chunk.length + extra);
    let o = 0;
    let prevCR = this.lastWasCR;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === 0x0a && !prevCR) out[o++] = 0x0d;
      out[o++] = b;
      prevCR = b === 0x0d;
    }
    this.lastWasCR = last;
    return out;
  }
}

/** A first line that is not `Name: value` means the sender wrote no header at all. */
function looksLikeHeader(firstLine: Buffer): boolean {
  return /^[\x21-\x39\x3b-\x7e]+:/.test(firstLine.subarray(0, 200).toString('latin1'));
}

export async function receiveMessage(stream: AsyncIterable<Buffer>, id: string, options: ReceiveOptions): Promise<Received> {
  const lines = new LineEndings();
  let receivedBytes = 0;
  let tooBig = false;
  let headerBuf: Buffer | null = Buffer.alloc(0);
  let header: RepairedHeader | undefined;
  let headerBytes: Buffer = Buffer.alloc(0);
  let body: Buffer[] = [];
  let bodyBytes = 0;
  let file: FileHandle | undefined;
  const spoolFile = join(options.spoolDir, `${id}.eml`);

  const finishHeader = (block: Buffer) => {
    header = repairHeader(parseHeaderBlock(block), options.hostname, options.now());
    headerBytes = Buffer.concat([serializeHeaders(header.fields), CRLF]);
  };
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (!file || pendingBytes === 0) return;
    await file.write(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes));
    pending = [];
    pendingBytes = 0;
  };
  const addBody = async (chunk: Buffer) => {
    if (chunk.length === 0) return;
    bodyBytes += chunk.length;
    if (file) {
      // Fewer, larger writes: the stream's chunks are 16-64 KB.
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= WRITE_BYTES) await flush();
      return;
    }
    body.push(chunk);
    if (headerBytes.length + bodyBytes > options.inlineLimit) {
      file = await open(spoolFile, 'w', 0o600);
      await file.write(Buffer.concat([headerBytes, ...body]));
      body = [];
    }
  };

  try {
    for await (const piece of stream) {
      receivedBytes += piece.length;
      if (tooBig || receivedBytes > options.maxBytes) {
        if (!tooBig) {
          tooBig = true;
          body = [];
          pending = [];
          pendingBytes = 0;
          headerBuf = null;
          await file?.close();
          file = undefined;
          await rm(spoolFile, { force: true });
        }
        continue;
      }
      const chunk = lines.push(piece);
      if (headerBuf === null) {
        await addBody(chunk);
        continue;
      }
      const searchFrom = Math.max(0, headerBuf.length - 3);
      headerBuf = Buffer.concat([headerBuf, chunk]);
      if (headerBuf.length >= 2 && headerBuf.indexOf(CRLF) !== -1 && !looksLikeHeader(headerBuf)) {
        // No header block: everything is body.
        finishHeader(Buffer.alloc(0));
        const rest = headerBuf;
        headerBuf = null;
        await addBody(rest);
        continue;
      }
      const end = headerBuf.indexOf(HEADER_END, searchFrom);
      if (end !== -1 || headerBuf.length > MAX_HEADER_BYTES) {
        const cut = end !== -1 ? end : headerBuf.lastIndexOf(CRLF);
        finishHeader(headerBuf.subarray(0, Math.max(0, cut)));
        const rest = headerBuf.subarray(end !== -1 ? end + 4 : Math.max(0, cut) + 2);
        headerBuf = null;
        await addBody(rest);
      }
    }
    if (tooBig) {
      return { header: header ?? repairHeader([], options.hostname, options.now()), raw: null, spoolFile: null, size: 0, receivedBytes, tooBig };
    }
    if (headerBuf !== null) {
      // The stream ended inside the header block: all header, no body.
      const block = headerBuf.subarray(-2).equals(CRLF) ? headerBuf.subarray(0, -2) : headerBuf;
      if (looksLikeHeader(block) || block.length === 0) finishHeader(block);
      else {
        finishHeader(Buffer.alloc(0));
        await addBody(block);
      }
    }
    const size = headerBytes.length + bodyBytes;
    if (file) {
      await flush();
      if (options.fsync) await file.sync();
      await file.close();
      file = undefined;
      return { header: header!, raw: null, spoolFile, size, receivedBytes, tooBig };
    }
    return { header: header!, raw: Buffer.concat([headerBytes, ...body]), spoolFile: null, size, receivedBytes, tooBig };
  } catch (err) {
    await file?.close().catch(() => undefined);
    await rm(spoolFile, { force: true }).catch(() => undefined);
    throw err;
  }
}
