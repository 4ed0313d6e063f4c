import type { AlertRow, Severity, StoredEvent } from './domain.js';
import type { NotifyStoreTx } from './store-port.js';
import { eventTypeInfo, headlineFor } from './catalog.js';
import { formatTime, localParts, timeZoneNote } from './format.js';
import { SEVERITY_LABEL, severityColors, type RenderedEmail, type TemplateSet } from './render.js';
import { type DailyReportSettings, SEVERITY_RANK } from './rules.js';

/**
 * The daily status report: every agent and folder o365-notify knows with its current state, and
 * the events of the last 24 hours. Sent once a day at the configured local time.
 */

export const LAST_REPORT_META_KEY = 'daily_report.last_date';
const WINDOW_MS = 24 * 60 * 60 * 1000;
const MAX_ROWS = 500;
const MAX_RECENT_EVENTS = 100;
const MAX_AGENT_REPORTS = 50;

/**
 * Whether the report is due at `now`: `{date, send: true}` to send the report of that local date,
 * `{date, send: false}` only to record a marker, null for nothing to do. A report missed while the
 * service was down is sent once when it starts again the same day. The very first time (no marker
 * yet) only records one: before the report time a marker that lets today's report go out, after it
 * today's date - so setting up in the afternoon does not send a report at once.
 */
export function dueReportDate(settings: DailyReportSettings, now: number, lastDate: string | undefined): { date: string; send: boolean } | null {
  if (!settings.enabled) return null;
  const local = localParts(now, settings.timeZone);
  const beforeTime = local.hour * 60 + local.minute < settings.hour * 60 + settings.minute;
  if (lastDate === undefined) return { date: beforeTime ? '' : local.date, send: false };
  if (beforeTime || lastDate === local.date) return null;
  return { date: local.date, send: true };
}

interface Row {
  agent: string;
  folder: string;
  severity: Severity | null;
  problems: string[];
}

const OK_COLORS = { fg: '#067647', bg: '#ecfdf3' };

function stateOf(row: Row): { stateLabel: string; stateColor: string; stateBg: string } {
  if (row.severity === null) return { stateLabel: 'OK', stateColor: OK_COLORS.fg, stateBg: OK_COLORS.bg };
  const c = severityColors(row.severity);
  return { stateLabel: SEVERITY_LABEL[row.severity], stateColor: c.fg, stateBg: c.bg };
}

export interface DailyReportInput {
  id: string;
  date: string;
  now: number;
  timeZone?: string;
  alerts: AlertRow[];
  events: StoredEvent[];
  /** Events in the window beyond those listed. */
  moreEvents: number;
  counts: { type: string; severity: Severity; status: 'firing' | 'resolved'; count: number }[];
}

export function dailyReportView(input: DailyReportInput): Record<string, unknown> {
  const tz = input.timeZone;
  const rows = new Map<string, Row>();
  const rowFor = (agent: string, folder: string) => {
    const key = JSON.stringify([agent, folder]);
    let row = rows.get(key);
    if (!row) {
      row = { agent, folder, severity: null, problems: [] };
      rows.set(key, row);
    }
    return row;
  };
  for (const alert of input.alerts) {
    if (eventTypeInfo(alert.type).kind === 'report') continue;
    const row = rowFor(alert.agent, alert.folder);
    if (alert.state !== 'firing') continue;
    if (row.severity === null || SEVERITY_RANK[alert.severity] > SEVERITY_RANK[row.severity]) row.severity = alert.severity;
    row.problems.push(`${eventTypeInfo(alert.type).title} since ${formatTime(alert.firstFiringAt, tz)}: ${alert.summary}`);
  }
  for (const e of input.events) if (eventTypeInfo(e.type).kind !== 'report') rowFor(e.agent, e.folder);
  const sorted = [...rows.values()].sort(
    (a, b) =>
      (b.severity === null ? -1 : SEVERITY_RANK[b.severity]) - (a.severity === null ? -1 : SEVERITY_RANK[a.severity]) ||
      a.agent.localeCompare(b.agent) ||
      a.folder.localeCompare(b.folder),
  );
  const failing = sorted.filter((r) => r.severity !== null).length;
  const agents = new Set(sorted.map((r) => r.agent)).size;

  const countRows = new Map<string, { title: string; severityLabel: string; firing: number; resolved: number }>();
  for (const c of input.counts) {
    if (eventTypeInfo(c.type).kind === 'report') continue;
    const key = `${c.type}|${c.severity}`;
    const row = countRows.get(key) ?? { title: eventTypeInfo(c.type).title, severityLabel: SEVERITY_LABEL[c.severity], firing: 0, resolved: 0 };
    row[c.status] += c.count;
    countRows.set(key, row);
  }
  const listed = input.events.filter((e) => eventTypeInfo(e.type).kind !== 'report');
  const agentReports = input.events
    .filter((e) => eventTypeInfo(e.type).kind === 'report')
    .slice(0, MAX_AGENT_REPORTS)
    .map((e) => ({ agent: e.agent, time: formatTime(e.occurredAt, tz), summary: e.summary }));
  const worst = sorted[0]?.severity ?? null;
  return {
    id: input.id,
    generatedAt: formatTime(input.now, tz),
    timeZoneNote: timeZoneNote(tz),
    eyebrow: `ImageManager · daily status report · ${input.date}`,
    accent: worst === null ? OK_COLORS.fg : severityColors(worst).fg,
    subjectTag: failing > 0 ? `${failing} failing` : 'All OK',
    headline: `ImageManager status for ${input.date}`,
    intro:
      sorted.length === 0
        ? 'No agent has reported to o365-notify yet.'
        : `${agents} ${agents === 1 ? 'agent' : 'agents'}, ${sorted.length} ${sorted.length === 1 ? 'folder' : 'folders'}: ` +
          (failing === 0 ? 'everything is OK.' : `${failing} with problems, ${sorted.length - failing} OK.`),
    windowLabel: 'in the last 24 hours',
    totals: { agents, folders: sorted.length, failing, ok: sorted.length - failing },
    rows: sorted.slice(0, MAX_ROWS).map((r) => ({ agent: r.agent || '(no agent)', folder: r.folder, problems: r.problems, ...stateOf(r) })),
    moreRows: Math.max(0, sorted.length - MAX_ROWS),
    eventCounts: [...countRows.values()].sort((a, b) => a.title.localeCompare(b.title)),
    recentEvents: listed.map((e) => ({
      time: formatTime(e.occurredAt, tz),
      statusLabel: e.status === 'resolved' ? 'Resolved' : SEVERITY_LABEL[e.severity],
      severityColor: e.status === 'resolved' ? OK_COLORS.fg : severityColors(e.severity).fg,
      headline: headlineFor(e.type, e.status, e.agent, e.folder),
      summary: e.summary,
    })),
    moreEvents: input.moreEvents,
    agentReports,
  };
}

/** Reads the store and renders the report for `date` as of `now`. */
export async function renderDailyReport(
  store: Pick<NotifyStoreTx, 'events' | 'alerts'>,
  templates: TemplateSet,
  options: { id: string; date: string; now: number; timeZone?: string },
): Promise<RenderedEmail> {
  const from = options.now - WINDOW_MS;
  const counts = await store.events.countsBetweenTimes(from, options.now + 1);
  const total = counts.reduce((n, c) => n + c.count, 0);
  const events = await store.events.receivedBetween(from, options.now + 1, MAX_RECENT_EVENTS);
  const data = dailyReportView({
    ...options,
    alerts: await store.alerts.list(),
    events,
    moreEvents: Math.max(0, total - events.length),
    counts,
  });
  const failing = (data.totals as { failing: number }).failing;
  return templates.render(['daily-report'], data, failing > 0 ? 'normal' : 'low');
}
