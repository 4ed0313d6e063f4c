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

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}
