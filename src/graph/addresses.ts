/** E-mail addresses as the message model accepts them, checked before anything is sent. */
import { cleanText, emailAddressProblem, printable } from '../shared/index.js';

export type AddressInput = string | { address: string; name?: string };

export interface Mailbox {
  address: string;
  name?: string;
}

const NAME_MAX = 256;

/** Why `address` is not a deliverable address, or undefined (the product's one validator, src/shared/email.ts). */
export const addressProblem = emailAddressProblem;

/** Display names go into headers: no control characters or line breaks, bounded length. */
function sanitiseDisplayName(name: string): string {
  const clean = stripControls(name).replace(/\s+/g, ' ').trim();
  return [...clean].slice(0, NAME_MAX).join('');
}

/** One line: control characters become a space, direction overrides go (the product's one rule, src/shared/text.ts). */
export function stripControls(value: string): string {
  return cleanText(value, 'line');
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

export { printable };
