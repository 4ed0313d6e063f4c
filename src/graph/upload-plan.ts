import { GraphSendError } from './errors.js';
import type { PreparedAttachment, PreparedMessage } from './message.js';
import { attachmentRequestSize, draftSize, MAX_REQUEST_BYTES, sendMailSize } from './payload.js';

/**
 * How a message travels: one sendMail when the whole request stays under 4 MB; otherwise a
 * draft, the big attachments through upload sessions in ranged PUTs, and a send.
 */

/** Graph's recommended unit for upload ranges. */
export const UPLOAD_CHUNK_UNIT = 320 * 1024;
/** The largest multiple of 320 KiB under 4 MiB: fewest PUTs within Graph's per-request advice. */
export const DEFAULT_CHUNK_BYTES = 12 * UPLOAD_CHUNK_UNIT;
/** Graph: attachments from 3 MB go through an upload session (smaller ones are refused there). */
const UPLOAD_SESSION_THRESHOLD = 3 * 1024 * 1024;

export type DeliveryPlan =
  | { kind: 'inline'; attachments: PreparedAttachment[]; requestBytes: number }
  | {
      kind: 'draft';
      /** Embedded in the `POST /messages` body. */
      draftAttachments: PreparedAttachment[];
      /** Small ones that did not fit in the draft: one `POST /messages/{id}/attachments` each. */
      postedAttachments: PreparedAttachment[];
      /** Through createUploadSession + PUTs. */
      uploadedAttachments: PreparedAttachment[];
      draftBytes: number;
    };

export interface Range {
  start: number;
  /** Inclusive, as in `Content-Range: bytes start-end/total`. */
  end: number;
}

export function needsUploadSession(a: PreparedAttachment, maxRequestBytes = MAX_REQUEST_BYTES): boolean {
  return a.content.length >= UPLOAD_SESSION_THRESHOLD || attachmentRequestSize(a) >= maxRequestBytes;
}

export function planDelivery(msg: PreparedMessage, maxRequestBytes = MAX_REQUEST_BYTES): DeliveryPlan {
  const inlineBytes = sendMailSize(msg, msg.attachments);
  if (inlineBytes < maxRequestBytes) return { kind: 'inline', attachments: msg.attachments, requestBytes: inlineBytes };

  const bare = draftSize(msg, []);
  if (bare >= maxRequestBytes) {
    const problem = `the message without attachments is ${bare} bytes; Graph accepts at most ${maxRequestBytes} bytes per request (make the body smaller or send it as an attachment)`;
    throw new GraphSendError({ status: 0, code: 'InvalidMessage', message: `The message was not sent because it is invalid:\n- ${problem}`, attempts: 0, retryable: false, problems: [problem] });
  }
  const uploadedAttachments = msg.attachments.filter((a) => needsUploadSession(a, maxRequestBytes));
  const small = msg.attachments.filter((a) => !needsUploadSession(a, maxRequestBytes)).sort((a, b) => a.content.length - b.content.length);
  const draftAttachments: PreparedAttachment[] = [];
  const postedAttachments: PreparedAttachment[] = [];
  for (const a of small) {
    if (postedAttachments.length === 0 && draftSize(msg, [...draftAttachments, a]) < maxRequestBytes) draftAttachments.push(a);
    else postedAttachments.push(a);
  }
  return { kind: 'draft', draftAttachments, postedAttachments, uploadedAttachments, draftBytes: draftSize(msg, draftAttachments) };
}

/** The next range to PUT from `offset` (the server's nextExpectedRanges start). */
export function nextRange(offset: number, total: number, chunkBytes = DEFAULT_CHUNK_BYTES): Range | undefined {
  if (offset >= total) return undefined;
  return { start: offset, end: Math.min(offset + chunkBytes, total) - 1 };
}

/** Every range of an upload from the start, in order. */
export function planChunks(total: number, chunkBytes = DEFAULT_CHUNK_BYTES): Range[] {
  checkChunkBytes(chunkBytes);
  const ranges: Range[] = [];
  for (let r = nextRange(0, total, chunkBytes); r; r = nextRange(r.end + 1, total, chunkBytes)) ranges.push(r);
  return ranges;
}

/** Chunks must be multiples of 320 KiB and under 4 MiB. */
export function checkChunkBytes(chunkBytes: number): void {
  if (!Number.isInteger(chunkBytes) || chunkBytes <= 0 || chunkBytes % UPLOAD_CHUNK_UNIT !== 0 || chunkBytes >= MAX_REQUEST_BYTES) {
    throw new RangeError(`upload chunk size ${chunkBytes}: use a multiple of 320 KiB (327680 bytes) below 4 MiB`);
  }
}

/** `nextExpectedRanges` from an upload session answer: ["2097152"] or ["0-"] or ["100-200", ...]; the first start. */
export function parseNextExpected(value: unknown): number | undefined {
  if (!Array.isArray(value) || value.length === 0 || typeof value[0] !== 'string') return undefined;
  const match = /^(\d+)/.exec(value[0]);
  return match ? Number(match[1]) : undefined;
}
