import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CryptoProvider, type AuthenticationResult } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { CONSUMER_TENANT_ID, DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import {
  approveDeviceCode,
  confidentialClient,
  deliverToLoopback,
  fastDeviceCodes,
  publicClient,
  seededSecret,
  signIn,
} from '../support/msal.js';

/**
 * msal-node 7.2.3 against the emulator, for each supported account type registered as the
 * guide says: device code, authorization code with PKCE, interactive sign-in through the
 * loopback redirect, silent refresh with rotation; and client credentials for the app-only app.
 */

const ALERTS = `alerts@${DEMO_DOMAIN}`;
const PERSONAL = 'alex@outlook.com';
const SCOPES = ['Mail.Send'];

const ACCOUNT_TYPES = [
  { name: 'single tenant (AzureADMyOrg)', clientId: DEMO_APPS.singleTenant, tenant: DEMO_TENANT_ID, user: ALERTS },
  { name: 'multitenant (AzureADMultipleOrgs)', clientId: DEMO_APPS.multiTenant, tenant: 'organizations', user: ALERTS },
  { name: 'multitenant + personal (AzureADandPersonalMicrosoftAccount)', clientId: DEMO_APPS.multiTenantPersonal, tenant: 'common', user: ALERTS },
  { name: 'multitenant + personal, personal account', clientId: DEMO_APPS.multiTenantPersonal, tenant: 'common', user: PERSONAL },
];

function claims(token: string) {
  return decodeJwt(token) as Record<string, unknown>;
}

function assertSignedInAs(result: AuthenticationResult, upn: string, clientId: string) {
  const tenantId = upn === PERSONAL ? CONSUMER_TENANT_ID : DEMO_TENANT_ID;
  assert.equal(result.account?.username, upn);
  assert.equal(result.tenantId, tenantId);
  const id = result.idTokenClaims as Record<string, unknown>;
  assert.equal(id.aud, clientId);
  assert.equal(id.tid, tenantId);
  assert.equal(id.preferred_username, upn);
  assert.equal(id.ver, '2.0');
  assert.equal(id.nonce, undefined);
  const access = claims(result.accessToken);
  assert.equal(access.aud, '00000003-0000-0000-c000-000000000000');
  assert.equal(access.appid, clientId);
  assert.equal(access.tid, tenantId);
  assert.ok(String(access.scp).split(' ').includes('Mail.Send'), `scp: ${String(access.scp)}`);
  // MSAL's account key comes from client_info: uid.utid.
  assert.equal(result.account?.homeAccountId, `${access.oid}.${tenantId}`);
  assert.ok(result.expiresOn && result.expiresOn.getTime() - Date.now() >= 3500_000);
}

describe('Entra ID emulator: msal-node for each supported account type', () => {
  let emu: TestEmulator;
  before(async () => {
    emu = await startTestEmulator();
    await fastDeviceCodes(emu);
  });
  after(async () => {
    await emu.stop();
  });

  for (const type of ACCOUNT_TYPES) {
    describe(type.name, () => {
      it('device code: msal polls until the code is approved, then signs the account in', async () => {
        const { app } = publicClient(emu, type.tenant, type.clientId);
        let message = '';
        const result = await app.acquireTokenByDeviceCode({
          scopes: SCOPES,
          deviceCodeCallback: (response) => {
            message = response.message;
            // Approve after msal has polled at least once (authorization_pending).
            setTimeout(() => void approveDeviceCode(emu, response.userCode, type.user), 300);
          },
        });
        assert.ok(result);
        assert.match(message, new RegExp(`^To sign in, use a web browser to open the page ${emu.url}/devicelogin and enter the code [A-Z0-9]{9} to authenticate\\.$`));
        assertSignedInAs(result, type.user, type.clientId);
      });

      it('authorization code + PKCE S256: the sign-in page, the code on the loopback redirect, then acquireTokenByCode', async () => {
        const { app } = publicClient(emu, type.tenant, type.clientId);
        const pkce = await new CryptoProvider().generatePkceCodes();
        const state = randomUUID();
        const redirectUri = 'http://localhost:53123';
        const url = await app.getAuthCodeUrl({ scopes: SCOPES, redirectUri, codeChallenge: pkce.challenge, codeChallengeMethod: 'S256', state });
        const step = await signIn(emu, url, type.user, { typed: type.user === PERSONAL, consent: 'accept' });
        assert.equal(step.kind, 'redirect', step.kind === 'page' ? step.html : '');
        if (step.kind !== 'redirect') return;
        assert.equal(step.location.origin, 'http://localhost:53123');
        assert.equal(step.fields.state, state);
        assert.ok(step.fields.code);
        const result = await app.acquireTokenByCode({ code: step.fields.code!, scopes: SCOPES, redirectUri, codeVerifier: pkce.verifier, state }, { code: step.fields.code!, state });
        assertSignedInAs(result, type.user, type.clientId);
      });

      it('interactive sign-in through msal-node\'s own loopback server (form_post), then silent refresh with rotation', async () => {
        const { app } = publicClient(emu, type.tenant, type.clientId);
        const result = await app.acquireTokenInteractive({
          scopes: SCOPES,
          openBrowser: async (url) => {
            assert.match(url, /response_mode=form_post/);
            assert.match(url, /code_challenge_method=S256/);
            const step = await signIn(emu, url, type.user, { consent: 'accept' });
            assert.equal(step.kind, 'redirect');
            assert.equal(await deliverToLoopback(step), 200);
          },
        });
        assertSignedInAs(result, type.user, type.clientId);

        const cache = () => JSON.parse(app.getTokenCache().serialize()) as { RefreshToken: Record<string, { secret: string }> };
        const rtBefore = Object.values(cache().RefreshToken)[0]!.secret;
        const refreshed = await app.acquireTokenSilent({ account: result.account!, scopes: SCOPES, forceRefresh: true });
        assertSignedInAs(refreshed, type.user, type.clientId);
        assert.notEqual(refreshed.accessToken, result.accessToken);
        const rtAfter = Object.values(cache().RefreshToken)[0]!.secret;
        assert.notEqual(rtAfter, rtBefore, 'the refresh token rotates');

        // The old refresh token keeps working (Entra does not invalidate it on rotation).
        const old = await emu.call(
          'POST',
          `/${type.tenant}/oauth2/v2.0/token`,
          new URLSearchParams({ grant_type: 'refresh_token', client_id: type.clientId, refresh_token: rtBefore, scope: 'Mail.Send offline_access openid profile' }).toString(),
          { 'content-type': 'application/x-www-form-urlencoded' },
        );
        assert.equal(old.status, 200, old.text);
        assert.ok(old.json().refresh_token);
      });
    });
  }

  it('client credentials (app-only app): a token whose roles are the admin-consented application permissions', async () => {
    const { app } = confidentialClient(emu, DEMO_TENANT_ID, DEMO_APPS.appOnly, seededSecret(emu, DEMO_APPS.appOnly));
    const result = await app.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
    assert.ok(result);
    const access = claims(result.accessToken);
    assert.deepEqual(access.roles, ['Mail.Send']);
    assert.equal(access.idtyp, 'app');
    assert.equal(access.tid, DEMO_TENANT_ID);
    assert.equal(access.scp, undefined);
    // Same tenant named by its domain.
    const byDomain = confidentialClient(emu, DEMO_DOMAIN, DEMO_APPS.appOnly, seededSecret(emu, DEMO_APPS.appOnly));
    const again = await byDomain.app.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
    assert.equal(claims(again!.accessToken).tid, DEMO_TENANT_ID);
  });

  it('counts the grants by type', async () => {
    const stats = (await emu.call('GET', '/_emulator/stats')).json();
    assert.equal(stats.tokenGrantsByType.device_code, ACCOUNT_TYPES.length);
    assert.equal(stats.tokenGrantsByType.authorization_code, ACCOUNT_TYPES.length * 2);
    assert.ok(stats.tokenGrantsByType.refresh_token >= ACCOUNT_TYPES.length * 2);
    assert.equal(stats.tokenGrantsByType.client_credentials, 2);
  });
});
