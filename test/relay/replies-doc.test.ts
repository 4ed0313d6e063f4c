import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { replies, type SmtpReply } from '../../src/relay/replies.js';

/**
 * README's table of SMTP replies is checked against the code: every reply the relay can give has
 * a row whose first cell is its code, enhanced code and the "what happened" part of its text
 * (up to the first ": "), with the filled-in parts as the README's capitals; and every row is a
 * reply the code gives.
 */
const N = 'N' as unknown as number;
const samples: Record<keyof typeof replies, SmtpReply> = {
  clientNotAllowed: replies.clientNotAllowed('IP'),
  tooManyConnections: replies.tooManyConnections('IP', N),
  lockedOut: replies.lockedOut('IP', new Date(), N),
  tlsRequired: replies.tlsRequired(),
  authNeedsTls: replies.authNeedsTls(),
  authRequired: replies.authRequired(),
  authFailed: replies.authFailed(),
  rateLimited: replies.rateLimited('WHO', N),
  notSignedIn: replies.notSignedIn('WHY'),
  senderNotAllowed: replies.senderNotAllowed('SENDER', 'MAILBOX'),
  senderNotAllowedForUser: replies.senderNotAllowedForUser('SENDER', 'USER', ['LIST']),
  sendAsRejected: replies.sendAsRejected('SENDER', 'MAILBOX'),
  badSender: replies.badSender('SENDER'),
  badRecipient: replies.badRecipient('RECIPIENT'),
  recipientNotAllowed: replies.recipientNotAllowed('RECIPIENT'),
  recipientNotAllowedForUser: replies.recipientNotAllowedForUser('RECIPIENT', 'USER', ['LIST']),
  tooManyRecipients: replies.tooManyRecipients(N),
  noRecipients: replies.noRecipients(),
  tooBig: replies.tooBig(N),
  storeFull: replies.storeFull(N),
  storeFailed: replies.storeFailed(),
};
/** Given by the listener itself (onData), not a refusal. */
const ACCEPTED = '250 2.6.0 Queued as ID';

function documentedRows(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('| reply | what happened | the fix |'));
  const rows: string[] = [];
  for (const line of table.split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    rows.push(/^\| `([^`]+)` \|/.exec(line)?.[1] ?? line);
  }
  return rows;
}

const head = (r: SmtpReply) => `${r.responseCode} ${r.message.slice(0, r.message.indexOf(': ') === -1 ? undefined : r.message.indexOf(': '))}`;

describe('README: what each SMTP reply means', () => {
  it('every reply in src/relay/replies.ts has a row, and every row is a reply the relay gives', () => {
    assert.deepEqual(Object.keys(samples).sort(), Object.keys(replies).sort(), 'a sample for each reply');
    const rows = documentedRows();
    const given = new Set([ACCEPTED, ...Object.values(samples).map(head)]);
    for (const [name, reply] of Object.entries(samples)) assert.ok(rows.includes(head(reply)), `README has no row \`${head(reply)}\` (replies.${name})`);
    for (const row of rows) assert.ok(given.has(row), `README row \`${row}\` is no reply of the relay`);
    assert.equal(new Set(rows).size, rows.length, 'no row twice');
  });

  it('refusals carry an enhanced code of their class: 4xx -> 4.x.x (temporary), 5xx -> 5.x.x', () => {
    for (const [name, reply] of Object.entries(samples)) {
      assert.match(reply.message, /^[45]\.\d{1,3}\.\d{1,3} /, name);
      assert.equal(reply.message[0], String(reply.responseCode)[0], `${name}: ${reply.responseCode} ${reply.message.slice(0, 7)}`);
    }
  });
});
