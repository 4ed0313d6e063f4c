import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepareMessage } from '../../src/graph/message.js';
import { TemplateSet, renderAlertEmail } from '../../src/notify/render.js';
import type { AlertRow } from '../../src/store/rows.js';

const NOW = Date.UTC(2025, 5, 2, 9, 30);

function alert(overrides: Partial<AlertRow>): AlertRow {
  return {
    key: 'k', type: 'imagemanager.verification_failed', agent: 'SRV-FS01', folder: 'D:\\Backups', dedupKey: '', severity: 'critical',
    summary: 'Verification failed', details: {}, state: 'firing', firstFiringAt: NOW - 3_600_000, resolvedAt: null, lastEventAt: NOW,
    lastEventId: 1, eventCount: 1, groupKey: 'g', lastNotifiedAt: null, lastNotifiedState: null, lastNotifiedSeverity: null, ...overrides,
  };
}

describe('grouped e-mails (issue 9.5 and the small ones)', () => {
  const alerts = [
    { alert: alert({ key: 'a', type: 'imagemanager.inactive_folder', severity: 'warning', summary: 'No new images for 2 days', details: { lastImage: '2025-05-31 02:00' } }), reason: 'new' as const },
    { alert: alert({ key: 'b', severity: 'critical', summary: 'Verification failed', details: { error: 'connection refused', volume: 'C:' } }), reason: 'new' as const },
  ];
  const email = renderAlertEmail(new TemplateSet(), { id: 'g', group: { route: 'default', labels: { agent: 'SRV-FS01' } }, alerts, now: NOW });

  it('shows each event\'s details and what to do, in HTML and text', () => {
    for (const body of [email.html, email.text]) {
      assert.match(body, /error: connection refused/);
      assert.match(body, /volume: C:/);
      assert.match(body, /lastImage: 2025-05-31 02:00/);
      assert.equal((body.match(/What to do: /g) ?? []).length, 2, body);
    }
  });

  it('lists criticals before warnings', () => {
    for (const body of [email.html, email.text]) {
      assert.ok(body.indexOf('connection refused') < body.indexOf('No new images'), body);
    }
  });

  it('direction overrides are stripped from bodies as from subjects; attachment types follow the extension', () => {
    const m = prepareMessage({
      to: 'ops@contoso.com', subject: 'x\u202e', text: 'see invoice\u202efdp.exe',
      attachments: [{ name: 'report.pdf', content: Buffer.from('%PDF') }, { name: 'data.bin', content: Buffer.from('x') }],
    });
    assert.equal(m.body.content, 'see invoicefdp.exe');
    assert.equal(m.subject, 'x');
    assert.deepEqual(m.attachments.map((a) => a.contentType), ['application/pdf', 'application/octet-stream']);
  });
});

describe('Mail.ReadWrite advice that can work (issue 9.15)', () => {
  it('says an administrator must grant it, never that signing in again adds it', async () => {
    const { mailReadWriteDiagnosis } = await import('../../src/graph/diagnosis.js');
    const d = mailReadWriteDiagnosis('delegated', 'big.zip');
    assert.match(d.fix, /an administrator must click "Grant admin consent/);
    assert.match(d.fix, /signing in again by itself never adds Mail\.ReadWrite/);
    assert.doesNotMatch(d.fix, /so the token carries it/);
    assert.match(d.fix, /--drop-large-attachments/);
  });
});
