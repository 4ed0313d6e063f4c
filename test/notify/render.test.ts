import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { catalogEntries, fillWording, headlineFor } from '../../src/notify/catalog.js';
import { previewEmail, PreviewError } from '../../src/notify/preview.js';
import { TemplateSet, renderAlertEmail } from '../../src/notify/render.js';
import { TemplateError, compileTemplate, sanitizeSubject } from '../../src/notify/template.js';
import type { AlertRow } from '../../src/store/rows.js';
import { tempDir } from './helpers.js';

const NOW = Date.UTC(2025, 5, 2, 9, 30);

function alert(overrides: Partial<AlertRow> = {}): AlertRow {
  return {
    key: 'k',
    type: 'imagemanager.verification_failed',
    agent: 'SRV-FS01',
    folder: 'D:\\Backups\\SRV-FS01',
    dedupKey: '',
    severity: 'critical',
    summary: 'Verification failed',
    details: {},
    state: 'firing',
    firstFiringAt: NOW - 3_600_000,
    resolvedAt: null,
    lastEventAt: NOW,
    lastEventId: 1,
    eventCount: 1,
    groupKey: 'g',
    lastNotifiedAt: null,
    lastNotifiedState: null,
    lastNotifiedSeverity: null,
    ...overrides,
  };
}

describe('template language', () => {
  it('renders values, sections, conditions and loop variables', () => {
    const t = compileTemplate('{{! comment }}Hi {{ user.name }}:{{#each items}} {{@number}}.{{this}}{{#if @last}}!{{/if}}{{else}} none{{/each}}{{#unless flag}} off{{else}} on{{/unless}}');
    assert.equal(t.render({ user: { name: 'Ann' }, items: ['a', 'b'], flag: false }, 'text'), 'Hi Ann: 1.a 2.b! off');
    assert.equal(t.render({ user: {}, items: [], flag: true }, 'text'), 'Hi : none on');
  });

  it('looks names up from the innermost item outwards, and only in own properties', () => {
    const t = compileTemplate('{{#each alerts}}{{agent}}@{{group}};{{/each}}{{constructor}}{{toString}}{{alerts.length}}');
    assert.equal(t.render({ group: 'G', alerts: [{ agent: 'A' }, { agent: 'B', group: 'own' }] }, 'text'), 'A@G;B@own;2', 'own properties only; an array\'s length is one');
  });

  it('escapes every value in HTML output, and nothing in text output', () => {
    const t = compileTemplate('<p title="{{v}}">{{v}}</p>');
    const hostile = `<script>alert("x")</script>' onmouseover='y' &amp;`;
    const html = t.render({ v: hostile }, 'html');
    assert.ok(!html.includes('<script>'));
    assert.ok(!html.includes(`"x"`));
    assert.equal(html, '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;y&#39; &amp;amp;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;y&#39; &amp;amp;</p>');
    assert.equal(t.render({ v: '<b>' }, 'text'), '<p title="<b>"><b></p>');
  });

  it('reports template mistakes with their line', () => {
    assert.throws(() => compileTemplate('a\n{{#each x}}\nb', 'mine'), (e: unknown) => e instanceof TemplateError && e.line === 2 && /never closed/.test(e.message));
    assert.throws(() => compileTemplate('{{/if}}'), /closes nothing/);
    assert.throws(() => compileTemplate('{{#each x}}{{/if}}'), /closes nothing/);
    assert.throws(() => compileTemplate('{{#with x}}{{/with}}'), /unknown block/);
    assert.throws(() => compileTemplate('x\n\n{{ a b }}'), (e: unknown) => e instanceof TemplateError && e.line === 3);
    assert.throws(() => compileTemplate('{{{raw}}}'), /not a value name/);
  });

  it('sanitizes subjects: no CR/LF or controls, no direction overrides, at most 255 characters', () => {
    assert.equal(sanitizeSubject('Alert\r\nBcc: victim@example.com'), 'Alert Bcc: victim@example.com');
    assert.equal(sanitizeSubject('a\u0000b\u2028c\u202ed'), 'ab cd');
    const long = sanitizeSubject('x'.repeat(400));
    assert.equal([...long].length, 255);
  });
});

describe('catalog wording', () => {
  it('uses ImageManager wording and drops segments for missing values', () => {
    assert.equal(headlineFor('imagemanager.verification_failed', 'firing', 'SRV1', 'D:\\B'), 'Verification failed for D:\\B on SRV1');
    assert.equal(headlineFor('imagemanager.verification_failed', 'firing', 'SRV1', ''), 'Verification failed on SRV1');
    assert.equal(headlineFor('imagemanager.verification_failed', 'resolved', 'SRV1', 'D:\\B'), 'Verification is passing again for D:\\B on SRV1');
    assert.equal(headlineFor('custom.nightly_sync-failed', 'firing', 'H', ''), 'Nightly sync failed on H');
    assert.equal(fillWording('X[ for {folder}][ on {agent}]', { agent: '{folder}', folder: '$&' }), 'X for $& on {folder}', 'values are never re-expanded');
    const ids = catalogEntries().map((e) => e.id);
    for (const id of ['verification_failed', 'consolidation_failed', 'retention_failed', 'replication_failed', 'hsr_failed', 'replication_queue_over_limit', 'hsr_queue_over_limit', 'disk_usage_over_threshold', 'inactive_folder', 'images_in_store_root', 'folder_conflict', 'service_not_responding', 'daily_report']) {
      assert.ok(ids.includes(`imagemanager.${id}`), id);
    }
  });
});

describe('rendering e-mails', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir('o365-notify-tpl-');
  });
  after(() => tmp.cleanup());

  it('renders one alert with ImageManager wording, a severity badge and inline CSS only', () => {
    const email = renderAlertEmail(new TemplateSet(), {
      id: 'n-1',
      group: { route: 'default', labels: { agent: 'SRV-FS01' } },
      alerts: [{ alert: alert({ details: { image: 'x.spi', attempts: 3 } }), reason: 'new' }],
      now: NOW,
      timeZone: 'UTC',
    });
    assert.equal(email.subject, '[CRITICAL] Verification failed for D:\\Backups\\SRV-FS01 on SRV-FS01');
    assert.equal(email.importance, 'high');
    assert.match(email.html, /Verification failed for D:\\Backups\\SRV-FS01 on SRV-FS01/);
    assert.match(email.html, />Critical</);
    assert.match(email.html, /Failing since<\/td><td[^>]*>2025-06-02 08:30 UTC/);
    assert.match(email.html, /x\.spi/);
    assert.match(email.html, /Notification ID n-1/);
    assert.ok(!/<link|<script|src="http|<style/i.test(email.html), 'no external assets, no style blocks');
    assert.match(email.text, /Agent:\s+SRV-FS01/);
    assert.match(email.text, /Managed folder:\s+D:\\Backups\\SRV-FS01/);
  });

  it('escapes hostile event text in HTML and strips header injection from subjects', () => {
    const evil = alert({
      agent: '<script>alert(1)</script>',
      folder: '"><img src=x onerror=alert(2)>',
      summary: '</td></tr></table><iframe src="https://evil.example">',
      details: { '<b>key</b>': '<svg onload=alert(3)>' },
    });
    const email = renderAlertEmail(new TemplateSet(), { id: 'n', group: { route: 'default', labels: { agent: evil.agent } }, alerts: [{ alert: evil, reason: 'new' }], now: NOW });
    assert.ok(!email.html.includes('<script>'));
    assert.ok(!email.html.includes('<img'));
    assert.ok(!email.html.includes('<iframe'));
    assert.ok(!email.html.includes('<svg'));
    assert.ok(!email.html.includes('<b>key'));
    assert.match(email.html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    // The subject carries the raw agent text: it is not HTML, but it must stay one line.
    const injected = alert({ agent: 'SRV\r\nBcc: attacker@evil.example', folder: 'D:\n\rX-Priority: 1' });
    const e2 = renderAlertEmail(new TemplateSet(), { id: 'n', group: { route: 'default', labels: {} }, alerts: [{ alert: injected, reason: 'new' }], now: NOW });
    assert.ok(!/[\r\n]/.test(e2.subject), e2.subject);
    assert.match(e2.subject, /SRV Bcc: attacker@evil\.example/);
  });

  it('renders a group as a status table, failing first, with counts in the subject', () => {
    const alerts = [
      { alert: alert({ key: 'r', type: 'imagemanager.replication_failed', state: 'resolved', resolvedAt: NOW, lastNotifiedState: 'firing' }), reason: 'resolved' as const },
      { alert: alert({ key: 'v' }), reason: 'new' as const },
      { alert: alert({ key: 'd', type: 'imagemanager.disk_usage_over_threshold', severity: 'warning' }), reason: 'reminder' as const },
    ];
    const email = renderAlertEmail(new TemplateSet(), { id: 'g', group: { route: 'default', labels: { agent: 'SRV-FS01' } }, alerts, now: NOW });
    assert.equal(email.subject, '[CRITICAL] ImageManager on SRV-FS01: 2 failing, 1 resolved');
    const order = ['Verification failed', 'Managed folder disk usage over threshold', 'Replication failed'].map((t) => email.html.indexOf(t));
    assert.ok(order.every((i) => i > 0) && order[0]! < order[1]! && order[1]! < order[2]!, `order ${order}`);
    assert.match(email.html, /<th[^>]*>Status<\/th>/);
    assert.match(email.html, /Still failing/);
    assert.match(email.text, /\[Resolved\] Critical - Replication is succeeding again/);
  });

  it('uses override files from the templates directory, per part, and falls back when one is broken', () => {
    const dir = path.join(tmp.dir, 'templates');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'alert.subject.txt'), 'ALERT {{alert.agent}} {{alert.title}}\n');
    fs.writeFileSync(path.join(dir, 'imagemanager.inactive_folder.html'), '<p>Inactive: {{alert.folder}}</p>');
    fs.writeFileSync(path.join(dir, 'group.html'), '{{#each alerts}}broken');
    const templates = new TemplateSet(dir);
    const one = renderAlertEmail(templates, { id: 'a', group: { route: 'default', labels: {} }, alerts: [{ alert: alert({ agent: 'A&B' }), reason: 'new' }], now: NOW });
    assert.equal(one.subject, 'ALERT A&B Verification failed', 'subject override (text: no escaping), newline trimmed');
    assert.match(one.html, /Failing since/, 'html part not overridden: built-in');
    const inactive = renderAlertEmail(templates, {
      id: 'b',
      group: { route: 'default', labels: {} },
      alerts: [{ alert: alert({ type: 'imagemanager.inactive_folder', folder: '<D:>' }), reason: 'new' }],
      now: NOW,
    });
    assert.equal(inactive.html, '<p>Inactive: &lt;D:&gt;</p>', 'per-type override, escaped');
    const group = renderAlertEmail(templates, {
      id: 'c',
      group: { route: 'default', labels: {} },
      alerts: [{ alert: alert({ key: '1' }), reason: 'new' }, { alert: alert({ key: '2' }), reason: 'new' }],
      now: NOW,
    });
    assert.match(group.html, /<th[^>]*>Status/, 'the broken override is replaced by the built-in');
    assert.equal(templates.problems.length, 1);
    assert.match(templates.problems[0]!.message, /group\.html, line 1: #each is never closed; the built-in template is used instead/);
    // Fixing the file is picked up without a restart.
    fs.writeFileSync(path.join(dir, 'group.html'), '<p>{{counts.total}} alerts</p>');
    const fixed = renderAlertEmail(templates, { id: 'c', group: { route: 'default', labels: {} }, alerts: [{ alert: alert({ key: '1' }), reason: 'new' }, { alert: alert({ key: '2' }), reason: 'new' }], now: NOW });
    assert.equal(fixed.html, '<p>2 alerts</p>');
    assert.equal(templates.problems.length, 0);
  });

  it('previews every event type and the other e-mails', () => {
    const templates = new TemplateSet();
    for (const entry of catalogEntries()) {
      const email = previewEmail(entry.id, { templates, now: NOW, timeZone: 'UTC' });
      assert.ok(email.subject.length > 0 && email.html.includes('<html') && email.text.length > 0, entry.id);
    }
    assert.match(previewEmail('custom.backup_check', { templates, now: NOW }).subject, /^\[WARNING\] Backup check for D:\\Backups\\SRV-FS01 on SRV-FS01$/);
    assert.match(previewEmail('group', { templates, now: NOW }).subject, /2 failing, 1 resolved/);
    assert.match(previewEmail('daily-report', { templates, now: NOW }).html, /Current state/);
    assert.match(previewEmail('health', { templates, now: NOW }).subject, /\[Action needed\] The client secret expires in 7 days/);
    assert.throws(() => previewEmail('nope', { templates, now: NOW }), PreviewError);
  });
});
