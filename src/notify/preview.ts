import type { AlertRow, StoredEvent } from './domain.js';
import { catalogEntries, eventTypeInfo, isKnownEventType } from './catalog.js';
import { healthEmailView, secretExpiryNotice } from './health.js';
import { renderAlertEmail, type RenderedEmail, type TemplateSet } from './render.js';
import { dailyReportView } from './report.js';

/** What `o365-notify preview` can show besides event types. */
export const PREVIEW_NAMES = ['group', 'daily-report', 'health', 'test'] as const;

export class PreviewError extends Error {
  constructor(name: string) {
    super(
      `Nothing to preview for "${name}". Use an event type (${catalogEntries()
        .filter((e) => e.kind === 'alert')
        .map((e) => e.id)
        .join(', ')}, or custom.<name>), or one of ${PREVIEW_NAMES.join(', ')}.`,
    );
    this.name = 'PreviewError';
  }
}

const HOUR = 60 * 60 * 1000;
const SAMPLE_ID = '00000000-0000-4000-8000-000000000000';

function sampleAlert(type: string, now: number, overrides: Partial<AlertRow> = {}): AlertRow {
  const firstFiringAt = now - 2 * HOUR - 14 * 60_000;
  return {
    key: JSON.stringify([type, 'SRV-FS01', 'D:\\Backups\\SRV-FS01', '']),
    type,
    agent: 'SRV-FS01',
    folder: 'D:\\Backups\\SRV-FS01',
    dedupKey: '',
    severity: eventTypeInfo(type).defaultSeverity,
    summary: sampleSummary(type),
    details: { image: 'SRV-FS01_C_VOL-b001-i0042.spi', job: 'Nightly verification', attempts: 3 },
    state: 'firing',
    firstFiringAt,
    resolvedAt: null,
    lastEventAt: now - 5 * 60_000,
    lastEventId: 42,
    eventCount: 3,
    groupKey: 'default|{"agent":"SRV-FS01"}',
    lastNotifiedAt: null,
    lastNotifiedState: null,
    lastNotifiedSeverity: null,
    ...overrides,
  };
}

function sampleSummary(type: string): string {
  switch (type) {
    case 'imagemanager.verification_failed':
      return 'Verification of SRV-FS01_C_VOL-b001-i0042.spi failed: the image file is corrupt (read error at offset 0x3A2F000).';
    case 'imagemanager.consolidation_failed':
      return 'Daily consolidation of 2025-06-01 failed: not enough free space on D: (2.1 GB free, 14.8 GB needed).';
    case 'imagemanager.disk_usage_over_threshold':
      return 'D: is 93% full (threshold 90%).';
    case 'imagemanager.inactive_folder':
      return 'No new image for 26 hours (limit 24 hours).';
    case 'imagemanager.service_not_responding':
      return 'The ImageManager service did not answer for 10 minutes.';
    default:
      return `${eventTypeInfo(type).title}: sample event for the preview.`;
  }
}

/**
 * Renders a sample e-mail with the current templates (the user's overrides included): an event
 * type, or `group`, `daily-report`, `health`, `test`.
 */
export function previewEmail(name: string, options: { templates: TemplateSet; now: number; timeZone?: string }): RenderedEmail {
  const { templates, now, timeZone } = options;
  if (name === 'imagemanager.daily_report') name = 'daily-report';
  if (isKnownEventType(name) && eventTypeInfo(name).kind === 'alert') {
    return renderAlertEmail(templates, {
      id: SAMPLE_ID,
      group: { route: 'default', labels: { agent: 'SRV-FS01' } },
      alerts: [{ alert: sampleAlert(name, now), reason: 'new' }],
      now,
      timeZone,
    });
  }
  switch (name) {
    case 'group':
      return renderAlertEmail(templates, {
        id: SAMPLE_ID,
        group: { route: 'default', labels: { agent: 'SRV-FS01' } },
        alerts: [
          { alert: sampleAlert('imagemanager.verification_failed', now), reason: 'new' },
          { alert: sampleAlert('imagemanager.replication_failed', now, { folder: 'D:\\Backups\\SRV-SQL02', key: 'b' }), reason: 'reminder' },
          {
            alert: sampleAlert('imagemanager.disk_usage_over_threshold', now, { state: 'resolved', resolvedAt: now - 10 * 60_000, key: 'c' }),
            reason: 'resolved',
          },
        ],
        now,
        timeZone,
      });
    case 'daily-report': {
      const alerts = [
        sampleAlert('imagemanager.verification_failed', now),
        sampleAlert('imagemanager.replication_failed', now, { agent: 'SRV-SQL02', folder: 'E:\\Backups\\SQL02', severity: 'warning' }),
        sampleAlert('imagemanager.inactive_folder', now, { agent: 'SRV-DC01', folder: 'D:\\Backups\\DC01', state: 'resolved' }),
      ];
      const events: StoredEvent[] = alerts.map((a, i) => ({
        id: i + 1,
        receivedAt: now - (i + 1) * HOUR,
        type: a.type,
        severity: a.severity,
        status: a.state,
        agent: a.agent,
        folder: a.folder,
        summary: a.summary,
        details: {},
        occurredAt: now - (i + 1) * HOUR,
        dedupKey: '',
        alertKey: a.key,
        groupKey: null,
        outcome: 'notified',
      }));
      const data = dailyReportView({
        id: SAMPLE_ID,
        date: new Date(now).toISOString().slice(0, 10),
        now,
        timeZone,
        alerts,
        events,
        moreEvents: 0,
        counts: events.map((e) => ({ type: e.type, severity: e.severity, status: e.status, count: 1 })),
      });
      return templates.render(['daily-report'], data, 'normal');
    }
    case 'health': {
      const expires = new Date(now + 6 * 24 * HOUR).toISOString().slice(0, 10);
      return templates.render(['health'], healthEmailView(secretExpiryNotice(expires, now)!, SAMPLE_ID, now, timeZone), 'high');
    }
    case 'test':
      return templates.render(
        ['test'],
        { id: SAMPLE_ID, generatedAt: '', eyebrow: 'o365-notify · test', accent: '#175cd3', headline: 'o365-notify test e-mail', message: 'A test e-mail.' },
        'normal',
      );
    default:
      throw new PreviewError(name);
  }
}
