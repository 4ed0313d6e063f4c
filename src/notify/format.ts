/** Times and spans as e-mails show them. */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    formatters.set(key, f);
  }
  return f;
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** YYYY-MM-DD */
  date: string;
  zone: string;
}

/**
 * formatToParts costs microseconds a call, and an e-mail listing hundreds of alerts asks for the
 * same few minutes again and again (issue 14: the outage flush). The parts only change from one
 * minute to the next - every zone's offset is whole minutes since 1972 - so they are kept per
 * (zone, minute), a bounded number of them.
 */
const partsByMinute = new Map<string, Readonly<LocalParts>>();
const WHOLE_MINUTE_OFFSETS_SINCE = Date.UTC(1973, 0, 1);
const MAX_CACHED_MINUTES = 4096;

/** The parts of `ms` in `timeZone`: the cached object itself, frozen (callers only read it). */
export function localParts(ms: number, timeZone?: string): Readonly<LocalParts> {
  if (ms < WHOLE_MINUTE_OFFSETS_SINCE) return computeLocalParts(ms, timeZone);
  const key = `${timeZone ?? ''}|${Math.floor(ms / 60_000)}`;
  let parts = partsByMinute.get(key);
  if (!parts) {
    if (partsByMinute.size >= MAX_CACHED_MINUTES) partsByMinute.clear();
    parts = computeLocalParts(ms, timeZone);
    partsByMinute.set(key, parts);
  }
  return parts;
}

function computeLocalParts(ms: number, timeZone?: string): Readonly<LocalParts> {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) parts[p.type] = p.value;
  const year = Number(parts.year);
  const month = Number(parts.month);
  const day = Number(parts.day);
  const date = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  return Object.freeze({ year, month, day, hour: Number(parts.hour) % 24, minute: Number(parts.minute), date, zone: parts.timeZoneName ?? '' });
}

/** "2025-06-01 14:03 UTC" in the given time zone (default: the server's). */
export function formatTime(ms: number | null | undefined, timeZone?: string): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  const p = localParts(ms, timeZone);
  return `${p.date} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')} ${p.zone}`.trim();
}

/**
 * The footer's word on the time zone: every time in an e-mail is in the daily report's zone when
 * one is set (issue 10.8), and the e-mail says which; the server's own zone needs no note.
 */
export function timeZoneNote(timeZone?: string): string {
  return timeZone ? `Times are in ${timeZone}.` : '';
}

/** "3d 4h", "2h 5m", "4m", "under a minute". */
export function formatSpan(ms: number): string {
  if (!Number.isFinite(ms) || ms < 60_000) return 'under a minute';
  const minutes = Math.floor(ms / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  return `${m}m`;
}
