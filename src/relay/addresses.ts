import { libmime } from './libmime.js';
import addressparser from 'nodemailer/lib/addressparser';

/** One mailbox from an address header (To, Cc, From...), its display name decoded. */
export interface HeaderAddress {
  name: string;
  address: string;
}

/**
 * The two forms nearly every sender writes, `a@b.com` and `Name <a@b.com>`, read without the
 * full parser (it was a tenth of the relay's work per message); addressparser gives the same
 * result for them (test/relay/addresses.test.ts), and reads everything else.
 */
const SIMPLE_ADDRESS = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;
const SIMPLE_NAMED = /^([A-Za-z0-9]+(?: [A-Za-z0-9]+)*) ?<([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>$/;

function simpleAddress(text: string): HeaderAddress[] | undefined {
  if (SIMPLE_ADDRESS.test(text)) return [{ name: '', address: text }];
  const named = SIMPLE_NAMED.exec(text);
  return named ? [{ name: named[1]!, address: named[2]! }] : undefined;
}

/** The mailboxes of an address header; groups (`undisclosed-recipients:;`) give their members, if any. */
export function parseAddressList(text: string): HeaderAddress[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const simple = simpleAddress(trimmed);
  if (simple) return simple;
  let parsed: { name: string; address: string }[];
  try {
    parsed = addressparser(text, { flatten: true });
  } catch {
    return [];
  }
  return parsed
    .filter((a) => typeof a.address === 'string' && a.address.includes('@'))
    .map((a) => ({ name: decodeName(a.name ?? ''), address: a.address.trim() }));
}

function decodeName(name: string): string {
  if (!name.includes('=?')) return name.trim();
  try {
    return libmime().decodeWords(name).trim();
  } catch {
    return name.trim();
  }
}

/** `"Name" <address>` with the name encoded (RFC 2047) when it is not ASCII and quoted when it must be. */
export function formatAddress(a: HeaderAddress): string {
  if (!a.name) return `<${a.address}>`;
  const name = /[^\x20-\x7e]/.test(a.name)
    ? libmime().encodeWords(a.name, 'Q', 52)
    : /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+$/.test(a.name)
      ? a.name
      : `"${a.name.replace(/["\\]/g, '\\$&')}"`;
  return `${name} <${a.address}>`;
}

export function formatAddressList(list: readonly HeaderAddress[]): string {
  return list.map(formatAddress).join(',\r\n ');
}

export function sameAddress(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** The domain of an address, lower case. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** An allow list of addresses and domains (`contoso.com` also covers its subdomains); empty allows all. */
export function allowedBy(list: readonly string[], address: string): boolean {
  if (list.length === 0) return true;
  const lower = address.toLowerCase();
  const domain = domainOf(lower);
  return list.some((entry) => {
    const e = entry.toLowerCase();
    return e.includes('@') ? e === lower : domain === e || domain.endsWith(`.${e}`);
  });
}
