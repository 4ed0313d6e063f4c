import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { DEFAULT_BEHAVIOUR } from '../../packages/emulator/src/context.js';
import { GRAPH_APP_ID } from '../../packages/emulator/src/directory.js';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { openGraphConnection } from '../../src/delivery/index.js';
import { signedInHome, testEnv } from '../support/cli.js';
import { startTestEmulator, type HttpResult, type TestEmulator } from '../support/emulator.js';
import { approveDeviceCode, fastDeviceCodes, seededSecret } from '../support/msal.js';

/**
 * Issue 13.12, token response details (sources in docs/emulator.md): the `scope` a Graph token
 * response names (the OpenID trio once `openid` was asked, Graph permissions in the form the
 * request used), a refresh token only with `offline_access`, and `aud` by the form the request
 * named Graph in. Then the product, signed in and sending under each form.
 */

const ALERTS = `alerts@${DEMO_DOMAIN}`;
const APP = DEMO_APPS.singleTenant;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const URI = 'https://graph.microsoft.com';

function post(emu: TestEmulator, fields: Record<string, string>): Promise<HttpResult> {
  return emu.call('POST', `/${DEMO_TENANT_ID}/oauth2/v2.0/${fields.grant_type ? 'token' : 'devicecode'}`, new URLSearchParams(fields).toString(), FORM);
}

/** A device-code sign-in of alerts@ with `scope`; the token response. */
async function signIn(emu: TestEmulator, scope: string): Promise<Record<string, any>> {
  const device = await post(emu, { client_id: APP, scope });
  assert.equal(device.status, 200, device.text);
  const { device_code: deviceCode, user_code: userCode } = device.json();
  assert.equal((await approveDeviceCode(emu, userCode, ALERTS)).status, 200);
  const res = await post(emu, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: APP, device_code: deviceCode });
  assert.equal(res.status, 200, res.text);
  return res.json();
}

describe('token response details (issue 13.12)', () => {
  let emu: TestEmulator;
  before(async () => {
    emu = await startTestEmulator();
    await fastDeviceCodes(emu);
  });
  after(() => emu.stop());
  afterEach(async () => {
    await emu.call('PUT', '/_emulator/behaviour', { scopeEcho: DEFAULT_BEHAVIOUR.scopeEcho, graphAudience: DEFAULT_BEHAVIOUR.graphAudience });
  });

  it('short scopes: short echo with "profile openid email" (email not asked), no offline_access named, aud the Graph app id', async () => {
    const body = await signIn(emu, 'Mail.Send offline_access openid profile');
    assert.equal(body.scope, 'Mail.Send profile openid email');
    assert.ok(body.refresh_token, 'offline_access asked: a refresh token');
    const claims = decodeJwt(body.access_token);
    assert.equal(claims.aud, GRAPH_APP_ID);
    assert.equal(claims.scp, 'Mail.Send profile openid email');
    assert.equal(decodeJwt(body.id_token).email, undefined, 'the id token has email only when email was asked');
  });

  it('prefixed scopes: prefixed echo, aud https://graph.microsoft.com; the token scp keeps short names', async () => {
    const body = await signIn(emu, `${URI}/Mail.Send offline_access openid`);
    assert.equal(body.scope, `${URI}/Mail.Send profile openid email`);
    const claims = decodeJwt(body.access_token);
    assert.equal(claims.aud, URI);
    assert.equal(claims.scp, 'Mail.Send profile openid email');
    const byAppId = await signIn(emu, `${GRAPH_APP_ID}/Mail.Send openid`);
    assert.equal(byAppId.scope, `${URI}/Mail.Send profile openid email`);
    assert.equal(decodeJwt(byAppId.access_token).aud, GRAPH_APP_ID);
  });

  it('no refresh token without offline_access, for a work account too (scopes-oidc)', async () => {
    const body = await signIn(emu, 'Mail.Send openid profile');
    assert.equal(body.refresh_token, undefined);
    assert.equal(body.scope, 'Mail.Send profile openid email');
    const noOidc = await signIn(emu, 'Mail.Send');
    assert.equal(noOidc.scope, 'Mail.Send');
    assert.equal(noOidc.id_token, undefined);
  });

  it('a refresh without openid still names the trio the sign-in had, in the form the refresh asked', async () => {
    const first = await signIn(emu, 'Mail.Send offline_access openid profile');
    const refreshed = await post(emu, { grant_type: 'refresh_token', client_id: APP, refresh_token: first.refresh_token, scope: `${URI}/Mail.Send offline_access` });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.equal(refreshed.json().scope, `${URI}/Mail.Send profile openid email`);
    assert.equal(decodeJwt(refreshed.json().access_token).aud, URI);
  });

  it('client credentials: aud by the form of the .default scope', async () => {
    const secret = seededSecret(emu, DEMO_APPS.appOnly);
    const get = (scope: string) => post(emu, { grant_type: 'client_credentials', client_id: DEMO_APPS.appOnly, client_secret: secret, scope });
    const byUri = await get(`${URI}/.default`);
    assert.equal(byUri.status, 200, byUri.text);
    assert.equal(decodeJwt(byUri.json().access_token).aud, URI);
    const byId = await get(`${GRAPH_APP_ID}/.default`);
    assert.equal(byId.status, 200, byId.text);
    assert.equal(decodeJwt(byId.json().access_token).aud, GRAPH_APP_ID);
  });

  it('switches force one form, and refuse an unknown one', async () => {
    assert.equal((await emu.call('PUT', '/_emulator/behaviour', { scopeEcho: 'uri', graphAudience: 'uri' })).status, 200);
    const body = await signIn(emu, 'Mail.Send openid');
    assert.equal(body.scope, `${URI}/Mail.Send profile openid email`);
    assert.equal(decodeJwt(body.access_token).aud, URI);
    assert.equal((await emu.call('PUT', '/_emulator/behaviour', { scopeEcho: 'short', graphAudience: 'app-id' })).status, 200);
    const short = await signIn(emu, `${URI}/Mail.Send openid`);
    assert.equal(short.scope, 'Mail.Send profile openid email');
    assert.equal(decodeJwt(short.access_token).aud, GRAPH_APP_ID);
    const bad = await emu.call('PUT', '/_emulator/behaviour', { scopeEcho: 'long' });
    assert.equal(bad.status, 400);
    assert.match(bad.json().error, /scopeEcho: one of "as-requested", "uri", "short"/);
  });
});

describe('the product under either form of scope and audience (issue 13.12)', () => {
  for (const form of [
    { scopeEcho: 'uri', graphAudience: 'uri' },
    { scopeEcho: 'short', graphAudience: 'app-id' },
  ] as const) {
    it(`signs in, sees Mail.ReadWrite and sends through a draft with an upload session, scopes "${form.scopeEcho}", aud "${form.graphAudience}"`, async () => {
      const emu = await startTestEmulator();
      let cleanup: (() => Promise<void>) | undefined;
      try {
        assert.equal((await emu.call('PUT', '/_emulator/behaviour', form)).status, 200);
        await emu.call('POST', '/_emulator/consent', { clientId: APP, tenant: DEMO_TENANT_ID, delegated: ['Mail.Send', 'Mail.ReadWrite'] });
        const made = await signedInHome(emu, { clientId: APP, tenantId: DEMO_TENANT_ID, upn: ALERTS, to: `it-team@${DEMO_DOMAIN}` });
        cleanup = made.cleanup;
        const connection = await openGraphConnection({ home: made.home, env: testEnv(made.home) });
        try {
          const token = await connection.tokens.getAccessToken();
          if (form.scopeEcho === 'uri') assert.ok(token.scopes.some((s) => s.startsWith(`${URI}/`)), `the scopes came prefixed: ${token.scopes.join(' ')}`);
          const grantsBefore = (await emu.call('GET', '/_emulator/stats')).json().tokenGrantsByType;
          // 3 MiB: over one request, so a draft and an upload session, which needs Mail.ReadWrite.
          const report = await connection.client.send({
            to: `it-team@${DEMO_DOMAIN}`,
            subject: 'Backup report',
            text: 'Attached.',
            attachments: [{ name: 'report.bin', content: Buffer.alloc(3 * 1024 * 1024, 7) }],
          });
          assert.equal(report.path, 'draft');
          await connection.client.send({ to: `it-team@${DEMO_DOMAIN}`, subject: 'Second', text: 'x' });
          const grantsAfter = (await emu.call('GET', '/_emulator/stats')).json().tokenGrantsByType;
          assert.deepEqual(grantsAfter, grantsBefore, 'the cached token served both sends (no new token request)');
        } finally {
          connection.close();
        }
        const inbox = (await emu.call('GET', `/_emulator/mailboxes/it-team%40${DEMO_DOMAIN}/messages?folder=inbox`)).json() as { subject: string; attachments: { size: number }[] }[];
        assert.deepEqual(inbox.map((m) => m.subject).sort(), ['Backup report', 'Second']);
        assert.equal(inbox.find((m) => m.subject === 'Backup report')!.attachments[0]!.size, 3 * 1024 * 1024);
      } finally {
        await cleanup?.();
        await emu.stop();
      }
    });
  }
});
