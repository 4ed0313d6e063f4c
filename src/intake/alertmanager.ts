import { EVENT_LIMITS, type FieldError } from './index.js';
import { isCatalogType } from '../notify/index.js';
import { cleanText } from '../shared/index.js';

/**
 * Alertmanager's webhook (payload version 4) as events:
 *
 *   labels.alertname  -> type: an ImageManager type when it names one, else `custom.<alertname>`
 *   labels.agent / labels.instance -> agent,  labels.folder -> folder
 *   labels.severity   -> severity (info, warning, critical; anything else is warning)
 *   annotations.summary / description -> summary,  status -> status
 *   fingerprint -> dedupKey (one alert per label set),  startsAt / endsAt -> occurredAt
 *   labels, annotations, generatorURL -> details
 *
 * https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 */

export type AlertmanagerMapping = { ok: true; events: Record<string, unknown>[] } | { ok: false; errors: FieldError[] };

const MAX_DETAIL_STRING = 2000;
const DAY_MS = 86_400_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** One line of printable text (control characters and line breaks become spaces). */
function oneLine(value: string, max: number): string {
  const clean = cleanText(value, 'line').replace(/\s+/g, ' ').trim();
  const chars = [...clean];
  return chars.length <= max ? clean : chars.slice(0, max - 1).join('') + '\u2026';
}

/** Text for `details`: tabs and line breaks kept, other control characters dropped, bounded. */
function detailText(value: string): string {
  const clean = cleanText(value, 'text');
  return clean.length <= MAX_DETAIL_STRING ? clean : clean.slice(0, MAX_DETAIL_STRING - 1) + '\u2026';
}

/** String values of a label or annotation map (Alertmanager's are always strings; others are dropped). */
function stringMap(value: unknown, limit = 100): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  for (const [k, v] of Object.entries(value).slice(0, limit)) {
    if (typeof v === 'string' && k.length <= 200 && k !== '__proto__') out[oneLine(k, 200)] = detailText(v);
  }
  return out;
}

/** `HighDiskUsage` -> `custom.high_disk_usage`; an ImageManager id (or its short name) stays one. */
export function eventTypeForAlertname(alertname: string): string {
  const name = alertname.trim();
  if (isCatalogType(name)) return name;
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/[_.-]+$/, '');
  const short = `imagemanager.${snake}`;
  if (isCatalogType(short)) return short;
  return `custom.${(snake || 'alert').slice(0, 63)}`;
}

export function severityForLabel(label: string | undefined): 'info' | 'warning' | 'critical' {
  const value = label?.trim().toLowerCase();
  return value === 'info' || value === 'critical' ? value : 'warning';
}

/** An Alertmanager time as ISO 8601 when it is a usable past (or near) instant; else undefined (receive time). */
function usableTime(value: unknown, now: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms) || ms < Date.UTC(2000, 0, 1) || ms > now + DAY_MS) return undefined;
  return new Date(ms).toISOString();
}

/** Validates the envelope and maps every alert; errors name the payload's own fields. */
export function alertmanagerToEvents(payload: unknown, now: number = Date.now()): AlertmanagerMapping {
  const errors: FieldError[] = [];
  if (!isObject(payload)) return { ok: false, errors: [{ path: '', message: 'an Alertmanager webhook payload is a JSON object' }] };
  if (payload.version !== '4') {
    errors.push({ path: 'version', message: `must be "4" (Alertmanager's webhook payload version), not ${JSON.stringify(payload.version ?? null)}` });
  }
  const alerts = payload.alerts;
  if (!Array.isArray(alerts)) errors.push({ path: 'alerts', message: 'must be an array of alerts' });
  else if (alerts.length === 0) errors.push({ path: 'alerts', message: 'holds no alert' });
  else if (alerts.length > EVENT_LIMITS.maxEventsPerSubmission) {
    errors.push({ path: 'alerts', message: `too many alerts in one payload: at most ${EVENT_LIMITS.maxEventsPerSubmission} (set max_alerts in the webhook config)` });
  }
  const envelopeStatus = payload.status === 'resolved' ? 'resolved' : 'firing';
  if (payload.status !== undefined && payload.status !== 'firing' && payload.status !== 'resolved') {
    errors.push({ path: 'status', message: 'must be "firing" or "resolved"' });
  }
  if (errors.length > 0 || !Array.isArray(alerts)) return { ok: false, errors };

  const events: Record<string, unknown>[] = [];
  alerts.forEach((alert: unknown, i) => {
    if (!isObject(alert)) {
      errors.push({ path: `alerts[${i}]`, message: 'an alert is a JSON object' });
      return;
    }
    if (!isObject(alert.labels)) {
      errors.push({ path: `alerts[${i}].labels`, message: 'must be an object of label names and values' });
      return;
    }
    const labels = stringMap(alert.labels);
    const annotations = stringMap(alert.annotations);
    const alertname = labels.alertname?.trim();
    if (!alertname) {
      errors.push({ path: `alerts[${i}].labels.alertname`, message: 'is required: it becomes the event type' });
      return;
    }
    if (alert.status !== undefined && alert.status !== 'firing' && alert.status !== 'resolved') {
      errors.push({ path: `alerts[${i}].status`, message: 'must be "firing" or "resolved"' });
      return;
    }
    const status = (alert.status as 'firing' | 'resolved' | undefined) ?? envelopeStatus;
    const summary = annotations.summary?.trim() || annotations.description?.trim() || annotations.message?.trim() || alertname;
    const details: Record<string, unknown> = { source: 'alertmanager', alertname, labels };
    if (Object.keys(annotations).length > 0) details.annotations = annotations;
    if (typeof alert.generatorURL === 'string' && alert.generatorURL) details.generatorURL = detailText(alert.generatorURL);
    if (typeof payload.externalURL === 'string' && payload.externalURL) details.alertmanager = detailText(payload.externalURL);
    const event: Record<string, unknown> = {
      type: eventTypeForAlertname(alertname),
      severity: severityForLabel(labels.severity),
      status,
      agent: oneLine(labels.agent ?? labels.instance ?? '', EVENT_LIMITS.agentLength),
      folder: oneLine(labels.folder ?? '', EVENT_LIMITS.folderLength),
      summary: oneLine(summary, EVENT_LIMITS.summaryLength),
      details: fitDetails(details),
    };
    if (typeof alert.fingerprint === 'string' && alert.fingerprint.trim()) event.dedupKey = oneLine(alert.fingerprint, EVENT_LIMITS.dedupKeyLength);
    const occurredAt = usableTime(status === 'resolved' ? alert.endsAt : alert.startsAt, now);
    if (occurredAt) event.occurredAt = occurredAt;
    events.push(event);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, events };
}

/** Keeps `details` under the event limit: annotations go first, then labels beyond the essentials. */
function fitDetails(details: Record<string, unknown>): Record<string, unknown> {
  const size = (d: unknown) => Buffer.byteLength(JSON.stringify(d), 'utf8');
  if (size(details) <= EVENT_LIMITS.detailsBytes) return details;
  const { annotations: _dropped, ...rest } = details;
  if (size(rest) <= EVENT_LIMITS.detailsBytes) return { ...rest, truncated: true };
  return { source: 'alertmanager', alertname: details.alertname, truncated: true };
}
