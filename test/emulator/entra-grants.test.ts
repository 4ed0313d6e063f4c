import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { AuthError } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { startTestEmulator, type HttpResult, type TestEmulator } from '../support/emulator.js';
import { approveDeviceCode, fastDeviceCodes, formsIn, openPage, publicClient, seededSecret, signIn, submit, type PageStep } from '../support/msal.js';

/**
 * The grants on the wire: authorization codes (one use, PKCE, bound to client and redirect
 * URI), refresh tokens (rotation, 90-day inactivity, revocation), device codes (every polling
 * answer), client credentials, and the authorize endpoint's answers by redirect.
 */

const ALERTS = `alerts@${DEMO_DOMAIN}`;
const ADMIN = `admin@${DEMO_DOMAIN}`;
const APP = DEMO_APPS.singleTenant;
const REDIRECT = 'http://localhost:53200';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function post(emu: TestEmulator, path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpResult> {
  return emu.call('POST', path, new URLSearchParams(fields).toString(), { ...FORM, ...headers });
}

function token(emu: TestEmulator, fields: Record<string, string>, tenant = DEMO_TENANT_ID, headers: Record<string, string> = {}) {
  return post(emu, `/${tenant}/oauth2/v2.0/token`, fields, headers);
}

function assertEntraError(res: HttpResult, status: number, error: string, code: number) {
  assert.equal(res.status, status, res.text);
  const body = res.json();
  assert.equal(body.error, error);
  assert.deepEqual(body.error_codes, [code]);
  assert.match(body.error_description, new RegExp(`^AADSTS${code}: `));
  assert.equal(body.error_uri, `https://login.microsoftonline.com/error?code=${code}`);
}

function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl(emu: TestEmulator, query: Record<string, string>, tenant = DEMO_TENANT_ID) {
  const q = new URLSearchParams({ client_id: APP, response_type: 'code', redirect_uri: REDIRECT, scope: 'Mail.Send openid profile offline_access', ...query });
  return `${emu.url}/${tenant}/oauth2/v2.0/authorize?${q.toString()}`;
}

/** Signs ALERTS in and returns the code (with PKCE when a challenge is given). */
async function code(emu: TestEmulator, query: Record<string, string> = {}): Promise<string> {
  const step = await signIn(emu, authorizeUrl(emu, query), ALERTS);
  assert.equal(step.kind, 'redirect', step.kind === 'page' ? step.html : '');
  return (step as Extract<PageStep, { kind: 'redirect' }>).fields.code!;
}

async function redeem(emu: TestEmulator, authCode: string, extra: Record<string, string> = {}) {
  return token(emu, { grant_type: 'authorization_code', client_id: APP, code: authCode, redirect_uri: REDIRECT, scope: 'Mail.Send openid profile offline_access', ...extra });
}

async function deviceCode(emu: TestEmulator, clientId = APP, scope = 'Mail.Send openid profile offline_access') {
  const res = await post(emu, `/${DEMO_TENANT_ID}/oauth2/v2.0/devicecode`, { client_id: clientId, scope });
  assert.equal(res.status, 200, res.text);
  return res.json() as { device_code: string; user_code: string; interval: number; expires_in: number; verification_uri: string; message: string };
}

function poll(emu: TestEmulator, device: string, clientId = APP, extra: Record<string, string> = {}) {
  return token(emu, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: clientId, device_code: device, ...extra });
}

async function refreshTokenFor(emu: TestEmulator): Promise<string> {
  const { verifier, challenge } = pkcePair();
  const res = await redeem(emu, await code(emu, { code_challenge: challenge, code_challenge_method: 'S256' }), { code_verifier: verifier });
  assert.equal(res.status, 200, res.text);
  return res.json().refresh_token;
}

function refresh(emu: TestEmulator, rt: string, extra: Record<string, string> = {}) {
  return token(emu, { grant_type: 'refresh_token', client_id: APP, refresh_token: rt, scope: 'Mail.Send openid profile offline_access', ...extra });
}

async function advanceDays(emu: TestEmulator, days: number) {
  const res = await emu.call('POST', '/_emulator/clock', { advanceSeconds: days * 86_400 });
  assert.equal(res.status, 200);
}

describe('Entra ID emulator: grants', () => {
  let emu: TestEmulator;
  before(async () => {
    emu = await startTestEmulator();
    await fastDeviceCodes(emu);
  });
  afterEach(async () => {
    await emu.call('POST', '/_emulator/clock', { reset: true });
  });
  after(async () => {
    await emu.stop();
  });

  describe('authorization code', () => {
    it('is redeemed once: the second time AADSTS54005', async () => {
      const c = await code(emu);
      const first = await redeem(emu, c);
      assert.equal(first.status, 200, first.text);
      assertEntraError(await redeem(emu, c), 400, 'invalid_grant', 54005);
    });

    it('checks the PKCE S256 verifier: a wrong or missing one is AADSTS501481', async () => {
      const { challenge, verifier } = pkcePair();
      const c = await code(emu, { code_challenge: challenge, code_challenge_method: 'S256' });
      assertEntraError(await redeem(emu, c, { code_verifier: pkcePair().verifier }), 400, 'invalid_grant', 501481);
      assertEntraError(await redeem(emu, c), 400, 'invalid_grant', 501481);
      assert.equal((await redeem(emu, c, { code_verifier: verifier })).status, 200);
    });

    it('is bound to its client and redirect URI, and expires', async () => {
      const c = await code(emu);
      assertEntraError(await redeem(emu, c, { client_id: DEMO_APPS.multiTenant }), 400, 'invalid_grant', 70000);
      const otherRedirect = await redeem(emu, c, { redirect_uri: 'http://localhost:1' });
      assertEntraError(otherRedirect, 400, 'invalid_grant', 500112);
      assertEntraError(await redeem(emu, 'not-a-code'), 400, 'invalid_grant', 9002313);
      const late = await code(emu);
      await emu.call('POST', '/_emulator/clock', { advanceSeconds: 601 });
      assertEntraError(await redeem(emu, late), 400, 'invalid_grant', 70008);
    });

    it('gives an id token with nonce only when one was sent, client_info only when asked, a refresh token only with offline_access', async () => {
      const res = await redeem(emu, await code(emu, { nonce: 'n-123' }), { client_info: '1' });
      const body = res.json();
      assert.deepEqual(Object.keys(body), ['token_type', 'scope', 'expires_in', 'ext_expires_in', 'access_token', 'refresh_token', 'id_token', 'client_info']);
      assert.equal(body.token_type, 'Bearer');
      assert.ok(body.expires_in >= 3600);
      const id = decodeJwt(body.id_token);
      assert.equal(id.nonce, 'n-123');
      assert.equal(id.iss, `${emu.url}/${DEMO_TENANT_ID}/v2.0`);
      assert.deepEqual(JSON.parse(Buffer.from(body.client_info, 'base64url').toString()), { uid: id.oid, utid: DEMO_TENANT_ID });
      assert.equal(body.scope, 'Mail.Send profile openid email');

      const bare = (await redeem(emu, await code(emu, { scope: 'Mail.Send' }), { scope: 'Mail.Send' })).json();
      assert.equal(bare.refresh_token, undefined);
      assert.equal(bare.id_token, undefined);
      assert.equal(bare.client_info, undefined);
      assert.equal(decodeJwt((await redeem(emu, await code(emu))).json().id_token).nonce, undefined);
    });

    it('takes Graph permissions with or without the resource prefix', async () => {
      const full = 'https://graph.microsoft.com/Mail.Send openid offline_access';
      const res = await redeem(emu, await code(emu, { scope: full }), { scope: full });
      assert.equal(res.status, 200, res.text);
      assert.ok(String(decodeJwt(res.json().access_token).scp).split(' ').includes('Mail.Send'));
    });

    it('accepts the client secret in HTTP Basic for a Web redirect (client_secret_basic)', async () => {
      const created = await emu.call('POST', '/_emulator/apps', {
        displayName: 'Web app',
        tenant: DEMO_DOMAIN,
        signInAudience: 'AzureADMyOrg',
        redirectUris: { web: ['https://web.example/cb'] },
        delegatedPermissions: ['Mail.Send'],
        secrets: [{ displayName: 'web' }],
        consent: [{ tenant: DEMO_DOMAIN, delegated: ['Mail.Send'] }],
      });
      const { clientId, secretValues } = created.json();
      const step = await signIn(emu, `${emu.url}/${DEMO_TENANT_ID}/oauth2/v2.0/authorize?client_id=${clientId}&response_type=code&redirect_uri=${encodeURIComponent('https://web.example/cb')}&scope=Mail.Send`, ALERTS);
      assert.equal(step.kind, 'redirect');
      const basic = Buffer.from(`${clientId}:${encodeURIComponent(secretValues[0].value)}`).toString('base64');
      const res = await token(
        emu,
        { grant_type: 'authorization_code', code: (step as Extract<PageStep, { kind: 'redirect' }>).fields.code!, redirect_uri: 'https://web.example/cb', scope: 'Mail.Send' },
        DEMO_TENANT_ID,
        { authorization: `Basic ${basic}` },
      );
      assert.equal(res.status, 200, res.text);
    });
  });

  describe('refresh token', () => {
    it('rotates: each use returns a new one, and the one used keeps working', async () => {
      const rt1 = await refreshTokenFor(emu);
      const second = await refresh(emu, rt1);
      assert.equal(second.status, 200);
      const rt2 = second.json().refresh_token as string;
      assert.notEqual(rt2, rt1);
      assert.equal((await refresh(emu, rt1)).status, 200);
      assert.equal((await refresh(emu, rt2)).status, 200);
    });

    it(`expires after 90 days unused (AADSTS700082), but a token used within the window slides on`, async () => {
      const rt = await refreshTokenFor(emu);
      const kept = await refreshTokenFor(emu);
      await advanceDays(emu, 80);
      const used = await refresh(emu, kept);
      assert.equal(used.status, 200);
      await advanceDays(emu, 11);
      const res = await refresh(emu, rt);
      assertEntraError(res, 400, 'invalid_grant', 700082);
      assert.match(res.json().error_description, /^AADSTS700082: The refresh token has expired due to inactivity\. The token was issued on \d{4}-\d\d-\d\dT[\d:.]+Z and was inactive for 90\.00:00:00\./);
      assert.equal((await refresh(emu, kept)).status, 200, 'used 11 days ago');
    });

    it('msal-node surfaces AADSTS700082 on a silent refresh after 91 quiet days', async () => {
      const { app } = publicClient(emu, DEMO_TENANT_ID, APP);
      const result = await app.acquireTokenByDeviceCode({ scopes: ['Mail.Send'], deviceCodeCallback: (r) => void approveDeviceCode(emu, r.userCode, ALERTS) });
      await advanceDays(emu, 91);
      const err = await app.acquireTokenSilent({ account: result!.account!, scopes: ['Mail.Send'], forceRefresh: true }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof AuthError);
      assert.match(err.message, /AADSTS700082/);
    });

    it('stops working when the user\'s sessions are revoked (AADSTS50173); a new sign-in works', async () => {
      const rt = await refreshTokenFor(emu);
      const revoked = await emu.call('POST', '/_emulator/faults', { action: 'revoke-refresh-tokens', user: ALERTS });
      assert.equal(revoked.status, 200);
      assert.ok(revoked.json().revoked >= 1);
      const res = await refresh(emu, rt);
      assertEntraError(res, 400, 'invalid_grant', 50173);
      assert.match(res.json().error_description, /TokensValidFrom date \(before which tokens are not valid\) for this user is/);
      await new Promise((r) => setTimeout(r, 5));
      assert.equal((await refresh(emu, await refreshTokenFor(emu))).status, 200);
    });

    it('keeps its client kind: a secret with a public client\'s refresh token is AADSTS700025', async () => {
      const rt = await refreshTokenFor(emu);
      assertEntraError(await refresh(emu, rt, { client_secret: seededSecret(emu, APP) }), 401, 'invalid_client', 700025);
      assertEntraError(await refresh(emu, 'garbage'), 400, 'invalid_grant', 9002313);
    });
  });

  describe('device code', () => {
    it('answers like Entra: pending, then tokens; the short grant type name works too; the code is used once', async () => {
      const dc = await deviceCode(emu);
      assert.equal(dc.verification_uri, `${emu.url}/devicelogin`);
      assert.equal(dc.interval, 1);
      assert.equal(dc.expires_in, 900);
      assert.match(dc.user_code, /^[A-Z0-9]{9}$/);
      const pending = await poll(emu, dc.device_code);
      assertEntraError(pending, 400, 'authorization_pending', 70016);
      assert.match(pending.json().error_description, /^AADSTS70016: OAuth 2.0 device flow error\. Authorization is pending\. Continue polling\.\r\nTrace ID/);
      assert.equal((await approveDeviceCode(emu, dc.user_code, ALERTS)).status, 200);
      await new Promise((r) => setTimeout(r, 1000));
      const done = await token(emu, { grant_type: 'device_code', client_id: APP, device_code: dc.device_code });
      assert.equal(done.status, 200, done.text);
      assert.ok(done.json().access_token && done.json().refresh_token && done.json().id_token);
      await new Promise((r) => setTimeout(r, 1000));
      assertEntraError(await poll(emu, dc.device_code), 400, 'bad_verification_code', 70018);
    });

    it('asks a client that polls too fast to slow down (RFC 8628 slow_down, interval + 5 s)', async () => {
      const dc = await deviceCode(emu);
      assertEntraError(await poll(emu, dc.device_code), 400, 'authorization_pending', 70016);
      const fast = await poll(emu, dc.device_code);
      assert.equal(fast.status, 400);
      assert.equal(fast.json().error, 'slow_down');
      assert.match(fast.json().error_description, /wait at least 6 seconds/);
    });

    it('reports authorization_declined, expired_token and bad_verification_code', async () => {
      const declined = await deviceCode(emu);
      assert.equal((await emu.call('POST', '/_emulator/devicecode/deny', { userCode: declined.user_code })).status, 200);
      assertEntraError(await poll(emu, declined.device_code), 400, 'authorization_declined', 65004);

      const expired = await deviceCode(emu);
      await emu.call('POST', '/_emulator/clock', { advanceSeconds: 901 });
      assertEntraError(await poll(emu, expired.device_code), 400, 'expired_token', 70020);
      assertEntraError(await poll(emu, 'DAQAB-nonsense'), 400, 'bad_verification_code', 70018);
    });

    it('with public client flows on, a secret is refused (AADSTS700025); with them off, a confidential client may poll with its secret', async () => {
      const dc = await deviceCode(emu);
      assertEntraError(await poll(emu, dc.device_code, APP, { client_secret: seededSecret(emu, APP) }), 401, 'invalid_client', 700025);
      const created = await emu.call('POST', '/_emulator/apps', {
        displayName: 'Confidential device app',
        tenant: DEMO_DOMAIN,
        signInAudience: 'AzureADMyOrg',
        allowPublicClientFlows: false,
        delegatedPermissions: ['Mail.Send'],
        secrets: [{}],
        consent: [{ tenant: DEMO_DOMAIN, delegated: ['Mail.Send'] }],
      });
      const { clientId, secretValues } = created.json();
      const cdc = await deviceCode(emu, clientId);
      assertEntraError(await poll(emu, cdc.device_code, clientId), 401, 'invalid_client', 7000218);
      await approveDeviceCode(emu, cdc.user_code, ALERTS);
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal((await poll(emu, cdc.device_code, clientId, { client_secret: secretValues[0].value })).status, 200);
    });

    it('walks the /devicelogin pages: a wrong code, the right one, the account, the success message', async () => {
      const dc = await deviceCode(emu);
      let step = await openPage(emu, `${emu.url}/devicelogin`);
      assert.equal(step.kind, 'page');
      step = await submit(emu, step, { buttonId: 'idSIButton9', fields: { otc: 'WRONGCODE' } });
      assert.match((step as Extract<PageStep, { kind: 'page' }>).html, /That code didn(’|'|&#39;)t work\. Check the code and try again\./);
      step = await submit(emu, step, { buttonId: 'idSIButton9', fields: { otc: dc.user_code.toLowerCase() } });
      assert.match((step as Extract<PageStep, { kind: 'page' }>).html, /Are you trying to sign in to <strong>ImageManager \(single tenant\)<\/strong>\?/);
      step = await submit(emu, step, { upn: ALERTS });
      assert.equal(step.kind, 'page');
      assert.match(
        (step as Extract<PageStep, { kind: 'page' }>).html,
        /You have signed in to the ImageManager \(single tenant\) application on your device\. You may now close this window\./,
      );
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal((await poll(emu, dc.device_code)).status, 200);
      // The same code again: already used.
      const again = await submit(emu, await openPage(emu, `${emu.url}/devicelogin`), { buttonId: 'idSIButton9', fields: { otc: dc.user_code } });
      assert.match((again as Extract<PageStep, { kind: 'page' }>).html, /already been used/);
    });

    it('Cancel on /devicelogin declines the request', async () => {
      const dc = await deviceCode(emu);
      let step = await openPage(emu, `${emu.url}/devicelogin?otc=${dc.user_code}`);
      step = await submit(emu, step, { buttonId: 'idSIButton9' });
      step = await submit(emu, step, { buttonId: 'idBtn_Back' });
      assert.match((step as Extract<PageStep, { kind: 'page' }>).html, /You have declined to sign in/);
      assertEntraError(await poll(emu, dc.device_code), 400, 'authorization_declined', 65004);
    });

    it('checks scopes when the code is requested: unknown permission AADSTS70011, unknown resource AADSTS500011', async () => {
      const bad = await post(emu, `/${DEMO_TENANT_ID}/oauth2/v2.0/devicecode`, { client_id: APP, scope: 'Mail.Sendd' });
      assertEntraError(bad, 400, 'invalid_scope', 70011);
      assert.match(bad.json().error_description, /The scope Mail\.Sendd is not valid\./);
      assertEntraError(await post(emu, `/${DEMO_TENANT_ID}/oauth2/v2.0/devicecode`, { client_id: APP, scope: 'https://api.example/read' }), 400, 'invalid_resource', 500011);
      assertEntraError(await post(emu, `/${DEMO_TENANT_ID}/oauth2/v2.0/devicecode`, { client_id: APP, scope: 'https://graph.microsoft.com/.default Mail.Send' }), 400, 'invalid_scope', 70011);
      assertEntraError(await post(emu, `/${DEMO_TENANT_ID}/oauth2/v2.0/devicecode`, { client_id: APP }), 400, 'invalid_request', 900144);
      assertEntraError(await post(emu, `/${DEMO_TENANT_ID}/oauth2/v2.0/devicecode`, { client_id: randomUUID(), scope: 'Mail.Send' }), 400, 'unauthorized_client', 700016);
    });
  });

  describe('client credentials', () => {
    const cc = (fields: Record<string, string>, tenant = DEMO_TENANT_ID) =>
      token(emu, { grant_type: 'client_credentials', client_id: DEMO_APPS.appOnly, client_secret: seededSecret(emu, DEMO_APPS.appOnly), scope: 'https://graph.microsoft.com/.default', ...fields }, tenant);

    it('wants exactly "{resource}/.default": a named permission is AADSTS1002012, anything else AADSTS70011', async () => {
      const named = await cc({ scope: 'https://graph.microsoft.com/Mail.Send' });
      assertEntraError(named, 400, 'invalid_scope', 1002012);
      assert.match(named.json().error_description, /^AADSTS1002012: The provided value for scope https:\/\/graph\.microsoft\.com\/Mail\.Send is not valid\. Client credential flows must have a scope value with \/\.default suffixed/);
      assertEntraError(await cc({ scope: 'openid' }), 400, 'invalid_scope', 70011);
      const ok = await cc({ scope: '00000003-0000-0000-c000-000000000000/.default' });
      assert.equal(ok.status, 200);
      assert.deepEqual(Object.keys(ok.json()), ['token_type', 'expires_in', 'ext_expires_in', 'access_token']);
    });

    it('needs a tenant (AADSTS50059 on /organizations; 50194 first for a single-tenant app) and the secret (AADSTS7000218)', async () => {
      assertEntraError(await cc({}, 'organizations'), 400, 'invalid_request', 50194);
      const multi = { client_id: DEMO_APPS.multiTenant, client_secret: seededSecret(emu, DEMO_APPS.multiTenant) };
      assertEntraError(await cc(multi, 'organizations'), 400, 'invalid_request', 50059);
      assertEntraError(await cc({ client_secret: '' }), 401, 'invalid_client', 7000218);
    });

    it('a multitenant app in a tenant whose administrator never consented: AADSTS700016', async () => {
      await emu.call('POST', '/_emulator/tenants', { displayName: 'Tailspin', domains: ['tailspin.onmicrosoft.com'] });
      const res = await token(
        emu,
        { grant_type: 'client_credentials', client_id: DEMO_APPS.multiTenant, client_secret: seededSecret(emu, DEMO_APPS.multiTenant), scope: 'https://graph.microsoft.com/.default' },
        'tailspin.onmicrosoft.com',
      );
      assertEntraError(res, 400, 'unauthorized_client', 700016);
    });
  });

  describe('authorize', () => {
    it('answers by query (default), fragment or form_post', async () => {
      const q = await signIn(emu, authorizeUrl(emu, { state: 's1' }), ALERTS);
      assert.equal(q.kind === 'redirect' && q.location.searchParams.get('state'), 's1');
      const f = await signIn(emu, authorizeUrl(emu, { state: 's2', response_mode: 'fragment' }), ALERTS);
      assert.equal(f.kind === 'redirect' && f.location.search, '');
      assert.equal(f.kind === 'redirect' && f.fields.state, 's2');
      const page = await signIn(emu, authorizeUrl(emu, { state: 's3', response_mode: 'form_post' }), ALERTS);
      assert.equal(page.kind === 'redirect' && page.location.toString(), `${REDIRECT}/`);
      assert.equal(page.kind === 'redirect' && page.fields.state, 's3');
      assert.ok(page.kind === 'redirect' && page.fields.code);
    });

    it('sends errors found after the redirect URI is trusted back to it, with state', async () => {
      const token_ = await openPage(emu, authorizeUrl(emu, { response_type: 'token', state: 'x' }));
      assert.equal(token_.kind, 'redirect');
      if (token_.kind === 'redirect') {
        assert.equal(token_.fields.error, 'unsupported_response_type');
        assert.equal(token_.fields.state, 'x');
        assert.match(token_.fields.error_description!, /^AADSTS700051: /);
        assert.equal(token_.fields.error_uri, 'https://login.microsoftonline.com/error?code=700051');
      }
      const silent = await openPage(emu, authorizeUrl(emu, { prompt: 'none' }));
      assert.equal(silent.kind === 'redirect' && silent.fields.error, 'login_required');
      const scope = await openPage(emu, authorizeUrl(emu, { scope: 'Mail.Sendd' }));
      assert.equal(scope.kind === 'redirect' && scope.fields.error, 'invalid_scope');
    });

    it('Cancel on the consent screen returns access_denied (AADSTS65004) with error_subcode=cancel', async () => {
      const step = await signIn(emu, authorizeUrl(emu, { prompt: 'consent', state: 'c' }), ALERTS, { consent: 'cancel' });
      assert.equal(step.kind, 'redirect');
      if (step.kind !== 'redirect') return;
      assert.equal(step.fields.error, 'access_denied');
      assert.equal(step.fields.error_subcode, 'cancel');
      assert.match(step.fields.error_description!, /^AADSTS65004: User declined to consent to access the app\./);
      assert.equal(step.fields.state, 'c');
    });

    it('offers the tenant\'s accounts as buttons and a loginfmt box, and tells an unknown account so', async () => {
      const page = await openPage(emu, authorizeUrl(emu, { login_hint: 'someone@contoso.onmicrosoft.com' }));
      assert.equal(page.kind, 'page');
      if (page.kind !== 'page') return;
      const forms = formsIn(page.html);
      const upns = forms.flatMap((f) => f.buttons.map((b) => b.upn)).filter(Boolean);
      assert.ok(upns.includes(ALERTS) && upns.includes(ADMIN));
      assert.ok(!upns.includes('alex@outlook.com'), 'a personal account is not offered on a tenant authority');
      assert.equal(forms.find((f) => f.id === 'loginForm')?.fields.loginfmt, 'someone@contoso.onmicrosoft.com');
      const unknown = await submit(emu, page, { buttonId: 'idSIButton9' });
      assert.match((unknown as Extract<PageStep, { kind: 'page' }>).html, /This username may be incorrect\./);
      // Values are escaped: a hint cannot inject markup.
      const hostile = await openPage(emu, authorizeUrl(emu, { login_hint: '"><script>alert(1)</script>' }));
      assert.ok(hostile.kind === 'page' && !hostile.html.includes('<script>alert(1)'));
    });
  });

  describe('logout and admin consent', () => {
    it('logout returns to a registered post_logout_redirect_uri with state, else shows the signed-out page', async () => {
      const logout = (q: string) => openPage(emu, `${emu.url}/common/oauth2/v2.0/logout?${q}`);
      const back = await logout(`client_id=${APP}&post_logout_redirect_uri=${encodeURIComponent('http://localhost:9')}&state=z`);
      assert.equal(back.kind === 'redirect' && back.location.toString(), 'http://localhost:9/?state=z');
      for (const q of ['', `post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`, `client_id=${APP}&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`]) {
        const page = await logout(q);
        assert.ok(page.kind === 'page' && /You signed out of your account/.test(page.html), q);
      }
    });

    it('v2.0/adminconsent: an administrator accepts for the organization and the app gets its configured permissions', async () => {
      await emu.call('POST', '/_emulator/tenants', { displayName: 'Litware', domains: ['litware.onmicrosoft.com'] });
      await emu.call('POST', '/_emulator/users', { upn: 'boss@litware.onmicrosoft.com', tenant: 'litware.onmicrosoft.com', admin: true });
      await emu.call('POST', '/_emulator/users', { upn: 'staff@litware.onmicrosoft.com', tenant: 'litware.onmicrosoft.com' });
      const url = `${emu.url}/litware.onmicrosoft.com/v2.0/adminconsent?client_id=${DEMO_APPS.multiTenant}&scope=${encodeURIComponent('https://graph.microsoft.com/.default')}&redirect_uri=${encodeURIComponent('http://localhost:7000')}&state=ac`;

      const staff = await signIn(emu, url, 'staff@litware.onmicrosoft.com', { typed: true });
      assert.ok(staff.kind === 'page' && /Need admin approval/.test(staff.html));

      let step = await signIn(emu, url, 'boss@litware.onmicrosoft.com', { typed: true });
      assert.ok(step.kind === 'page' && /Accept for your organization/.test(step.html) && /data-permission="Mail.Send"/.test(step.html));
      step = await submit(emu, step, { buttonId: 'idSIButton9' });
      assert.equal(step.kind, 'redirect');
      if (step.kind !== 'redirect') return;
      assert.equal(step.fields.admin_consent, 'True');
      const tenantId = step.fields.tenant;
      assert.equal(step.fields.state, 'ac');
      const state = (await emu.call('GET', '/_emulator/state')).json();
      const consent = state.consents.find((c: { tenantId: string; clientId: string; userId?: string }) => c.tenantId === tenantId && c.clientId === DEMO_APPS.multiTenant);
      assert.deepEqual(consent.delegated, ['Mail.Send']);
      assert.equal(consent.userId, undefined);

      // Staff of that tenant now sign in without any consent prompt.
      const signedIn = await signIn(emu, authorizeUrl(emu, { client_id: DEMO_APPS.multiTenant }, 'organizations'), 'staff@litware.onmicrosoft.com', { typed: true });
      assert.equal(signedIn.kind, 'redirect');

      const cancel = await submit(emu, await signIn(emu, url, 'boss@litware.onmicrosoft.com', { typed: true }), { buttonId: 'idBtn_Back' });
      assert.equal(cancel.kind === 'redirect' && cancel.fields.error, 'permission_denied');
    });
  });

  it('a third-party timestamp check: the ids Entra prints are on every error', async () => {
    const res = await token(emu, { grant_type: 'refresh_token', client_id: APP, refresh_token: 'x' }, DEMO_TENANT_ID, { 'client-request-id': randomUUID(), 'return-client-request-id': 'true' });
    assert.equal(res.headers['client-request-id'], res.json().correlation_id);
    assert.equal(res.headers['x-ms-request-id'], res.json().trace_id);
    assert.equal(res.headers['cache-control'], 'no-store, no-cache');
  });
});
