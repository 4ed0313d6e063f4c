/** E-mail addresses as the message model accepts them, checked before anything is sent. */

export type AddressInput = string | { address: string; name?: string };

export interface Mailbox {
  address: string;
  name?: string;
}

const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL_PART = new RegExp(`^${ATEXT}(?:\\.${ATEXT})*$`);
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TOP_LEVEL = /^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;
const NAME_MAX = 256;

/**
 * Why `address` is not a deliverable Internet address (dot-atom local part @ a DNS domain with at
 * least two labels), or undefined when it is one. Quoted local parts and IP-literal domains are
 * refused on purpose: Exchange Online rejects most of them and they are a common injection vector.
 */
export function addressProblem(address: string): string | undefined {
  if (address.length === 0) return 'the address is empty';
  if (/[\s,;<>"()[\]\\]/.test(address)) return 'it contains a space, comma, semicolon, quote or bracket (give one address per entry)';
  if (address.length > 254) return 'it is longer than 254 characters';
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return 'it needs the form name@domain';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64) return 'the part before @ is longer than 64 characters';
  if (!LOCAL_PART.test(local)) return `"${local}" is not a valid part before @`;
  const labels = domain.split('.');
  if (labels.length < 2) return `the domain "${domain}" needs a dot (like contoso.com)`;
  if (!labels.every((l) => DOMAIN_LABEL.test(l)) || !TOP_LEVEL.test(labels[labels.length - 1]!)) {
    return `"${domain}" is not a valid domain`;
  }
  return undefined;
}

/** Display names go into headers: no control characters or line breaks, bounded length. */
function sanitiseDisplayName(name: string): string {
  const clean = stripControls(name).replace(/\s+/g, ' ').trim();
  return [...clean].slice(0, NAME_MAX).join('');
}

/** Removes C0/C1 control characters and the Unicode line/paragraph separators, replacing line breaks with a space. */
export function stripControls(value: string): string {
  return value
    .replace(/[\r\n\u2028\u2029\t\v\f\u0085]+/g, ' ')
    .replace(/\p{Cc}/gu, '');
}

/**
 * One recipient: `user@contoso.com`, `Name <user@contoso.com>`, or `{ address, name }`.
 * Returns the mailbox or a problem phrased for the user.
 */
export function parseAddress(input: AddressInput): { mailbox: Mailbox } | { problem: string } {
  let address: string;
  let name: string | undefined;
  if (typeof input === 'string') {
    if (/[\r\n]/.test(input)) return { problem: `"${printable(input)}" contains a line break` };
    const trimmed = input.trim();
    const angle = /^(.*?)\s*<([^<>]*)>$/.exec(trimmed);
    if (angle) {
      address = angle[2]!.trim();
      name = angle[1]!.trim().replace(/^"(.*)"$/, '$1');
    } else {
      address = trimmed;
    }
  } else if (typeof input === 'object' && input !== null && typeof input.address === 'string') {
    address = input.address.trim();
    name = typeof input.name === 'string' ? input.name : undefined;
  } else {
    return { problem: 'a recipient must be a string or { address, name }' };
  }
  const problem = addressProblem(address);
  if (problem) return { problem: `"${printable(address)}" is not a valid e-mail address: ${problem}` };
  const cleanName = name === undefined ? undefined : sanitiseDisplayName(name);
  return { mailbox: cleanName ? { address, name: cleanName } : { address } };
}

/** For messages about bad input: no raw control characters, bounded length. */
export function printable(value: string): string {
  const shown = value.replace(/\p{Cc}/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}
