import type { Settings } from './settings.js';

/**
 * When a credential (client secret, certificate) is warned about and renewed: one default and one
 * way to count days for `config check`, the registration review and the service's self-renewal.
 */
export const DAY_MS = 86_400_000;

/** The default of account.secretRotateDays, and how long before a client secret's recorded Expires date config check warns. */
export const EXPIRY_WARNING_DAYS = 30;

/** account.secretRotateDays, or its default: how many days before a credential expires it is warned about and renewed. */
export function rotateDays(settings: Settings): number {
  return settings.account.secretRotateDays ?? EXPIRY_WARNING_DAYS;
}

/** Whole UTC calendar days from `now`'s day to the day of `end` (YYYY-MM-DD or an ISO time): 0 on the day itself, negative after. */
export function calendarDaysUntil(end: string, now: Date): number {
  const day = (iso: string) => Date.parse(`${iso.slice(0, 10)}T00:00:00Z`);
  return Math.round((day(end) - day(now.toISOString())) / DAY_MS);
}
