import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { rotateApiToken, type RunningService } from '../../src/server/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { ADMIN, TEAM, header, inbox, request, serviceHome, startTestService, waitFor, type LogCapture } from './helpers.js';

const VERIFY = 'imagemanager.verification_failed';
const CONSOLIDATE = 'imagemanager.consolidation_failed';

describe('the service API over HTTP, delivering through the emulator', () => {
  let emu: TestEmulator;
  let svc: RunningService;
  let logs: LogCapture;
  let token: string;
  let cleanup: () => Promise<void>;

  before(async () => {
    emu = await startTestEmulator();
    const h = await serviceHome(emu);
    cleanup = h.cleanup;
    token = (await rotateApiToken(h.home)).token;
    ({ svc, logs } = await startTestService(h.home));
  });
  after(async () => {
    await svc?.close();
    await emu.stop();
    await cleanup();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => request(svc.url, 'POST', path, { token, body, headers });
  const get = (path: string) => request(svc.url, 'GET', path, { token });
  const mailsAbout = async (upn: string, text: string) => (await inbox(emu, upn)).filter((m) => m.subject.includes(text));

  it('ImageManager events: 202 with ids after commit, one grouped e-mail per agent, then one recovery e-mail', async () => {
    const r = await post('/api/v1/events', [
      { type: VERIFY, agent: 'SRV-A', folder: 'D:\\Backups\\SRV-A', summary: 'Verification failed for image 42' },
      { type: CONSOLIDATE, agent: 'SRV-A', folder: 'D:\\Backups\\SRV-A', summary: 'Consolidation failed: disk full' },
      { type: VERIFY, agent: 'SRV-B', summary: 'Verification failed for image 7', severity: 'warning' },
    ]);
    assert.equal(r.status, 202, r.text);
    assert.equal(r.json.ids.length, 3);
    const committed = openStore(svc.store.file);
    try {
      assert.equal((committed.db.prepare('SELECT COUNT(*) AS n FROM events WHERE id IN (?, ?, ?)').get(...r.json.ids) as { n: number }).n, 3, 'acknowledged = committed');
    } finally {
      committed.close();
    }

    const [a] = await waitFor(async () => (await mailsAbout(TEAM, 'SRV-A')).length === 1 && mailsAbout(TEAM, 'SRV-A'), 'the SRV-A e-mail');
    const [b] = await waitFor(async () => (await mailsAbout(TEAM, 'SRV-B')).length === 1 && mailsAbout(TEAM, 'SRV-B'), 'the SRV-B e-mail');
    assert.match(a.subject, /CRITICAL/);
    assert.match(a.body.content, /Verification failed for image 42/);
    assert.match(a.body.content, /Consolidation failed: disk full/, 'both alerts of SRV-A in one e-mail');
    assert.doesNotMatch(a.body.content, /image 7/, 'grouped by agent');
    assert.ok(header(a, 'x-o365-notify-id'));
    assert.match(b.subject, /WARNING/);

    const resolved = await post('/api/v1/events', [
      { type: VERIFY, agent: 'SRV-A', folder: 'D:\\Backups\\SRV-A', summary: 'Verification succeeded', status: 'resolved' },
      { type: CONSOLIDATE, agent: 'SRV-A', folder: 'D:\\Backups\\SRV-A', summary: 'Consolidation succeeded', status: 'resolved' },
    ]);
    assert.equal(resolved.status, 202);
    const [recovery] = await waitFor(async () => (await mailsAbout(TEAM, 'RESOLVED')).length > 0 && mailsAbout(TEAM, 'RESOLVED'), 'the recovery e-mail');
    assert.match(recovery.subject, /SRV-A/);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await mailsAbout(TEAM, 'SRV-A')).length, 2, 'one e-mail when it failed, one when it recovered');

    // One log line per delivery, with the e-mail's id; never the API token.
    const sentLines = logs.records().filter((l) => l.msg === 'e-mail accepted by Microsoft Graph');
    assert.ok(sentLines.some((l) => l.id === header(a, 'x-o365-notify-id')));
    assert.ok(!logs.text().includes(token));
  });

  it('401 without a token or with a wrong one, saying how to get one; health checks need none', async () => {
    const none = await request(svc.url, 'POST', '/api/v1/events', { body: { type: VERIFY, summary: 'x' } });
    assert.equal(none.status, 401);
    assert.equal(none.json.error, 'unauthorized');
    assert.match(none.json.message, /Authorization: Bearer/);
    assert.match(none.json.message, /token rotate/);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    const wrong = await request(svc.url, 'GET', '/api/v1/status', { token: token.slice(0, -2) + 'xx' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.json.message, /not valid/);
    const basic = await request(svc.url, 'GET', '/api/v1/status', { headers: { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` } });
    assert.equal(basic.status, 401);
    assert.equal((await request(svc.url, 'GET', '/metrics')).status, 401);

    const health = await request(svc.url, 'GET', '/healthz');
    assert.equal(health.status, 200);
    assert.equal(health.json.status, 'ok');
    const ready = await request(svc.url, 'GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.json.ready, true);
  });

  it('400 lists every field error and stores nothing; 413, 415 and invalid UTF-8 are refused cleanly', async () => {
    const before_ = svc.store.db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number };
    const bad = await post('/api/v1/events', [
      { type: VERIFY, summary: 'ok' },
      { type: 'imagemanager.nonsense', severity: 'loud', summary: '', agnet: 'SRV' },
    ]);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error, 'invalid-events');
    const paths = bad.json.errors.map((e: { path: string }) => e.path);
    for (const p of ['[1].type', '[1].severity', '[1].summary', '[1].agnet']) assert.ok(paths.includes(p), `${p} in ${paths}`);
    assert.match(bad.json.errors.find((e: { path: string }) => e.path === '[1].agnet').message, /Did you mean "agent"/);

    const injected = await post('/api/v1/events', { type: VERIFY, summary: 'Disk full\r\nBcc: victim@example.com' });
    assert.equal(injected.status, 400);
    assert.equal(injected.json.errors[0].path, 'summary');

    const notJson = await post('/api/v1/events', '{"type": ', { 'content-type': 'application/json' });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.json.error, 'invalid-json');

    const latin1 = Buffer.concat([Buffer.from('{"type":"custom.x","summary":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const invalidUtf8 = await post('/api/v1/events', latin1, { 'content-type': 'application/json' });
    assert.equal(invalidUtf8.status, 400);
    assert.match(invalidUtf8.json.message, /UTF-8/);

    const huge = await post('/api/v1/events', JSON.stringify({ type: VERIFY, summary: 'x', details: { blob: 'x'.repeat(1_100_000) } }), { 'content-type': 'application/json' });
    assert.equal(huge.status, 413);
    assert.equal(huge.json.error, 'payload-too-large');

    const text = await post('/api/v1/events', 'type=x', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    assert.equal(text.json.error, 'unsupported-media-type');
    const form = await post('/api/v1/events', 'type=x', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 415);
    const noType = await request(svc.url, 'POST', '/api/v1/events', { token });
    assert.equal(noType.status, 415);
    const otherCharset = await post('/api/v1/events', '{}', { 'content-type': 'application/json; charset=iso-8859-1' });
    assert.equal(otherCharset.status, 415);

    const deep = '['.repeat(50_000) + '"x"' + ']'.repeat(50_000);
    const nested = await post('/api/v1/events', `{"type": "${VERIFY}", "summary": "x", "details": {"deep": ${deep}}}`, { 'content-type': 'application/json' });
    assert.equal(nested.status, 400);

    for (const r of [bad, injected, notJson, invalidUtf8, huge, text, nested]) assert.doesNotMatch(r.text, /at .*\.ts:\d+|stack/i, 'no stack traces');
    const after_ = svc.store.db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number };
    assert.equal(after_.n, before_.n, 'nothing stored');
    assert.equal((await request(svc.url, 'GET', '/healthz')).status, 200);
    assert.ok(svc.store.integrityCheck().ok);
  });

  it('HTML in event text is escaped in the e-mail', async () => {
    const r = await post('/api/v1/events', { type: 'custom.html_check', agent: 'SRV-HTML', summary: '<img src=x onerror=alert(1)> & <b>bold</b>' });
    assert.equal(r.status, 202);
    const [mail] = await waitFor(() => mailsAbout(TEAM, 'SRV-HTML').then((m) => m.length > 0 && m), 'the e-mail');
    assert.doesNotMatch(mail.body.content, /<img src=x/);
    assert.match(mail.body.content, /&lt;img src=x onerror=alert\(1\)&gt;/);
  });

  it('Alertmanager webhook (v4): firing and resolved alerts become events and e-mails', async () => {
    const alert = {
      status: 'firing',
      labels: { alertname: 'HighDiskUsage', instance: 'SRV-PROM:9100', severity: 'page', folder: 'E:\\Store' },
      annotations: { summary: 'Disk E: is 97% full', description: 'Line one\nline two' },
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph?g0.expr=disk',
      fingerprint: 'c0ffee1234',
    };
    const payload = (status: string, alerts: unknown[]) => ({
      version: '4',
      groupKey: '{}:{alertname="HighDiskUsage"}',
      truncatedAlerts: 0,
      status,
      receiver: 'o365-notify',
      groupLabels: { alertname: 'HighDiskUsage' },
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager:9093',
      alerts,
    });
    const r = await post('/api/v1/alerts', payload('firing', [alert, { ...alert, labels: { alertname: 'imagemanager.replication_failed', agent: 'SRV-PROM:9100', severity: 'critical' }, fingerprint: 'beef' }]));
    assert.equal(r.status, 202, r.text);
    assert.equal(r.json.ids.length, 2);
    const [mail] = await waitFor(() => mailsAbout(TEAM, 'SRV-PROM:9100').then((m) => m.length > 0 && m), 'the Alertmanager e-mail');
    assert.match(mail.body.content, /Disk E: is 97% full/);
    const stored = svc.store.db.prepare('SELECT type, severity, agent, folder, dedup_key AS dedupKey FROM events WHERE id = ?').get(r.json.ids[0]) as Record<string, string>;
    assert.deepEqual(stored, { type: 'custom.high_disk_usage', severity: 'warning', agent: 'SRV-PROM:9100', folder: 'E:\\Store', dedupKey: 'c0ffee1234' });
    const second = svc.store.db.prepare('SELECT type, severity FROM events WHERE id = ?').get(r.json.ids[1]) as Record<string, string>;
    assert.deepEqual(second, { type: 'imagemanager.replication_failed', severity: 'critical' });

    const done = await post('/api/v1/alerts', payload('resolved', [{ ...alert, status: 'resolved', endsAt: new Date().toISOString() }]));
    assert.equal(done.status, 202);
    const [, update] = await waitFor(() => mailsAbout(TEAM, 'SRV-PROM:9100').then((m) => m.length === 2 && m), 'the e-mail saying the disk alert resolved');
    assert.notEqual(update.id, mail.id);
    const disk = svc.store.db.prepare("SELECT state, last_notified_state AS notified FROM alerts WHERE type = 'custom.high_disk_usage'").get();
    assert.deepEqual({ ...(disk as object) }, { state: 'resolved', notified: 'resolved' }, 'the second e-mail told of the recovery');

    const wrongVersion = await post('/api/v1/alerts', { ...payload('firing', [alert]), version: '3' });
    assert.equal(wrongVersion.status, 400);
    assert.equal(wrongVersion.json.errors[0].path, 'version');
    const noName = await post('/api/v1/alerts', payload('firing', [{ ...alert, labels: { instance: 'x' } }]));
    assert.equal(noName.status, 400);
    assert.equal(noName.json.errors[0].path, 'alerts[0].labels.alertname');
  });

  it('deliveries: newest first, with events and attempts, paged and filtered; status shows queue, last delivery and sign-in', async () => {
    const page1 = await get('/api/v1/deliveries?limit=2');
    assert.equal(page1.status, 200);
    assert.equal(page1.json.deliveries.length, 2);
    const first = page1.json.deliveries[0];
    assert.equal(first.notification.status, 'sent');
    assert.ok(first.eventIds.length >= 1);
    assert.equal(first.attempts[0].result, 'sent');
    assert.match(first.notification.createdAt, /^\d{4}-\d\d-\d\dT/);
    assert.equal(first.notification.html, undefined, 'bodies only on request');
    assert.ok(page1.json.next);
    const page2 = await get(`/api/v1/deliveries?limit=2&before=${encodeURIComponent(page1.json.next)}`);
    assert.equal(page2.status, 200);
    const ids1 = page1.json.deliveries.map((d: any) => d.notification.id);
    for (const d of page2.json.deliveries) assert.ok(!ids1.includes(d.notification.id), 'pages do not overlap');
    const withBodies = await get('/api/v1/deliveries?limit=1&bodies=1');
    assert.match(withBodies.json.deliveries[0].notification.html, /<html/i);
    assert.equal((await get('/api/v1/deliveries?status=failed')).json.deliveries.length, 0);
    assert.equal((await get('/api/v1/deliveries?limit=0')).status, 400);
    assert.equal((await get('/api/v1/deliveries?status=lost')).status, 400);
    assert.equal((await get('/api/v1/deliveries?before=nonsense')).status, 400);

    const status = await get('/api/v1/status');
    assert.equal(status.status, 200);
    assert.equal(status.json.service.running, true);
    assert.equal(status.json.service.waitingForSignIn, false);
    assert.ok(status.json.service.queue.outbox.sent >= 4);
    assert.match(status.json.service.lastDelivery.subject, /\S/);
    assert.equal(status.json.signIn.signedIn, true);
    assert.equal(status.json.signIn.signInRequired, false);
    assert.doesNotMatch(status.text, new RegExp(token));
  });

  it('test-email goes out through the outbox at once; a bad address is a 400', async () => {
    const r = await post('/api/v1/test-email', { to: ADMIN });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.ok, true);
    assert.equal(r.json.status, 'sent');
    const mails = await inbox(emu, ADMIN);
    assert.ok(mails.some((m) => header(m, 'x-o365-notify-id') === r.json.id));
    const bad = await post('/api/v1/test-email', { to: 'not an address' });
    assert.equal(bad.status, 400);
    const empty = await request(svc.url, 'POST', '/api/v1/test-email', { token });
    assert.equal(empty.status, 200, 'no body: to the configured recipients');
  });

  it('silences: add holds back matching alerts, list shows it, remove lets what it held back go out', async () => {
    const add = await post('/api/v1/silences', { matchers: { agent: 'SRV-QUIET' }, endsAt: new Date(Date.now() + 3600_000).toISOString(), comment: 'maintenance' });
    assert.equal(add.status, 201, add.text);
    const id = add.json.id;
    const list = await get('/api/v1/silences');
    assert.ok(list.json.silences.some((s: any) => s.id === id && s.comment === 'maintenance'));

    const ev = await post('/api/v1/events', { type: VERIFY, agent: 'SRV-QUIET', summary: 'Verification failed during maintenance' });
    assert.equal(ev.status, 202);
    await waitFor(() => (svc.store.db.prepare('SELECT outcome FROM events WHERE id = ?').get(ev.json.ids[0]) as { outcome: string }).outcome === 'silenced', 'the event to be silenced');
    assert.equal((await mailsAbout(TEAM, 'SRV-QUIET')).length, 0);

    const del = await request(svc.url, 'DELETE', `/api/v1/silences/${id}`, { token });
    assert.equal(del.status, 204);
    await waitFor(() => mailsAbout(TEAM, 'SRV-QUIET').then((m) => m.length === 1), 'the held-back e-mail');
    assert.equal((await request(svc.url, 'DELETE', `/api/v1/silences/${id}`, { token })).status, 404);
    assert.equal((await get('/api/v1/silences')).json.silences.length, 0);

    const everything = await post('/api/v1/silences', { matchers: {}, endsAt: new Date(Date.now() + 3600_000).toISOString() });
    assert.equal(everything.status, 400);
    const past = await post('/api/v1/silences', { matchers: { agent: 'X' }, endsAt: '2020-01-01T00:00:00Z' });
    assert.equal(past.status, 400);
  });

  it('/metrics (with the token): events received, e-mails sent, queue depth, latency, token refreshes', async () => {
    const r = await get('/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    const value = (name: string) => Number(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(r.text)?.[1]);
    assert.ok(value('o365_notify_events_received_total') >= 8);
    assert.ok(value('o365_notify_emails_sent_total{kind="alert"}') >= 4);
    assert.ok(value('o365_notify_emails_sent_total{kind="test"}') >= 1);
    assert.equal(value('o365_notify_queue_depth'), 0);
    assert.ok(value('o365_notify_delivery_latency_seconds_count') >= 5);
    assert.ok(Number.isFinite(value('o365_notify_token_refreshes_total')));
    assert.ok(value('o365_notify_submissions_rejected_total') >= 1);
    // prom-client's process metrics come with them (issue 12.4).
    assert.ok(Number.isFinite(value('process_cpu_user_seconds_total')));
    assert.ok(value('process_resident_memory_bytes') > 0);
    assert.match(r.text, /^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
  });

  it('unknown API routes answer JSON 404', async () => {
    const r = await get('/api/v1/nothing');
    assert.equal(r.status, 404);
    assert.equal(r.json.error, 'not-found');
  });
});
