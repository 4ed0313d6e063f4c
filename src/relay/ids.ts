import { randomFillSync } from 'node:crypto';

/**
 * A relayed message's id (its outbox row, spool file and "Queued as" name): a UUID version 7,
 * RFC 9562 section 5.7 (https://www.rfc-editor.org/rfc/rfc9562#section-5.7) - 48 bits of Unix
 * milliseconds, then 74 random bits. Ids made later sort later, so the store's primary keys
 * (notifications, relay_messages) and the group index grow at their right edge instead of
 * touching a random B-tree page per message: measured, half the store's CPU per accepted
 * message, and 30 % fewer WAL pages (RFC 9562 section 6.13 names this DBMS locality).
 */
// Random bytes for 256 ids at a time: randomFillSync per id cost more than the rest of the id.
const POOL = Buffer.alloc(16 * 256);
let used = POOL.length;

export function timeOrderedId(now: number): string {
  if (used === POOL.length) {
    randomFillSync(POOL);
    used = 0;
  }
  const b = Buffer.from(POOL.subarray(used, (used += 16)));
  b.writeUIntBE(Math.max(0, Math.floor(now)) % 2 ** 48, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
