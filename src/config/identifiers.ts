import { isIP } from 'node:net';

/** Shapes of the identifiers the guide asks for. */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GUID_INSIDE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
// A DNS name with at least two labels and an alphabetic top-level label (contoso.onmicrosoft.com).
const DOMAIN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** The tenant of personal Microsoft accounts (outlook.com, Xbox, Skype). */
export const CONSUMER_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

/** Authority path names that are not a tenant. */
export const TENANT_ALIASES = ['common', 'organizations', 'consumers'] as const;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** A GUID inside a longer paste (a URL, braces, a label); undefined when there is none. */
export function findGuid(value: string): string | undefined {
  return GUID_INSIDE.exec(value)?.[0];
}

export function isDomainName(value: string): boolean {
  return DOMAIN.test(value);
}

/** The product's one e-mail validator (src/shared/email.ts). */
export { emailAddressProblem, isEmailAddress } from '../shared/index.js';

/** YYYY-MM-DD that is a real calendar date. */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function isoDate(year: number, month: number, day: number): string | undefined {
  const text = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  return isCalendarDate(text) ? text : undefined;
}

function monthNumber(name: string): number | undefined {
  const i = MONTHS.indexOf(name.slice(0, 3).toLowerCase());
  return i === -1 || (name.length > 3 && !/^[a-z]+\.?$/i.test(name)) ? undefined : i + 1;
}

/** What the date fields accept, for messages. */
export const DATE_FORMS = 'YYYY-MM-DD such as 2027-05-31 (31/05/2027, 5/31/2027 when day and month cannot be mixed up, 31.05.2027 and 31 May 2027 work too)';

/**
 * A date as the portal or a person writes it, as YYYY-MM-DD: 2027-05-31, 2027/05/31, 31.05.2027
 * (day first), 31/05/2027 or 5/31/2027 (only when the day is over 12, so it cannot be read the
 * other way), 31 May 2027, May 31, 2027. The portal shows the secret's "Expires" in the browser's
 * locale, so both orders occur; an ambiguous one such as 05/06/2027 is refused, naming both readings.
 */
export function parseCalendarDate(input: string): { date: string } | { problem: string } {
  const text = input.trim();
  const fail = (why = `"${text.slice(0, 40)}" is not a date`) => ({ problem: why });
  let m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(text);
  if (m) {
    const date = isoDate(Number(m[1]), Number(m[2]), Number(m[3]));
    return date ? { date } : fail(`"${text}" is not a day of the calendar`);
  }
  m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(text);
  if (m) {
    const date = isoDate(Number(m[3]), Number(m[2]), Number(m[1]));
    return date ? { date } : fail(`"${text}" is not a day of the calendar`);
  }
  m = /^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$/.exec(text);
  if (m) {
    const [a, b, year] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const dayFirst = isoDate(year, b, a);
    const monthFirst = isoDate(year, a, b);
    if (dayFirst && monthFirst && dayFirst !== monthFirst) {
      return fail(`"${text}" could be ${dayFirst} or ${monthFirst}`);
    }
    const date = dayFirst ?? monthFirst;
    return date ? { date } : fail(`"${text}" is not a day of the calendar`);
  }
  m = /^(\d{1,2})[\s-]+([A-Za-z]+\.?)[\s-]+(\d{4})$/.exec(text) ?? null;
  let parts: [number | undefined, number, number] | undefined;
  if (m) parts = [monthNumber(m[2]!), Number(m[1]), Number(m[3])];
  const named = /^([A-Za-z]+\.?)\s+(\d{1,2}),?\s+(\d{4})$/.exec(text);
  if (named) parts = [monthNumber(named[1]!), Number(named[2]), Number(named[3])];
  if (parts && parts[0] !== undefined) {
    const date = isoDate(parts[2], parts[0], parts[1]);
    return date ? { date } : fail(`"${text}" is not a day of the calendar`);
  }
  return fail();
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** An IP address or a CIDR range (`10.0.0.0/8`, `fd00::/8`): what the SMTP relay's client lists hold. */
export function isNetworkRange(value: string): boolean {
  const [address, prefix, extra] = value.split('/');
  if (extra !== undefined || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}
