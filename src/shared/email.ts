/**
 * The product's one e-mail address validator: settings (mail.to, account.sender, notifications),
 * the CLI, the API, the page and the message model all use it, so a value accepted in one place is
 * never refused (or silently dropped) in another.
 */

const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL_PART = new RegExp(`^${ATEXT}(?:\\.${ATEXT})*$`);
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TOP_LEVEL = /^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;

/**
 * Why `address` is not a deliverable Internet address (dot-atom local part @ a DNS domain with at
 * least two labels), or undefined when it is one. Quoted local parts and IP-literal domains are
 * refused on purpose: Exchange Online rejects most of them and they are a common injection vector.
 */
export function emailAddressProblem(address: string): string | undefined {
  if (address.length === 0) return 'the address is empty';
  if (/[\s,;<>"()[\]\\]/.test(address)) return 'it contains a space, comma, semicolon, quote or bracket (give one address per entry)';
  // eslint-disable-next-line no-control-regex -- control characters never belong in an address
  if (/[\u0000-\u001f\u007f-\u009f]/.test(address)) return 'it contains a control character';
  if (address.length > 254) return 'it is longer than 254 characters';
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return 'it needs the form name@domain';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64) return 'the part before @ is longer than 64 characters';
  if (!LOCAL_PART.test(local)) return `"${local}" is not a valid part before @`;
  if (domain.endsWith('.')) return `the domain "${domain}" ends with a dot`;
  const labels = domain.split('.');
  if (labels.length < 2) return `the domain "${domain}" needs a dot (like contoso.com)`;
  if (!labels.every((l) => DOMAIN_LABEL.test(l)) || !TOP_LEVEL.test(labels[labels.length - 1]!)) {
    return `"${domain}" is not a valid domain`;
  }
  return undefined;
}

/** A plain e-mail address (no display name), as Graph's recipients take them. */
export function isEmailAddress(value: string): boolean {
  return emailAddressProblem(value) === undefined;
}

/**
 * One bad entry of a recipient list, said the same way by every check of one (mail.to, the
 * notifications' recipients): what it is, why, and that it alone is left out.
 * `shown` is the entry as printable text; `othersRemain` whether a valid address is still listed;
 * `insteadWhenNone` what happens when none is (a list that falls back to another says so).
 */
export function badRecipientMessage(shown: string, why: string, othersRemain: boolean, insteadWhenNone = NOBODY_IS_EMAILED): string {
  return `"${shown}" is not an e-mail address (${why}): it gets nothing; ${othersRemain ? 'the other addresses still do' : insteadWhenNone}.`;
}

/** What happens when no address of a list is usable and nothing replaces it. */
export const NOBODY_IS_EMAILED = 'no other address is listed, so nobody is e-mailed';
