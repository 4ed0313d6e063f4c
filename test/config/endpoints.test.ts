import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  APP_ONLY_SCOPES,
  authorityFor,
  defaultSettings,
  DELEGATED_SCOPES,
  graphBaseUrl,
  redirectUri,
  scopesFor,
  SettingsError,
  type Settings,
} from '../../src/config/index.js';

const CLIENT_ID = '6731de76-14a6-49ae-97bc-6eba6914391e';
const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';

function settings(account: Partial<Settings['account']>, emulator?: string): Settings {
  const s = defaultSettings();
  Object.assign(s.account, { clientId: CLIENT_ID }, account);
  if (emulator) s.endpoints.emulator = emulator;
  return s;
}

describe('authorityFor', () => {
  it('follows the account type', () => {
    assert.equal(authorityFor(settings({ type: 'single-tenant', tenantId: TENANT_ID })), `https://login.microsoftonline.com/${TENANT_ID}`);
    assert.equal(authorityFor(settings({ type: 'single-tenant', tenantId: 'contoso.onmicrosoft.com' })), 'https://login.microsoftonline.com/contoso.onmicrosoft.com');
    assert.equal(authorityFor(settings({ type: 'multi-tenant' })), 'https://login.microsoftonline.com/organizations');
    assert.equal(authorityFor(settings({ type: 'multi-tenant', tenantId: TENANT_ID })), `https://login.microsoftonline.com/${TENANT_ID}`);
    assert.equal(authorityFor(settings({ type: 'multi-tenant-personal' })), 'https://login.microsoftonline.com/common');
  });

  it('uses the emulator host when one is configured', () => {
    assert.equal(authorityFor(settings({ type: 'multi-tenant-personal' }, 'https://127.0.0.1:8443')), 'https://127.0.0.1:8443/common');
  });

  it('app-only is always issued by the tenant', () => {
    const s = settings({ type: 'multi-tenant', tenantId: TENANT_ID, auth: 'app-only', sender: 'a@contoso.com' });
    assert.equal(authorityFor(s), `https://login.microsoftonline.com/${TENANT_ID}`);
    assert.throws(() => authorityFor(settings({ type: 'multi-tenant', auth: 'app-only' })), /account.tenantId is required for account.auth app-only/);
  });

  it('refuses settings that cannot sign in, listing the guide problems', () => {
    for (const bad of [settings({}), settings({ type: 'personal' }), settings({ type: 'single-tenant' }), settings({ type: 'multi-tenant-personal', tenantId: TENANT_ID })]) {
      assert.throws(() => authorityFor(bad), (err: unknown) => err instanceof SettingsError && err.problems.length > 0);
    }
    assert.throws(() => authorityFor(settings({ type: 'multi-tenant' }, 'http://127.0.0.1:8443')), /https/);
  });
});

describe('graphBaseUrl, redirectUri, scopes', () => {
  it('Graph v1.0 at Microsoft or at the emulator', () => {
    assert.equal(graphBaseUrl(settings({})), 'https://graph.microsoft.com/v1.0');
    assert.equal(graphBaseUrl(settings({}, 'https://127.0.0.1:8443')), 'https://127.0.0.1:8443/v1.0');
  });

  it('the redirect URI to register: http://localhost, with the port when one is set', () => {
    assert.equal(redirectUri(settings({})), 'http://localhost');
    assert.equal(redirectUri(settings({ redirectPort: 53100 })), 'http://localhost:53100');
  });

  it('delegated and app-only scopes', () => {
    assert.deepEqual([...DELEGATED_SCOPES], ['Mail.Send', 'offline_access', 'openid', 'profile']);
    assert.deepEqual([...APP_ONLY_SCOPES], ['https://graph.microsoft.com/.default']);
    assert.equal(scopesFor(settings({ auth: 'device-code' })), DELEGATED_SCOPES);
    assert.equal(scopesFor(settings({ auth: 'app-only' })), APP_ONLY_SCOPES);
  });
});
