import type { FromPolicy } from '../config/index.js';
import { formatAddress, formatAddressList, parseAddressList, sameAddress, type HeaderAddress } from './addresses.js';
import { fieldText, findField, parseHeaderBlock, removeFields, serializeHeaders, textField, type HeaderField } from './headers.js';
import { repairLongLines } from './long-lines.js';
import { splitMessage } from './message-parts.js';

/**
 * What goes to Graph for a relayed message. Graph's sendMail with a MIME body takes its
 * recipients from the To, Cc and Bcc headers, so the headers are rewritten to say exactly what the
 * SMTP envelope said (the envelope decides, as every MTA does):
 * - To/Cc keep only the addresses that are envelope recipients (a header-only address would
 *   otherwise receive it);
 * - envelope recipients missing from To/Cc become Bcc; the sender's own Bcc header is dropped
 *   (Exchange never shows Bcc to recipients);
 * - no To and no Cc left: `To: undisclosed-recipients:;` (an only-Bcc message).
 * The From follows smtp.fromPolicy. Parts with body lines over 998 octets are re-encoded
 * (long-lines.ts).
 */
export interface OutgoingInput {
  raw: Buffer;
  recipients: readonly string[];
  envelopeFrom: string;
  /** The mailbox Graph sends as (signed-in account or account.sender); undefined when not known yet. */
  mailbox: string | undefined;
  fromPolicy: FromPolicy;
  /** The outbox row id, sent as x-o365-notify-id so a duplicate after a crash is recognisable. */
  id: string;
}

export interface OutgoingMime {
  mime: Buffer;
  to: string[];
  cc: string[];
  bcc: string[];
  from: string | undefined;
  /** Parts re-encoded because of lines over 998 octets. */
  reencoded: string[];
}

function addressesOf(fields: HeaderField[], name: string): HeaderAddress[] {
  return fields.filter((f) => f.name.toLowerCase() === name.toLowerCase()).flatMap((f) => parseAddressList(fieldText(f)));
}

function keepEnvelope(list: HeaderAddress[], envelope: readonly string[], seen: Set<string>): HeaderAddress[] {
  const kept: HeaderAddress[] = [];
  for (const a of list) {
    const key = a.address.toLowerCase();
    if (seen.has(key) || !envelope.some((r) => sameAddress(r, a.address))) continue;
    seen.add(key);
    kept.push(a);
  }
  return kept;
}

function applyFromPolicy(fields: HeaderField[], input: OutgoingInput): { fields: HeaderField[]; from: string | undefined } {
  const from = addressesOf(fields, 'From')[0];
  const mailbox = input.mailbox;
  if (!from) {
    // No From at all (devices that put it only in a MIME part): the envelope sender, else the mailbox.
    const address = input.fromPolicy === 'send-as' && input.envelopeFrom ? input.envelopeFrom : mailbox;
    if (!address) return { fields, from: undefined };
    return { fields: [...fields, textField('From', formatAddress({ name: '', address }))], from: address };
  }
  if (!mailbox || sameAddress(from.address, mailbox) || input.fromPolicy !== 'rewrite') return { fields, from: from.address };
  // rewrite: the mailbox sends; replies still reach the original sender.
  let out = removeFields(removeFields(fields, 'From'), 'Sender');
  out.push(textField('From', formatAddress({ name: from.name, address: mailbox })));
  if (!findField(out, 'Reply-To')) out.push(textField('Reply-To', formatAddress(from)));
  out = out.filter(Boolean);
  return { fields: out, from: mailbox };
}

export function buildOutgoingMime(input: OutgoingInput): OutgoingMime {
  const { header, body } = splitMessage(input.raw);
  let fields = parseHeaderBlock(header);
  const envelope = input.recipients;
  const seen = new Set<string>();
  const to = keepEnvelope(addressesOf(fields, 'To'), envelope, seen);
  const cc = keepEnvelope(addressesOf(fields, 'Cc'), envelope, seen);
  const bcc = envelope.filter((r) => !seen.has(r.toLowerCase())).filter((r, i, all) => all.findIndex((x) => sameAddress(x, r)) === i);
  for (const name of ['To', 'Cc', 'Bcc', 'Resent-To', 'Resent-Cc', 'Resent-Bcc', 'Return-Path', 'X-O365-Notify-Id']) fields = removeFields(fields, name);
  const edited: HeaderField[] = [];
  edited.push(textField('To', to.length > 0 ? formatAddressList(to) : 'undisclosed-recipients:;'));
  if (cc.length > 0) edited.push(textField('Cc', formatAddressList(cc)));
  if (bcc.length > 0) edited.push(textField('Bcc', formatAddressList(bcc.map((address) => ({ name: '', address })))));
  edited.push(textField('X-O365-Notify-Id', input.id));
  const policy = applyFromPolicy(fields, input);
  const { mime, reencoded } = repairLongLines(Buffer.concat([serializeHeaders([...policy.fields, ...edited]), Buffer.from('\r\n'), body]));
  return { mime, to: to.map((a) => a.address), cc: cc.map((a) => a.address), bcc, from: policy.from, reencoded };
}
