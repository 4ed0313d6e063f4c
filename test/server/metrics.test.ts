import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotifyMetrics } from '../../src/notify/index.js';
import { processMetrics } from '../../src/server/metrics.js';

const idle = { queueDepth: 0, undeliveredEvents: 0, oldestUndeliveredAgeSeconds: 0, signInBlocked: false };

/** The samples of the exposition text, name{labels} -> value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('NotifyMetrics: the service counters as Prometheus text (prom-client)', () => {
  it('keeps every metric name, type and label of the hand-written exposition', async () => {
    const m = new NotifyMetrics();
    const text = await m.text(idle);
    for (const [name, type] of [
      ['o365_notify_events_received_total', 'counter'], ['o365_notify_submissions_rejected_total', 'counter'],
      ['o365_notify_emails_queued_total', 'counter'], ['o365_notify_emails_sent_total', 'counter'],
      ['o365_notify_emails_failed_total', 'counter'], ['o365_notify_email_retries_total', 'counter'],
      ['o365_notify_graph_requests_total', 'counter'], ['o365_notify_queue_depth', 'gauge'],
      ['o365_notify_undelivered_events', 'gauge'], ['o365_notify_oldest_undelivered_event_age_seconds', 'gauge'],
      ['o365_notify_sign_in_blocked', 'gauge'], ['o365_notify_delivery_latency_seconds', 'histogram'],
    ]) {
      assert.match(text, new RegExp(`^# HELP ${name} \\S`, 'm'), name);
      assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), name);
    }
    // Nothing counted yet: the unlabelled counters say 0, the labelled ones have no sample.
    const s = samples(text);
    assert.equal(s.get('o365_notify_events_received_total'), 0);
    assert.equal([...s.keys()].some((k) => k.startsWith('o365_notify_emails_sent_total')), false);
  });

  it('reports the tallies, labels escaped, gauges as given and the latency histogram', async () => {
    const m = new NotifyMetrics();
    m.eventsReceived += 3;
    m.submissionsRejected++;
    m.emailRetries += 2;
    m.graphRequests += 7;
    m.emailQueued('alert');
    m.emailQueued('alert');
    m.emailSent('alert', 300);
    m.emailSent('test', 45_000);
    m.emailFailed('step "3"\\n');
    const s = samples(await m.text({ queueDepth: 4, undeliveredEvents: 2, oldestUndeliveredAgeSeconds: 12.5, signInBlocked: true }));
    assert.equal(s.get('o365_notify_events_received_total'), 3);
    assert.equal(s.get('o365_notify_submissions_rejected_total'), 1);
    assert.equal(s.get('o365_notify_email_retries_total'), 2);
    assert.equal(s.get('o365_notify_graph_requests_total'), 7);
    assert.equal(s.get('o365_notify_emails_queued_total{kind="alert"}'), 2);
    assert.equal(s.get('o365_notify_emails_sent_total{kind="test"}'), 1);
    assert.equal(s.get('o365_notify_emails_failed_total{reason="step \\"3\\"\\\\n"}'), 1);
    assert.equal(s.get('o365_notify_queue_depth'), 4);
    assert.equal(s.get('o365_notify_undelivered_events'), 2);
    assert.equal(s.get('o365_notify_oldest_undelivered_event_age_seconds'), 12.5);
    assert.equal(s.get('o365_notify_sign_in_blocked'), 1);
    assert.equal(s.get('o365_notify_delivery_latency_seconds_bucket{le="0.25"}'), 0);
    assert.equal(s.get('o365_notify_delivery_latency_seconds_bucket{le="0.5"}'), 1);
    assert.equal(s.get('o365_notify_delivery_latency_seconds_bucket{le="60"}'), 2);
    assert.equal(s.get('o365_notify_delivery_latency_seconds_bucket{le="+Inf"}'), 2);
    assert.equal(s.get('o365_notify_delivery_latency_seconds_count'), 2);
    assert.equal(s.get('o365_notify_delivery_latency_seconds_sum'), 45.3);
    // A second scrape reads the tallies again, it does not add them up twice.
    m.eventsReceived++;
    assert.equal(samples(await m.text(idle)).get('o365_notify_events_received_total'), 4);
    assert.deepEqual(m.snapshot().emailsSent, { alert: 1, test: 1 });
  });

  it('two services in one process keep their own counts', async () => {
    const a = new NotifyMetrics();
    const b = new NotifyMetrics();
    a.eventsReceived = 5;
    assert.equal(samples(await b.text(idle)).get('o365_notify_events_received_total'), 0);
  });
});

describe('processMetrics: prom-client default process metrics and token refreshes', () => {
  it('has the process metrics and reads the token endpoint calls at each scrape', async () => {
    let calls = 2;
    const registry = processMetrics(() => calls);
    let s = samples(await registry.metrics());
    assert.ok(Number.isFinite(s.get('process_cpu_user_seconds_total')));
    assert.ok((s.get('nodejs_heap_size_used_bytes') ?? 0) > 0);
    assert.equal(s.get('o365_notify_token_refreshes_total'), 2);
    calls = 5;
    s = samples(await registry.metrics());
    assert.equal(s.get('o365_notify_token_refreshes_total'), 5);
    assert.match(registry.contentType, /^text\/plain; version=0\.0\.4/);
  });
});
