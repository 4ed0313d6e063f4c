/**
 * The checklist from evidence: nothing is ticked without something Microsoft answered, and each
 * error lands on the guide step that fixes it (with the admin-consent URL for consent errors).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthStatus } from '../../src/auth/index.js';
import { checkSettings, defaultSettings, type Settings } from '../../src/config/index.js';
import { diagnose, type Diagnosis } from '../../src/diagnose/index.js';
import type { DeliveryRecord } from '../../src/notify/index.js';
import { buildChecklist, type ChecklistInput } from '../../src/server/page/checklist.js';

const CLIENT_ID = '11111111-2222-4333-8444-555555555501';
const TENANT_ID = '6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b';
const NOW = Date.UTC(2025, 5, 2, 9, 0);

function settings(change: (s: Settings) => void = () => undefined): Settings {
  const s = defaultSettings();
  s.account = { type: 'single-tenant', clientId: CLIENT_ID, tenantId: TENANT_ID, auth: 'browser' };
  s.mail.to = ['it-team@contoso.com'];
  change(s);
  return s;
}

function auth(overrides: Partial<AuthStatus> = {}): AuthStatus {
  return { mode: 'browser', signedIn: false, signInRequired: true, secret: { configured: false }, notes: [], ...overrides };
}

const SIGNED_IN = auth({ signedIn: true, signInRequired: false, account: 'alerts@contoso.com', signedInAt: new Date(NOW - 60_000).toISOString() });

function testEmail(status: 'sent' | 'failed', diagnosis: DeliveryRecord['notification']['diagnosis'] = null): DeliveryRecord {
  return {
    notification: {
      id: 't1',
      kind: 'test',
      groupKey: 'test|t1',
      to: ['it-team@contoso.com'],
      cc: [],
      bcc: [],
      subject: 'o365-notify test e-mail',
      importance: 'normal',
      createdAt: NOW,
      status,
      attempts: 1,
      nextAttemptAt: null,
      lastError: status === 'sent' ? null : 'refused',
      diagnosis,
      messageId: null,
      sentAt: status === 'sent' ? NOW : null,
      updatedAt: NOW,
    },
    eventIds: [],
    attempts: [],
  };
}

function input(overrides: Partial<ChecklistInput> = {}): ChecklistInput {
  const s = overrides.settings ?? settings();
  return {
    settings: s,
    problems: checkSettings(s),
    auth: auth(),
    evidence: {},
    service: { lastError: null, lastDelivery: null },
    adminConsentUrl: `https://login.microsoftonline.com/${TENANT_ID}/adminconsent?client_id=${CLIENT_ID}`,
    formatTime: (ms) => new Date(ms).toISOString(),
    ...overrides,
  };
}

function states(i: ChecklistInput): Record<string, string> {
  return Object.fromEntries(buildChecklist(i).map((s) => [s.id, s.state]));
}

function problemWith(d: Diagnosis) {
  return { since: new Date(NOW).toISOString(), reason: `Sign-in failed. ${d.title}`, diagnosis: d };
}

describe('the checklist', () => {
  it('from an empty home: every step to do, what to enter listed, nothing failed or ticked', () => {
    const empty = defaultSettings();
    const result = buildChecklist(input({ settings: empty, problems: checkSettings(empty) }));
    assert.ok(result.every((s) => s.state === 'todo'), JSON.stringify(result.map((s) => [s.id, s.state])));
    const type = result.find((s) => s.id === 'account-type')!;
    assert.match(type.problems[0]!.message, /account\.type is not set/);
  });

  it('settings alone never tick the steps only Microsoft can confirm', () => {
    const s = states(input());
    assert.equal(s['account-type'], 'done');
    assert.equal(s.identifiers, 'done');
    for (const step of ['registered', 'redirect-uri', 'public-client-flows', 'mail-send', 'admin-consent', 'signed-in', 'test-email']) {
      assert.equal(s[step], 'todo', step);
    }
  });

  it('a wrong value is a failure with the same message as config check', () => {
    const s = settings((x) => {
      x.account.type = 'multi-tenant-personal';
    });
    const step = buildChecklist(input({ settings: s, problems: checkSettings(s) })).find((x) => x.id === 'identifiers')!;
    assert.equal(step.state, 'failed');
    assert.deepEqual(
      step.problems.map((p) => p.message),
      checkSettings(s).filter((p) => p.field === 'account.tenantId').map((p) => p.message),
    );
  });

  it('with the evidence of a browser sign-in, the probe, the token scopes and a delivered test: every step done', () => {
    const at = new Date(NOW).toISOString();
    const result = buildChecklist(
      input({
        auth: SIGNED_IN,
        tokenScopes: ['Mail.Send', 'openid', 'profile'],
        evidence: {
          lastSignIn: { clientId: CLIENT_ID, method: 'browser', at, account: 'alerts@contoso.com', scopes: ['Mail.Send'] },
          publicClientFlows: { clientId: CLIENT_ID, at, allowed: true, how: 'probe' },
        },
        lastTest: testEmail('sent'),
      }),
    );
    assert.deepEqual(result.filter((s) => s.state !== 'done').map((s) => s.id), []);
  });

  it('a token without Mail.Send does not tick the permission', () => {
    const s = states(input({ auth: SIGNED_IN, tokenScopes: ['openid', 'profile'] }));
    assert.equal(s['mail-send'], 'todo');
    assert.equal(s['admin-consent'], 'todo');
    assert.equal(s['signed-in'], 'done');
  });

  it('each error lands on its guide step: 7000218, 700016, 65001 (with the admin-consent URL), 50011', () => {
    const context = { clientId: CLIENT_ID, tenantId: TENANT_ID };
    const cases: [string, string][] = [
      ['AADSTS7000218: The request body must contain the following parameter: \'client_assertion\' or \'client_secret\'.', 'public-client-flows'],
      [`AADSTS700016: Application with identifier '${CLIENT_ID}' was not found in the directory 'Contoso'.`, 'registered'],
      [`AADSTS65001: The user or administrator has not consented to use the application with ID '${CLIENT_ID}'.`, 'admin-consent'],
      ['AADSTS50011: The redirect URI \'http://localhost:5000\' specified in the request does not match the redirect URIs configured for the application.', 'redirect-uri'],
    ];
    for (const [text, expected] of cases) {
      const d = diagnose(text, context)!;
      const result = buildChecklist(input({ auth: auth({ problem: problemWith(d) }) }));
      const failed = result.filter((s) => s.state === 'failed').map((s) => s.id);
      assert.ok(failed.includes(expected as never), `${d.code}: failed ${failed.join(', ')}`);
      const step = result.find((s) => s.id === expected)!;
      assert.equal(step.diagnosis?.code, d.code);
      assert.ok(step.diagnosis?.where, 'the portal place of the guide step');
      if (expected === 'admin-consent') assert.match(step.diagnosis?.adminConsentUrl ?? '', /\/adminconsent\?client_id=/);
    }
  });

  it('a delivery refused for Mail.Send fails that step until an e-mail goes out again', () => {
    const diagnosis = { code: 'ErrorAccessDenied', title: 'Access is denied', cause: 'no Mail.Send', fix: 'API permissions > Mail.Send', guideStep: 'api-permissions' as const };
    const lastError = { notificationId: 'n1', at: NOW, error: 'refused', diagnosis };
    assert.equal(states(input({ auth: SIGNED_IN, service: { lastError, lastDelivery: null } }))['mail-send'], 'failed');
    const later = { id: 'n2', subject: 's', sentAt: NOW + 1000, to: [] };
    assert.notEqual(states(input({ auth: SIGNED_IN, service: { lastError, lastDelivery: later } }))['mail-send'], 'failed');
    const test = states(input({ auth: SIGNED_IN, lastTest: testEmail('failed', { ...diagnosis, guideStep: 'mailbox', code: 'MailboxNotEnabledForRESTAPI' }) }));
    assert.equal(test['test-email'], 'failed');
  });

  it('app-only: no redirect URI or public client flows to check', () => {
    const s = settings((x) => {
      x.account.auth = 'app-only';
      x.account.sender = 'alerts@contoso.com';
    });
    const result = states(input({ settings: s, problems: checkSettings(s, { clientSecret: 'x'.repeat(40) }), auth: { ...SIGNED_IN, mode: 'app-only', secret: { configured: true } } }));
    assert.equal(result['redirect-uri'], 'not-needed');
    assert.equal(result['public-client-flows'], 'not-needed');
    assert.equal(result['mail-send'], 'done');
  });
});
