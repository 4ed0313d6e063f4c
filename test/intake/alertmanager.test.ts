import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateEvents, alertmanagerToEvents, eventTypeForAlertname, severityForLabel } from '../../src/intake/index.js';

const NOW = Date.UTC(2025, 5, 2, 12, 0, 0);

function payload(alerts: unknown[], extra: Record<string, unknown> = {}) {
  return { version: '4', status: 'firing', receiver: 'o365', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am:9093', alerts, ...extra };
}

describe('Alertmanager webhook payloads as events', () => {
  it('maps alertname to a type: ImageManager ids (full or short) stay, others become custom.<snake_case>', () => {
    assert.equal(eventTypeForAlertname('imagemanager.verification_failed'), 'imagemanager.verification_failed');
    assert.equal(eventTypeForAlertname('verification_failed'), 'imagemanager.verification_failed');
    assert.equal(eventTypeForAlertname('HighDiskUsage'), 'custom.high_disk_usage');
    assert.equal(eventTypeForAlertname('KubePodCrashLooping'), 'custom.kube_pod_crash_looping');
    assert.equal(eventTypeForAlertname('HTTPErrors5xx'), 'custom.http_errors5xx');
    assert.equal(eventTypeForAlertname('weird name/with:chars!'), 'custom.weird_name_with_chars');
    assert.equal(eventTypeForAlertname('!!!'), 'custom.alert');
    assert.match(eventTypeForAlertname('A'.repeat(300)), /^custom\.a{63}$/);
  });

  it('maps severity labels: info, warning, critical; anything else is warning', () => {
    assert.equal(severityForLabel('critical'), 'critical');
    assert.equal(severityForLabel('Info'), 'info');
    assert.equal(severityForLabel('page'), 'warning');
    assert.equal(severityForLabel(undefined), 'warning');
  });

  it('maps labels, annotations, fingerprint and times; every mapped event passes validation', () => {
    const mapped = alertmanagerToEvents(
      payload([
        {
          status: 'firing',
          labels: { alertname: 'BackupLate', instance: 'srv1:9100', folder: 'D:\\Store', severity: 'critical', job: 'node' },
          annotations: { summary: 'Backup\r\nlate\u0007 on srv1', runbook: 'http://wiki/x' },
          startsAt: '2025-06-02T11:00:00.123456789Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://prom/graph',
          fingerprint: 'abc123',
        },
        {
          status: 'resolved',
          labels: { alertname: 'BackupLate', agent: 'SRV2', instance: 'ignored:1' },
          annotations: { description: 'Only a description' },
          startsAt: '2025-06-02T10:00:00Z',
          endsAt: '2025-06-02T11:30:00Z',
          fingerprint: 'def456',
        },
        { labels: { alertname: 'NoTimes' }, startsAt: '2999-01-01T00:00:00Z' },
      ]),
      NOW,
    );
    assert.ok(mapped.ok);
    const [a, b, c] = mapped.events as Record<string, any>[];
    assert.equal(a!.type, 'custom.backup_late');
    assert.equal(a!.agent, 'srv1:9100');
    assert.equal(a!.folder, 'D:\\Store');
    assert.equal(a!.severity, 'critical');
    assert.equal(a!.status, 'firing');
    assert.equal(a!.summary, 'Backup late on srv1', 'one line, control characters removed');
    assert.equal(a!.dedupKey, 'abc123');
    assert.equal(a!.occurredAt, '2025-06-02T11:00:00.123Z');
    assert.equal(a!.details.labels.job, 'node');
    assert.equal(a!.details.annotations.runbook, 'http://wiki/x');
    assert.equal(a!.details.generatorURL, 'http://prom/graph');
    assert.equal(b!.agent, 'SRV2', 'an agent label wins over instance');
    assert.equal(b!.status, 'resolved');
    assert.equal(b!.summary, 'Only a description');
    assert.equal(b!.occurredAt, '2025-06-02T11:30:00.000Z', 'resolved: when it ended');
    assert.equal(c!.summary, 'NoTimes');
    assert.equal(c!.status, 'firing', 'the envelope status');
    assert.equal(c!.occurredAt, undefined, 'a time far in the future is not used');
    const checked = validateEvents(mapped.events, NOW);
    assert.ok(checked.ok, JSON.stringify(!checked.ok && checked.errors));
  });

  it('refuses what is not a v4 payload, naming the field', () => {
    const errorsOf = (p: unknown) => {
      const r = alertmanagerToEvents(p, NOW);
      assert.ok(!r.ok);
      return r.errors.map((e) => e.path);
    };
    assert.deepEqual(errorsOf([]), ['']);
    assert.deepEqual(errorsOf(payload([{ labels: { alertname: 'x' } }], { version: 3 })), ['version']);
    assert.deepEqual(errorsOf(payload([])), ['alerts']);
    assert.deepEqual(errorsOf({ version: '4' }), ['alerts']);
    assert.deepEqual(errorsOf(payload([{ labels: { alertname: 'x' } }], { status: 'weird' })), ['status']);
    assert.deepEqual(errorsOf(payload(['x', { labels: 'x' }, { labels: {} }, { labels: { alertname: 'y' }, status: 'gone' }])), [
      'alerts[0]',
      'alerts[1].labels',
      'alerts[2].labels.alertname',
      'alerts[3].status',
    ]);
    assert.deepEqual(errorsOf(payload(Array.from({ length: 1001 }, () => ({ labels: { alertname: 'x' } })))), ['alerts']);
  });

  it('keeps details within the event limit when annotations are huge', () => {
    const mapped = alertmanagerToEvents(payload([{ labels: { alertname: 'Big' }, annotations: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`a${i}`, 'x'.repeat(1900)])) }]), NOW);
    assert.ok(mapped.ok);
    assert.equal(mapped.events[0]!.details && (mapped.events[0]!.details as any).truncated, true);
    assert.ok(validateEvents(mapped.events, NOW).ok);
  });
});
