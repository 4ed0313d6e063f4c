import fs from 'node:fs';
import path from 'node:path';
import type { AlertRow, GroupRow, Severity } from './domain.js';
import type { Importance } from '../delivery/index.js';
import { eventTypeInfo, headlineFor } from './catalog.js';
import { formatSpan, formatTime, timeZoneNote } from './format.js';
import type { NotificationReason } from './state.js';
import { TemplateError, compileTemplate, sanitizeSubject, type Template } from './template.js';
import { BUILTIN_TEMPLATES, PART_FILE_SUFFIX, isBuiltinTemplate, type TemplateName, type TemplatePart } from './templates.js';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
  importance: Importance;
}

export interface TemplateProblem {
  file: string;
  message: string;
}

export const TEMPLATES_DIR_NAME = 'templates';
const MAX_TEMPLATE_BYTES = 256 * 1024;

export function templatesDir(home: string): string {
  return path.join(home, TEMPLATES_DIR_NAME);
}

interface CachedOverride {
  mtimeMs: number;
  size: number;
  template: Template | null;
}

/**
 * Built-in templates plus the user's overrides from a directory. An override that does not compile
 * is reported (problems) and the built-in part is used instead: a typo in a template must never
 * stop an alert from going out.
 */
export class TemplateSet {
  private readonly builtins = new Map<string, Template>();
  private readonly overrides = new Map<string, CachedOverride>();
  private readonly problemsByFile = new Map<string, string>();

  constructor(readonly dir?: string) {}

  get problems(): TemplateProblem[] {
    return [...this.problemsByFile].map(([file, message]) => ({ file, message }));
  }

  /** The first override among `names`, else the built-in of the first built-in name. */
  resolve(names: readonly string[], part: TemplatePart): Template {
    for (const name of names) {
      const override = this.override(name, part);
      if (override) return override;
    }
    const builtin = names.find(isBuiltinTemplate);
    if (!builtin) throw new Error(`No built-in template among ${names.join(', ')}`);
    return this.builtin(builtin, part);
  }

  /** Subject first (the HTML title and text can show it), then HTML and text. */
  render(names: readonly string[], data: Record<string, unknown>, importance: Importance): RenderedEmail {
    const subject = sanitizeSubject(this.resolve(names, 'subject').render(data, 'text'));
    const withSubject = { ...data, subject };
    return {
      subject,
      html: this.resolve(names, 'html').render(withSubject, 'html'),
      text: this.resolve(names, 'text').render(withSubject, 'text'),
      importance,
    };
  }

  private builtin(name: TemplateName, part: TemplatePart): Template {
    const key = `${name}${PART_FILE_SUFFIX[part]}`;
    let t = this.builtins.get(key);
    if (!t) {
      t = compileTemplate(BUILTIN_TEMPLATES[name][part], `built-in ${key}`);
      this.builtins.set(key, t);
    }
    return t;
  }

  private override(name: string, part: TemplatePart): Template | null {
    if (!this.dir || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) return null;
    const file = path.join(this.dir, `${name}${PART_FILE_SUFFIX[part]}`);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      this.overrides.delete(file);
      this.problemsByFile.delete(file);
      return null;
    }
    const cached = this.overrides.get(file);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.template;
    let template: Template | null = null;
    try {
      if (!stat.isFile()) throw new Error('is not a file');
      if (stat.size > MAX_TEMPLATE_BYTES) throw new Error(`is larger than ${MAX_TEMPLATE_BYTES / 1024} KB`);
      template = compileTemplate(fs.readFileSync(file, 'utf8'), file);
      this.problemsByFile.delete(file);
    } catch (err) {
      const message = err instanceof TemplateError ? err.message : `${file} ${(err as Error).message}`;
      this.problemsByFile.set(file, `${message}; the built-in template is used instead.`);
    }
    this.overrides.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, template });
    return template;
  }
}

// ---------------------------------------------------------------------------------------------
// Views: the data templates see.

export const SEVERITY_LABEL: Record<Severity, string> = { info: 'Info', warning: 'Warning', critical: 'Critical' };
const SEVERITY_COLORS: Record<Severity, { fg: string; bg: string }> = {
  critical: { fg: '#b42318', bg: '#fef3f2' },
  warning: { fg: '#b54708', bg: '#fffaeb' },
  info: { fg: '#175cd3', bg: '#eff8ff' },
};
const RESOLVED_COLORS = { fg: '#067647', bg: '#ecfdf3' };

export function severityColors(severity: Severity): { fg: string; bg: string } {
  return SEVERITY_COLORS[severity];
}

export interface DetailView {
  name: string;
  value: string;
}

export interface AlertView {
  type: string;
  title: string;
  headline: string;
  advice: string;
  severity: Severity;
  severityLabel: string;
  severityColor: string;
  severityBg: string;
  state: 'firing' | 'resolved';
  reason: NotificationReason | 'ongoing';
  stateLabel: string;
  stateColor: string;
  stateBg: string;
  isResolved: boolean;
  agent: string;
  folder: string;
  summary: string;
  dedupKey: string;
  since: string;
  resolvedAt: string;
  duration: string;
  lastSeen: string;
  eventCount: number;
  details: DetailView[];
}

const MAX_DETAIL_ROWS = 40;
const MAX_DETAIL_VALUE = 500;

/** Top-level details as name/value rows; nested values as compact JSON. */
function detailRows(details: Record<string, unknown>): DetailView[] {
  const rows: DetailView[] = [];
  for (const [name, value] of Object.entries(details)) {
    if (rows.length >= MAX_DETAIL_ROWS) break;
    let text: string;
    if (value === null || value === undefined) text = '';
    else if (typeof value === 'string') text = value;
    else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
    else text = JSON.stringify(value);
    rows.push({ name: name.slice(0, 100), value: text.length > MAX_DETAIL_VALUE ? `${text.slice(0, MAX_DETAIL_VALUE)}…` : text });
  }
  return rows;
}

const STATE_LABEL: Record<AlertView['reason'], string> = {
  new: 'Failing',
  escalated: 'Escalated',
  reminder: 'Still failing',
  ongoing: 'Still failing',
  resolved: 'Resolved',
};

function alertView(alert: AlertRow, reason: AlertView['reason'], timeZone: string | undefined): AlertView {
  const info = eventTypeInfo(alert.type);
  const resolved = alert.state === 'resolved';
  const sev = SEVERITY_COLORS[alert.severity];
  const stateColors = resolved ? RESOLVED_COLORS : sev;
  return {
    type: alert.type,
    title: info.title,
    headline: headlineFor(alert.type, alert.state, alert.agent, alert.folder),
    advice: info.advice,
    severity: alert.severity,
    severityLabel: SEVERITY_LABEL[alert.severity],
    severityColor: sev.fg,
    severityBg: sev.bg,
    state: alert.state,
    reason,
    stateLabel: STATE_LABEL[reason],
    stateColor: stateColors.fg,
    stateBg: stateColors.bg,
    isResolved: resolved,
    agent: alert.agent,
    folder: alert.folder,
    summary: alert.summary,
    dedupKey: alert.dedupKey,
    since: formatTime(alert.firstFiringAt, timeZone),
    resolvedAt: resolved ? formatTime(alert.resolvedAt, timeZone) : '',
    duration:
      resolved && alert.firstFiringAt !== null && alert.resolvedAt !== null ? formatSpan(alert.resolvedAt - alert.firstFiringAt) : '',
    lastSeen: formatTime(alert.lastEventAt, timeZone),
    eventCount: alert.eventCount,
    details: detailRows(alert.details),
  };
}

export interface AlertEmailInput {
  id: string;
  group: Pick<GroupRow, 'labels' | 'route'>;
  alerts: { alert: AlertRow; reason: AlertView['reason'] }[];
  now: number;
  timeZone?: string;
  /** The table shows at most this many alerts; the rest are counted. */
  maxAlerts?: number;
}

const LABEL_NAMES: Record<string, string> = { agent: 'Agent', folder: 'Folder', type: 'Check' };

function groupName(labels: Record<string, string>): string {
  const values = Object.entries(labels).map(([name, value]) => (name === 'type' ? eventTypeInfo(value).title : value));
  const shown = values.filter((v) => v !== '');
  return shown.length > 0 ? shown.join(' / ') : 'all agents';
}

function importanceOf(alerts: AlertView[]): Importance {
  if (alerts.some((a) => !a.isResolved && a.severity === 'critical')) return 'high';
  if (alerts.every((a) => a.isResolved)) return 'normal';
  return alerts.some((a) => !a.isResolved && a.severity === 'warning') ? 'normal' : 'low';
}

function worst(alerts: AlertView[]): Severity {
  const firing = alerts.filter((a) => !a.isResolved);
  if (firing.some((a) => a.severity === 'critical')) return 'critical';
  if (firing.some((a) => a.severity === 'warning')) return 'warning';
  return 'info';
}

/** The view and template names of an e-mail about some alerts of one group. */
export function alertEmailView(input: AlertEmailInput): { names: string[]; data: Record<string, unknown>; importance: Importance } {
  const max = input.maxAlerts ?? 200;
  // Failing first (new and escalated before reminders), then recoveries; criticals before warnings
  // before infos within each.
  const order: Record<AlertView['reason'], number> = { new: 0, escalated: 0, reminder: 1, ongoing: 1, resolved: 2 };
  const rank: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
  const views = input.alerts
    .map(({ alert, reason }) => alertView(alert, reason, input.timeZone))
    .sort((a, b) => order[a.reason] - order[b.reason] || rank[a.severity] - rank[b.severity]);
  const shown = views.slice(0, max);
  const firing = views.filter((a) => !a.isResolved);
  const resolved = views.filter((a) => a.isResolved);
  const name = groupName(input.group.labels);
  const single = views.length === 1;
  const first = views[0]!;
  const worstSeverity = worst(views);
  const allResolved = firing.length === 0;
  const onlyReminders = firing.length > 0 && firing.every((a) => a.reason === 'reminder' || a.reason === 'ongoing') && resolved.length === 0;
  const subjectTag = allResolved ? 'RESOLVED' : `${onlyReminders ? 'Reminder ' : ''}${SEVERITY_LABEL[worstSeverity].toUpperCase()}`;
  const counts = { firing: firing.length, resolved: resolved.length, total: views.length };
  const parts = [firing.length > 0 ? `${firing.length} failing` : '', resolved.length > 0 ? `${resolved.length} resolved` : ''].filter(Boolean);
  const headline = single ? first.headline : `ImageManager on ${name}: ${parts.join(', ')}`;
  const intro = single
    ? first.summary
    : `${parts.join(' and ')} on ${name}${onlyReminders ? ' (reminder: nothing has changed since the last e-mail)' : ''}.`;
  const accent = allResolved ? RESOLVED_COLORS.fg : SEVERITY_COLORS[worstSeverity].fg;
  const names = single ? [first.type, 'alert'] : ['group'];
  return {
    names,
    importance: importanceOf(views),
    data: {
      id: input.id,
      generatedAt: formatTime(input.now, input.timeZone),
      timeZoneNote: timeZoneNote(input.timeZone),
      eyebrow: `ImageManager · ${name}`,
      accent,
      headline,
      subjectTag,
      intro,
      group: {
        name,
        route: input.group.route,
        labels: Object.entries(input.group.labels).map(([label, value]) => ({ name: LABEL_NAMES[label] ?? label, value })),
      },
      counts,
      alert: first,
      alerts: shown,
      firing: firing.slice(0, max),
      resolved: resolved.slice(0, max),
      more: Math.max(0, views.length - shown.length),
      single,
    },
  };
}

export function renderAlertEmail(templates: TemplateSet, input: AlertEmailInput): RenderedEmail {
  const view = alertEmailView(input);
  return templates.render(view.names, view.data, view.importance);
}
