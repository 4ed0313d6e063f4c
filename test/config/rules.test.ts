import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkSettings,
  CONSUMER_TENANT_ID,
  defaultSettings,
  PERSONAL_ACCOUNTS_REFUSAL,
  type Problem,
  type Settings,
} from '../../src/config/index.js';
import { GUIDE_STEPS } from '../../src/diagnose/guide-steps.js';

const CLIENT_ID = '6731de76-14a6-49ae-97bc-6eba6914391e';
const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const NOW = new Date('2025-06-01T12:00:00Z');

function settings(account: Partial<Settings['account']>, extra: (s: Settings) => void = () => undefined): Settings {
  const s = defaultSettings();
  Object.assign(s.account, account);
  s.mail.to = ['ops@contoso.com'];
  extra(s);
  return s;
}

function problemsFor(s: Settings, clientSecret?: string): Problem[] {
  return checkSettings(s, { clientSecret, now: NOW });
}

function only(problems: Problem[], field: string): Problem[] {
  return problems.filter((p) => p.field === field);
}

function assertOne(problems: Problem[], field: string, severity: 'error' | 'warning', guideStep: string | null, text: RegExp) {
  const matching = only(problems, field);
  assert.equal(matching.length, 1, `one problem for ${field}: ${JSON.stringify(problems, null, 1)}`);
  assert.equal(matching[0]!.severity, severity);
  assert.equal(matching[0]!.guideStep, guideStep);
  assert.match(matching[0]!.message, text);
  assert.ok(matching[0]!.message.includes(field.startsWith('account.') ? field : ''), 'the message names the field');
}

describe('checkSettings: account types', () => {
  it('accepts single tenant with Client ID and Tenant ID (GUID or verified domain)', () => {
    assert.deepEqual(problemsFor(settings({ type: 'single-tenant', clientId: CLIENT_ID, tenantId: TENANT_ID })), []);
    assert.deepEqual(problemsFor(settings({ type: 'single-tenant', clientId: CLIENT_ID, tenantId: 'contoso.onmicrosoft.com' })), []);
  });

  it('single tenant without Tenant ID is an error at the tenant-id step', () => {
    const problems = problemsFor(settings({ type: 'single-tenant', clientId: CLIENT_ID }));
    assertOne(problems, 'account.tenantId', 'error', 'tenant-id', /required for "Accounts in this organizational directory only \(Single tenant\)".*Directory \(tenant\) ID/);
  });

  it('multitenant needs only the Client ID; a Tenant ID is optional', () => {
    assert.deepEqual(problemsFor(settings({ type: 'multi-tenant', clientId: CLIENT_ID })), []);
    assert.deepEqual(problemsFor(settings({ type: 'multi-tenant', clientId: CLIENT_ID, tenantId: TENANT_ID })), []);
  });

  it('every account type needs the Client ID', () => {
    for (const type of ['single-tenant', 'multi-tenant', 'multi-tenant-personal'] as const) {
      const problems = problemsFor(settings({ type, tenantId: type === 'single-tenant' ? TENANT_ID : undefined }));
      assertOne(problems, 'account.clientId', 'error', 'client-id', /not set.*"Application \(client\) ID"/);
    }
  });

  it('multitenant + personal accounts: Tenant ID MUST be blank', () => {
    assert.deepEqual(problemsFor(settings({ type: 'multi-tenant-personal', clientId: CLIENT_ID })), []);
    const problems = problemsFor(settings({ type: 'multi-tenant-personal', clientId: CLIENT_ID, tenantId: TENANT_ID }));
    assertOne(problems, 'account.tenantId', 'error', 'tenant-id', /must be blank.*MUST BE left blank/);
  });

  it('personal accounts only is refused with the guide\'s reason', () => {
    const problems = problemsFor(settings({ type: 'personal', clientId: CLIENT_ID }));
    assertOne(problems, 'account.type', 'error', 'account-type', /not supported/);
    assert.equal(only(problems, 'account.type')[0]!.message, PERSONAL_ACCOUNTS_REFUSAL);
    assert.match(PERSONAL_ACCOUNTS_REFUSAL, /Personal Microsoft accounts only is NOT supported/);
  });

  it('a missing account type is an error at the account-type step', () => {
    assertOne(problemsFor(settings({ clientId: CLIENT_ID })), 'account.type', 'error', 'account-type', /not set/);
  });
});

describe('checkSettings: identifiers', () => {
  it('a Client ID that is not a GUID is flagged, with a hint when it is a domain or wrapped', () => {
    assertOne(problemsFor(settings({ type: 'multi-tenant', clientId: 'ImageManager' })), 'account.clientId', 'error', 'client-id', /not a GUID/);
    assertOne(
      problemsFor(settings({ type: 'multi-tenant', clientId: 'contoso.onmicrosoft.com' })),
      'account.clientId',
      'error',
      'client-id',
      /is a domain.*belongs in account.tenantId/,
    );
    assertOne(problemsFor(settings({ type: 'multi-tenant', clientId: `{${CLIENT_ID}}` })), 'account.clientId', 'error', 'client-id', /only the .* GUID/);
  });

  it('a Tenant ID must be a GUID or a domain; endpoint names and junk are flagged', () => {
    for (const bad of ['not a tenant', 'contoso', `https://login.microsoftonline.com/${TENANT_ID}/v2.0`]) {
      const problems = problemsFor(settings({ type: 'single-tenant', clientId: CLIENT_ID, tenantId: bad }));
      assertOne(problems, 'account.tenantId', 'error', 'tenant-id', /Directory \(tenant\) ID|GUID/);
    }
    for (const alias of ['common', 'organizations', 'consumers']) {
      const problems = problemsFor(settings({ type: 'multi-tenant', clientId: CLIENT_ID, tenantId: alias }));
      assertOne(problems, 'account.tenantId', 'error', 'tenant-id', /endpoint name, not a tenant/);
    }
  });

  it('GUIDs are accepted in upper case too', () => {
    assert.deepEqual(
      problemsFor(settings({ type: 'single-tenant', clientId: CLIENT_ID.toUpperCase(), tenantId: TENANT_ID.toUpperCase() })),
      [],
    );
  });

  it('the Client ID pasted as Tenant ID is caught', () => {
    assertOne(
      problemsFor(settings({ type: 'single-tenant', clientId: CLIENT_ID, tenantId: CLIENT_ID })),
      'account.tenantId',
      'error',
      'tenant-id',
      /same as account.clientId/,
    );
  });

  it('the personal-accounts tenant is not an organization\'s Tenant ID', () => {
    assertOne(
      problemsFor(settings({ type: 'single-tenant', clientId: CLIENT_ID, tenantId: CONSUMER_TENANT_ID })),
      'account.tenantId',
      'error',
      'tenant-id',
      /personal Microsoft accounts/,
    );
  });
});

describe('checkSettings: client secret', () => {
  const base = { type: 'single-tenant' as const, clientId: CLIENT_ID, tenantId: TENANT_ID, secretExpires: '2026-06-01' };

  it('a real-looking secret Value passes', () => {
    assert.deepEqual(problemsFor(settings(base), 'Abc8Q~x1y2z3A4B5C6D7E8F9G0h1i2j3k4l5m6n7o'), []);
  });

  it('a secret that is a GUID is the Secret ID, not the Value', () => {
    const problems = problemsFor(settings(base), '0b7a3f2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b');
    assertOne(problems, 'clientSecret', 'error', 'client-secret', /"Secret ID".*copy the secret's Value/);
  });

  it('the Application (client) ID pasted as the secret is caught', () => {
    assertOne(problemsFor(settings(base), CLIENT_ID), 'clientSecret', 'error', 'client-secret', /is the "Application \(client\) ID"/);
  });

  it('messages never contain the secret', () => {
    const secret = 'Zz9Q~SuperSecretValueThatMustNotLeak12345';
    const problems = problemsFor(settings({ ...base, auth: 'app-only', secretExpires: '2025-01-01' }), secret);
    assert.ok(problems.length > 0);
    for (const p of problems) assert.ok(!p.message.includes(secret));
  });

  it('an expired secret is an error for app-only and a warning for delegated sign-in', () => {
    const appOnly = problemsFor(settings({ ...base, auth: 'app-only', sender: 'alerts@contoso.com', secretExpires: '2025-05-31' }), 'x'.repeat(40));
    assertOne(appOnly, 'account.secretExpires', 'error', 'client-secret', /expired on 2025-05-31.*New client secret/);
    const delegated = problemsFor(settings({ ...base, secretExpires: '2025-05-31' }), 'x'.repeat(40));
    assertOne(delegated, 'account.secretExpires', 'warning', 'client-secret', /expired/);
  });

  it('a secret expiring within 30 days is a warning; further out is fine', () => {
    const soon = problemsFor(settings({ ...base, secretExpires: '2025-06-15' }), 'x'.repeat(40));
    assertOne(soon, 'account.secretExpires', 'warning', 'client-secret', /expires on 2025-06-15.*in 14 days/);
    assert.deepEqual(problemsFor(settings({ ...base, secretExpires: '2025-07-15' }), 'x'.repeat(40)), []);
  });

  it('a stored secret without a recorded expiry date is a warning', () => {
    const problems = problemsFor(settings({ ...base, secretExpires: undefined }), 'x'.repeat(40));
    assertOne(problems, 'account.secretExpires', 'warning', 'client-secret', /Expires/);
  });

  it('no secret and delegated sign-in is fine (the secret is optional there)', () => {
    assert.deepEqual(problemsFor(settings({ ...base, auth: 'device-code' })), []);
  });
});

describe('checkSettings: app-only', () => {
  const appOnly = { auth: 'app-only' as const, clientId: CLIENT_ID, sender: 'alerts@contoso.com' };
  const secret = 'x'.repeat(40);

  it('single tenant with a secret and a sender passes', () => {
    assert.deepEqual(problemsFor(settings({ ...appOnly, type: 'single-tenant', tenantId: TENANT_ID, secretExpires: '2026-01-01' }), secret), []);
  });

  it('needs a client secret', () => {
    const problems = problemsFor(settings({ ...appOnly, type: 'single-tenant', tenantId: TENANT_ID }));
    assertOne(problems, 'clientSecret', 'error', 'client-secret', /app-only needs a client secret.*New client secret/);
  });

  it('needs a sender that is an address or an object ID', () => {
    const missing = problemsFor(settings({ ...appOnly, sender: undefined, type: 'single-tenant', tenantId: TENANT_ID, secretExpires: '2026-01-01' }), secret);
    assertOne(missing, 'account.sender', 'error', 'mailbox', /required for account.auth app-only/);
    const bad = problemsFor(settings({ ...appOnly, sender: 'alerts', type: 'single-tenant', tenantId: TENANT_ID, secretExpires: '2026-01-01' }), secret);
    assertOne(bad, 'account.sender', 'error', 'mailbox', /not an e-mail address/);
  });

  it('multitenant app-only needs a Tenant ID (client credentials come from one directory)', () => {
    const problems = problemsFor(settings({ ...appOnly, type: 'multi-tenant', secretExpires: '2026-01-01' }), secret);
    assertOne(problems, 'account.tenantId', 'error', 'tenant-id', /required for account.auth app-only/);
  });

  it('is not possible with multitenant + personal accounts', () => {
    const problems = problemsFor(settings({ ...appOnly, type: 'multi-tenant-personal', secretExpires: '2026-01-01' }), secret);
    assertOne(problems, 'account.auth', 'error', 'account-type', /not possible/);
  });

  it('a sender with delegated sign-in is ignored, with a warning', () => {
    const problems = problemsFor(settings({ type: 'multi-tenant', clientId: CLIENT_ID, sender: 'alerts@contoso.com' }));
    assertOne(problems, 'account.sender', 'warning', 'mailbox', /only used with account.auth app-only/);
  });
});

describe('checkSettings: mail, endpoints, service', () => {
  const ok = { type: 'multi-tenant' as const, clientId: CLIENT_ID };

  it('flags invalid recipients and warns about none', () => {
    assertOne(problemsFor(settings(ok, (s) => (s.mail.to = ['ops@contoso.com', 'nobody']))), 'mail.to', 'error', 'recipients', /"nobody"/);
    const none = problemsFor(settings(ok, (s) => (s.mail.to = [])));
    assert.equal(only(none, 'mail.to')[0]?.severity, 'warning');
  });

  it('warns above Exchange Online\'s 30 messages a minute', () => {
    assertOne(problemsFor(settings(ok, (s) => (s.mail.messagesPerMinute = 60))), 'mail.messagesPerMinute', 'warning', 'throttling', /30/);
  });

  it('warns above Microsoft Graph\'s 10,000 requests per 10 minutes, accepts a lower budget', () => {
    assertOne(problemsFor(settings(ok, (s) => (s.mail.requestsPer10Minutes = 20_000))), 'mail.requestsPer10Minutes', 'warning', 'throttling', /10000 requests per 10 minutes/);
    assert.deepEqual(only(problemsFor(settings(ok, (s) => (s.mail.requestsPer10Minutes = 600))), 'mail.requestsPer10Minutes'), []);
    assertOne(problemsFor(settings(ok, (s) => (s.mail.recipientsPerDay = 20_000))), 'mail.recipientsPerDay', 'warning', 'throttling', /10000 recipients per mailbox in 24 hours: .*non-delivery report/);
    assert.deepEqual(only(problemsFor(settings(ok, (s) => (s.mail.recipientsPerDay = 10_000))), 'mail.recipientsPerDay'), []);
  });

  it('the emulator must be https; its CA alone is ignored', () => {
    assertOne(problemsFor(settings(ok, (s) => (s.endpoints.emulator = 'http://127.0.0.1:8443'))), 'endpoints.emulator', 'error', null, /https/);
    assertOne(problemsFor(settings(ok, (s) => (s.endpoints.emulatorCa = '/tmp/ca.pem'))), 'endpoints.emulatorCa', 'warning', null, /ignored/);
  });

  it('warns when the service listens beyond loopback', () => {
    assertOne(problemsFor(settings(ok, (s) => (s.service.host = '0.0.0.0'))), 'service.host', 'warning', null, /other hosts/);
    assert.deepEqual(problemsFor(settings(ok, (s) => (s.service.host = 'localhost'))), []);
  });

  it('lists every problem at once, each with a known guide step', () => {
    const problems = problemsFor(
      settings({ type: 'single-tenant', clientId: 'x', auth: 'app-only' }, (s) => {
        s.mail.to = ['bad'];
        s.endpoints.emulator = 'http://e';
      }),
      '0b7a3f2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
    );
    const fields = problems.map((p) => p.field);
    for (const f of ['account.clientId', 'account.tenantId', 'account.sender', 'clientSecret', 'mail.to', 'endpoints.emulator']) {
      assert.ok(fields.includes(f), `${f} in ${fields.join(', ')}`);
    }
    for (const p of problems) assert.ok(p.guideStep === null || (GUIDE_STEPS as readonly string[]).includes(p.guideStep));
  });
});
