import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AuthError, CryptoProvider, ServerError } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import {
  aadstsOnPage,
  approveDeviceCode,
  confidentialClient,
  fastDeviceCodes,
  openPage,
  publicClient,
  seededSecret,
  signIn,
  submit,
} from '../support/msal.js';

/**
 * One test per step of the guide, done wrong: the app registered without it must meet the
 * exact error Entra ID gives, through msal-node where a client would use it. Where msal-node
 * drops the AADSTS code, the network client's capture of the raw body must still have it.
 */

const ADMIN = `admin@${DEMO_DOMAIN}`;
const ALERTS = `alerts@${DEMO_DOMAIN}`;
const PERSONAL = 'alex@outlook.com';
const REDIRECT = 'http://localhost:53100';

/** The guide's registration, with overrides: the step left out. */
function guideApp(overrides: Record<string, unknown> = {}) {
  return {
    displayName: `ImageManager ${randomUUID().slice(0, 8)}`,
    tenant: DEMO_DOMAIN,
    signInAudience: 'AzureADMyOrg',
    redirectUris: { mobileAndDesktop: ['http://localhost'] },
    allowPublicClientFlows: true,
    delegatedPermissions: ['Mail.Send'],
    secrets: [{ displayName: 'ImageManager', expiresInDays: 180 }],
    consent: [{ tenant: DEMO_DOMAIN, delegated: ['Mail.Send'] }],
    ...overrides,
  };
}

async function register(emu: TestEmulator, overrides: Record<string, unknown> = {}): Promise<{ clientId: string; secret: string }> {
  const res = await emu.call('POST', '/_emulator/apps', guideApp(overrides));
  assert.equal(res.status, 201, res.text);
  return { clientId: res.json().clientId, secret: res.json().secretValues[0]?.value };
}

async function authCodeUrl(emu: TestEmulator, tenant: string, clientId: string, scopes = ['Mail.Send'], redirectUri = REDIRECT) {
  const { app } = publicClient(emu, tenant, clientId);
  const pkce = await new CryptoProvider().generatePkceCodes();
  const url = await app.getAuthCodeUrl({ scopes, redirectUri, codeChallenge: pkce.challenge, codeChallengeMethod: 'S256', state: randomUUID() });
  return { app, url, pkce, redirectUri };
}

function errorNumber(err: unknown): string | undefined {
  // msal-node types errorNo as a string but passes Entra's number through.
  return err instanceof ServerError && err.errorNo !== undefined ? String(err.errorNo) : undefined;
}

describe('Entra ID emulator: each guide step done wrong gives Entra\'s error', () => {
  let emu: TestEmulator;
  before(async () => {
    emu = await startTestEmulator();
    await fastDeviceCodes(emu);
  });
  after(async () => {
    await emu.stop();
  });

  describe('"Set up the Application Platform" (Mobile and desktop, http://localhost)', () => {
    it('no redirect URI at all: AADSTS500113 on the error page, nothing sent to the app', async () => {
      const { clientId } = await register(emu, { redirectUris: {} });
      const { url } = await authCodeUrl(emu, DEMO_TENANT_ID, clientId);
      const step = await openPage(emu, url);
      assert.equal(step.kind, 'page');
      if (step.kind === 'page') {
        assert.equal(aadstsOnPage(step.html), 500113);
        assert.match(step.html, /No reply address is registered for the application\./);
      }
    });

    it('only a Web redirect URI (wrong platform) or another path: AADSTS50011 on the error page', async () => {
      const { clientId } = await register(emu, { redirectUris: { web: ['https://app.example/callback'], mobileAndDesktop: ['http://localhost/callback'] } });
      const { url } = await authCodeUrl(emu, DEMO_TENANT_ID, clientId);
      const step = await openPage(emu, url);
      assert.equal(step.kind, 'page');
      if (step.kind !== 'page') return;
      assert.equal(aadstsOnPage(step.html), 50011);
      assert.ok(step.html.includes(`The redirect URI &#39;${REDIRECT}&#39; specified in the request does not match the redirect URIs configured for the application &#39;${clientId}&#39;.`));
    });

    it('http://localhost registered: any loopback port matches, as Entra allows for desktop apps', async () => {
      const { clientId } = await register(emu);
      for (const port of [1234, 53100, 65000]) {
        const { url } = await authCodeUrl(emu, DEMO_TENANT_ID, clientId, ['Mail.Send'], `http://localhost:${port}`);
        const step = await signIn(emu, url, ALERTS);
        assert.equal(step.kind, 'redirect');
        if (step.kind === 'redirect') assert.equal(step.location.port, String(port));
      }
    });
  });

  describe('"Enable Public Client Flows" (Allow public client flows = Yes)', () => {
    it('left at No: device code fails with AADSTS7000218; msal-node says only invalid_client, the network client has the code', async () => {
      const { clientId } = await register(emu, { allowPublicClientFlows: false });
      const { app, errors } = publicClient(emu, DEMO_TENANT_ID, clientId);
      const err = await app
        .acquireTokenByDeviceCode({ scopes: ['Mail.Send'], deviceCodeCallback: () => {} })
        .then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof AuthError);
      // msal-node's device-code polling keeps only the OAuth error string.
      assert.equal(err.errorCode, 'post_request_failed');
      assert.match(err.message, /invalid_client/);
      assert.doesNotMatch(err.message, /AADSTS7000218/);
      const raw = errors.latest();
      assert.equal(raw?.status, 401);
      assert.deepEqual(raw?.aadsts, [7000218]);
      assert.match(raw!.body, /AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'\./);
    });
  });

  describe('"Supported account types" against the authority', () => {
    it('single tenant used with /organizations: AADSTS50194 (authorize page and device code)', async () => {
      const { url } = await authCodeUrl(emu, 'organizations', DEMO_APPS.singleTenant);
      const step = await openPage(emu, url);
      assert.equal(step.kind === 'page' && aadstsOnPage(step.html), 50194);

      const res = await emu.call('POST', '/organizations/oauth2/v2.0/devicecode', `client_id=${DEMO_APPS.singleTenant}&scope=Mail.Send`, {
        'content-type': 'application/x-www-form-urlencoded',
      });
      assert.equal(res.status, 400);
      assert.equal(res.json().error, 'invalid_request');
      assert.match(res.json().error_description, new RegExp(`^AADSTS50194: Application '${DEMO_APPS.singleTenant}'\\(ImageManager \\(single tenant\\)\\) is not configured as a multi-tenant application\\.`));
    });

    it('single tenant through msal-node\'s device code on /common: the capture has AADSTS50194', async () => {
      const { app, errors } = publicClient(emu, 'common', DEMO_APPS.singleTenant);
      await assert.rejects(app.acquireTokenByDeviceCode({ scopes: ['Mail.Send'], deviceCodeCallback: () => {} }));
      assert.ok(errors.all().some((e) => e.aadsts.includes(50194) && e.url.endsWith('/common/oauth2/v2.0/devicecode')));
    });

    it('personal accounts only (not supported by the guide) on /organizations: AADSTS9002331 (on /common: fidelity-account-types.test.ts); an organizations-only app on /consumers: AADSTS9002332', async () => {
      const { clientId } = await register(emu, { signInAudience: 'PersonalMicrosoftAccount', consent: [] });
      const { url } = await authCodeUrl(emu, 'organizations', clientId);
      const step = await openPage(emu, url);
      assert.equal(step.kind === 'page' && aadstsOnPage(step.html), 9002331);
      const consumers = await authCodeUrl(emu, 'consumers', DEMO_APPS.multiTenant);
      const page = await openPage(emu, consumers.url);
      assert.equal(page.kind === 'page' && aadstsOnPage(page.html), 9002332);
    });

    it('a personal account on an organizations-only app through /common: AADSTS500200 (issue 13.6)', async () => {
      const { url } = await authCodeUrl(emu, 'common', DEMO_APPS.multiTenant);
      const step = await signIn(emu, url, PERSONAL, { typed: true });
      assert.equal(step.kind, 'page');
      if (step.kind !== 'page') return;
      assert.equal(aadstsOnPage(step.html), 500200);
      assert.match(step.html, /User account &#39;alex@outlook\.com&#39; is a personal Microsoft account\. Personal Microsoft accounts are not supported for this application unless explicitly invited to an organization\./);
    });

    it('a work account of another tenant on a single-tenant app: AADSTS50020', async () => {
      await emu.call('POST', '/_emulator/tenants', { displayName: 'Fabrikam', domains: ['fabrikam.onmicrosoft.com'] });
      await emu.call('POST', '/_emulator/users', { upn: 'ops@fabrikam.onmicrosoft.com', tenant: 'fabrikam.onmicrosoft.com' });
      const { url } = await authCodeUrl(emu, DEMO_TENANT_ID, DEMO_APPS.singleTenant);
      const step = await signIn(emu, url, 'ops@fabrikam.onmicrosoft.com', { typed: true });
      assert.equal(step.kind === 'page' && aadstsOnPage(step.html), 50020);
    });
  });

  describe('"Tenant ID"', () => {
    it('a Tenant ID that does not exist: msal-node fails discovery; the capture has AADSTS90002', async () => {
      const wrong = randomUUID();
      const { app, errors } = publicClient(emu, wrong, DEMO_APPS.singleTenant);
      const err = await app.acquireTokenByDeviceCode({ scopes: ['Mail.Send'], deviceCodeCallback: () => {} }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof AuthError);
      assert.doesNotMatch(err.message, /AADSTS90002/);
      const raw = errors.latest();
      assert.equal(raw?.url, `${emu.url}/${wrong}/v2.0/.well-known/openid-configuration`);
      assert.equal(raw?.error, 'invalid_tenant');
      assert.deepEqual(raw?.aadsts, [90002]);
    });

    it('the Tenant ID of another tenant for a single-tenant app: AADSTS700016', async () => {
      const res = await emu.call('POST', '/fabrikam.onmicrosoft.com/oauth2/v2.0/devicecode', `client_id=${DEMO_APPS.singleTenant}&scope=Mail.Send`, {
        'content-type': 'application/x-www-form-urlencoded',
      });
      assert.equal(res.json().error, 'unauthorized_client');
      assert.match(res.json().error_description, new RegExp(`^AADSTS700016: Application with identifier '${DEMO_APPS.singleTenant}' was not found in the directory 'Fabrikam'\\.`));
    });
  });

  describe('"Add a Client Secret"', () => {
    it('an expired secret: AADSTS7000222, surfaced by msal-node', async () => {
      const { clientId, secret } = await register(emu, {
        applicationPermissions: ['Mail.Send'],
        secrets: [{ displayName: 'old', expiresInDays: -1 }],
        consent: [{ tenant: DEMO_DOMAIN, application: ['Mail.Send'] }],
      });
      const { app } = confidentialClient(emu, DEMO_TENANT_ID, clientId, secret);
      const err = await app.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof ServerError);
      assert.equal(err.errorCode, 'invalid_client');
      assert.equal(errorNumber(err), '7000222');
      assert.match(err.errorMessage, new RegExp(`AADSTS7000222: The provided client secret keys for app '${clientId}' are expired\\.`));
    });

    it('a wrong secret (e.g. the Secret ID instead of its Value): AADSTS7000215', async () => {
      const { app } = confidentialClient(emu, DEMO_TENANT_ID, DEMO_APPS.appOnly, randomUUID());
      const err = await app.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] }).then(() => undefined, (e: unknown) => e);
      assert.equal(errorNumber(err), '7000215');
      assert.equal((err as ServerError).status, 401);
    });

    it('the secret sent with a code from the Mobile and desktop redirect (a public client): AADSTS700025', async () => {
      const secret = seededSecret(emu, DEMO_APPS.singleTenant);
      const { app } = confidentialClient(emu, DEMO_TENANT_ID, DEMO_APPS.singleTenant, secret);
      const pkce = await new CryptoProvider().generatePkceCodes();
      const state = randomUUID();
      const url = await app.getAuthCodeUrl({ scopes: ['Mail.Send'], redirectUri: REDIRECT, codeChallenge: pkce.challenge, codeChallengeMethod: 'S256', state });
      const step = await signIn(emu, url, ALERTS);
      assert.equal(step.kind, 'redirect');
      if (step.kind !== 'redirect') return;
      const err = await app
        .acquireTokenByCode({ code: step.fields.code!, scopes: ['Mail.Send'], redirectUri: REDIRECT, codeVerifier: pkce.verifier })
        .then(() => undefined, (e: unknown) => e);
      assert.equal(errorNumber(err), '700025');
      assert.match((err as ServerError).errorMessage, /AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should be presented\./);
    });

    it('a code from a Web redirect redeemed without the secret: AADSTS7000218; with it: tokens', async () => {
      const { clientId, secret } = await register(emu, { redirectUris: { web: ['https://imagemanager.example/signin'] }, allowPublicClientFlows: false });
      const { app, errors } = publicClient(emu, DEMO_TENANT_ID, clientId);
      const redirectUri = 'https://imagemanager.example/signin';
      const url = await app.getAuthCodeUrl({ scopes: ['Mail.Send'], redirectUri });
      const step = await signIn(emu, url, ALERTS);
      assert.equal(step.kind, 'redirect');
      if (step.kind !== 'redirect') return;
      const err = await app.acquireTokenByCode({ code: step.fields.code!, scopes: ['Mail.Send'], redirectUri }).then(() => undefined, (e: unknown) => e);
      assert.equal(errorNumber(err), '7000218');
      assert.deepEqual(errors.latest()?.aadsts, [7000218]);
      const cca = confidentialClient(emu, DEMO_TENANT_ID, clientId, secret);
      const result = await cca.app.acquireTokenByCode({ code: step.fields.code!, scopes: ['Mail.Send'], redirectUri });
      assert.ok(String(decodeJwt(result.accessToken).scp).includes('Mail.Send'));
    });
  });

  describe('"Grant Microsoft Graph API Permissions" (delegated Mail.Send)', () => {
    it('users may not consent: signing in for Mail.Send meets "Need admin approval" (AADSTS90094), returned to the app as access_denied', async () => {
      await emu.call('POST', '/_emulator/tenants', { displayName: 'Northwind', domains: ['northwind.onmicrosoft.com'], userConsentAllowed: false });
      await emu.call('POST', '/_emulator/users', { upn: 'clerk@northwind.onmicrosoft.com', tenant: 'northwind.onmicrosoft.com' });
      const { clientId } = await register(emu, {
        tenant: 'northwind.onmicrosoft.com',
        delegatedPermissions: ['User.Read'],
        consent: [{ tenant: 'northwind.onmicrosoft.com', delegated: ['User.Read'] }],
      });
      const { url } = await authCodeUrl(emu, 'northwind.onmicrosoft.com', clientId);
      const step = await signIn(emu, url, 'clerk@northwind.onmicrosoft.com');
      assert.equal(step.kind, 'page');
      if (step.kind !== 'page') return;
      assert.match(step.html, /Need admin approval/);
      assert.equal(aadstsOnPage(step.html), 90094);
      const back = await submit(emu, step, { buttonId: 'idBtn_Back' });
      assert.equal(back.kind, 'redirect');
      if (back.kind !== 'redirect') return;
      assert.equal(back.fields.error, 'access_denied');
      assert.match(back.fields.error_description!, /^AADSTS90094: The grant requires admin permission\./);

      // What the configured permissions (".default") give without Mail.Send: a token without it.
      const defaults = await authCodeUrl(emu, 'northwind.onmicrosoft.com', clientId, ['https://graph.microsoft.com/.default']);
      const signedIn = await signIn(emu, defaults.url, 'clerk@northwind.onmicrosoft.com');
      assert.equal(signedIn.kind, 'redirect');
      if (signedIn.kind !== 'redirect') return;
      const result = await defaults.app.acquireTokenByCode({
        code: signedIn.fields.code!,
        scopes: ['https://graph.microsoft.com/.default'],
        redirectUri: REDIRECT,
        codeVerifier: defaults.pkce.verifier,
      });
      const scp = String(decodeJwt(result.accessToken).scp).split(' ');
      assert.ok(scp.includes('User.Read'));
      assert.ok(!scp.includes('Mail.Send'), `scp: ${scp.join(' ')}`);
    });

    it('users may consent: Entra asks for Mail.Send dynamically (not in API permissions) and the token then has it', async () => {
      const { clientId } = await register(emu, { delegatedPermissions: ['User.Read'], consent: [] });
      const { app, url, pkce } = await authCodeUrl(emu, DEMO_TENANT_ID, clientId);
      let step = await signIn(emu, url, ALERTS);
      assert.equal(step.kind, 'page');
      if (step.kind !== 'page') return;
      assert.match(step.html, /Permissions requested/);
      assert.match(step.html, /data-permission="Mail.Send"/);
      step = await submit(emu, step, { buttonId: 'idSIButton9' });
      assert.equal(step.kind, 'redirect');
      if (step.kind !== 'redirect') return;
      const result = await app.acquireTokenByCode({ code: step.fields.code!, scopes: ['Mail.Send'], redirectUri: REDIRECT, codeVerifier: pkce.verifier });
      assert.ok(String(decodeJwt(result.accessToken).scp).split(' ').includes('Mail.Send'));
    });

    it('app-only without the Mail.Send application permission: the token has no Mail.Send role (Graph answers 403)', async () => {
      const { clientId, secret } = await register(emu, { allowPublicClientFlows: false, applicationPermissions: ['User.Read.All'], consent: [{ tenant: DEMO_DOMAIN, application: ['User.Read.All'] }] });
      const { app } = confidentialClient(emu, DEMO_TENANT_ID, clientId, secret);
      const result = await app.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
      assert.deepEqual(decodeJwt(result!.accessToken).roles, ['User.Read.All']);
    });

    it('Mail.Send configured but admin consent never granted (app-only): no roles at all', async () => {
      const { clientId, secret } = await register(emu, { allowPublicClientFlows: false, applicationPermissions: ['Mail.Send'], consent: [] });
      const { app } = confidentialClient(emu, DEMO_TENANT_ID, clientId, secret);
      const result = await app.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
      assert.equal(decodeJwt(result!.accessToken).roles, undefined, 'no roles claim at all (claims only with a value)');
    });

    it('app-only on the registration the delegated guide made ("Allow public client flows" = Yes): AADSTS700025, the secret is refused (issue 13.13)', async () => {
      const { clientId, secret } = await register(emu, { applicationPermissions: ['Mail.Send'], consent: [{ tenant: DEMO_DOMAIN, application: ['Mail.Send'] }] });
      const { app } = confidentialClient(emu, DEMO_TENANT_ID, clientId, secret);
      await assert.rejects(app.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] }), (err: unknown) => errorNumber(err) === '700025');
    });
  });

  describe('"Admin Consent Note"', () => {
    it('consent revoked after sign-in: the silent refresh fails with AADSTS65001 (consent_required), an interaction-required error', async () => {
      const { clientId } = await register(emu);
      const { app } = publicClient(emu, DEMO_TENANT_ID, clientId);
      const result = await app.acquireTokenByDeviceCode({
        scopes: ['Mail.Send'],
        deviceCodeCallback: (r) => void approveDeviceCode(emu, r.userCode, ALERTS),
      });
      const revoke = await emu.call('DELETE', `/_emulator/consent?clientId=${clientId}&tenant=${DEMO_DOMAIN}`);
      assert.equal(revoke.json().revoked, 1, revoke.text);
      const err = await app.acquireTokenSilent({ account: result!.account!, scopes: ['Mail.Send'], forceRefresh: true }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof AuthError);
      assert.equal(err.name, 'InteractionRequiredAuthError');
      assert.equal(err.subError, 'consent_required');
      assert.match(err.message, /AADSTS65001: The user or administrator has not consented to use the application/);
    });

    it('an administrator consents for the organization on the consent screen; other users then sign in without a prompt', async () => {
      const { clientId } = await register(emu, { consent: [] });
      const admin = await authCodeUrl(emu, DEMO_TENANT_ID, clientId);
      let step = await signIn(emu, admin.url, ADMIN);
      assert.equal(step.kind === 'page' && /Consent on behalf of your organization/.test(step.html), true);
      step = await submit(emu, step, { buttonId: 'idSIButton9', fields: { consentOnBehalf: 'true' } });
      assert.equal(step.kind, 'redirect');
      const user = await authCodeUrl(emu, DEMO_TENANT_ID, clientId);
      const userStep = await signIn(emu, user.url, ALERTS);
      assert.equal(userStep.kind, 'redirect');
    });
  });
});
