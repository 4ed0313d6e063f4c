import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { importJWK, jwtVerify, decodeProtectedHeader, type JWK } from 'jose';
import { CONSUMER_TENANT_ID, DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { httpsCall, startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { seededSecret } from '../support/msal.js';

/** OpenID Connect discovery, signing keys, instance discovery, and the shape of Entra's errors. */
describe('Entra ID emulator: discovery', () => {
  let emu: TestEmulator;
  before(async () => {
    emu = await startTestEmulator();
  });
  after(async () => {
    await emu.stop();
  });

  it('publishes a tenant\'s configuration under its GUID, also when asked by domain, on the host it was reached by', async () => {
    for (const segment of [DEMO_TENANT_ID, DEMO_DOMAIN]) {
      const res = await emu.call('GET', `/${segment}/v2.0/.well-known/openid-configuration`);
      assert.equal(res.status, 200);
      const doc = res.json();
      assert.equal(doc.issuer, `${emu.url}/${DEMO_TENANT_ID}/v2.0`);
      assert.equal(doc.token_endpoint, `${emu.url}/${DEMO_TENANT_ID}/oauth2/v2.0/token`);
      assert.equal(doc.authorization_endpoint, `${emu.url}/${DEMO_TENANT_ID}/oauth2/v2.0/authorize`);
      assert.equal(doc.device_authorization_endpoint, `${emu.url}/${DEMO_TENANT_ID}/oauth2/v2.0/devicecode`);
      assert.equal(doc.end_session_endpoint, `${emu.url}/${DEMO_TENANT_ID}/oauth2/v2.0/logout`);
      assert.equal(doc.jwks_uri, `${emu.url}/${DEMO_TENANT_ID}/discovery/v2.0/keys`);
      assert.deepEqual(doc.id_token_signing_alg_values_supported, ['RS256']);
    }
    // Reached as login.microsoftonline.com through name resolution: the documents say so.
    const mapped = await httpsCall(`https://127.0.0.1:${emu.port}/organizations/v2.0/.well-known/openid-configuration`, {
      ca: emu.caPem,
      servername: 'login.microsoftonline.com',
      headers: { host: 'login.microsoftonline.com' },
    });
    assert.equal(mapped.json().token_endpoint, 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token');
  });

  it('uses Entra\'s {tenantid} issuer for common and organizations, and the consumer tenant for consumers', async () => {
    for (const segment of ['common', 'organizations']) {
      const doc = (await emu.call('GET', `/${segment}/v2.0/.well-known/openid-configuration`)).json();
      assert.equal(doc.issuer, `${emu.url}/{tenantid}/v2.0`);
      assert.equal(doc.token_endpoint, `${emu.url}/${segment}/oauth2/v2.0/token`);
      assert.equal(doc.tenant_region_scope, null);
    }
    const consumers = (await emu.call('GET', '/consumers/v2.0/.well-known/openid-configuration')).json();
    assert.equal(consumers.issuer, `${emu.url}/${CONSUMER_TENANT_ID}/v2.0`);
    assert.equal(consumers.token_endpoint, `${emu.url}/consumers/oauth2/v2.0/token`);
  });

  it('answers an unknown tenant with AADSTS90002 (invalid_tenant) and a malformed one with AADSTS900023', async () => {
    const unknown = '0badc0de-0000-4000-8000-000000000000';
    const res = await emu.call('GET', `/${unknown}/v2.0/.well-known/openid-configuration`, undefined, { 'client-request-id': '11111111-2222-4333-8444-555555555555' });
    assert.equal(res.status, 400);
    const body = res.json();
    assert.equal(body.error, 'invalid_tenant');
    assert.deepEqual(body.error_codes, [90002]);
    assert.match(body.error_description, new RegExp(`^AADSTS90002: Tenant '${unknown}' not found\\. Check to make sure you have the correct tenant ID`));
    // Entra's trailer and fields: trace and correlation ids (the client's), timestamp, error_uri.
    assert.match(body.error_description, /\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: 11111111-2222-4333-8444-555555555555\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.equal(body.correlation_id, '11111111-2222-4333-8444-555555555555');
    assert.match(body.trace_id, /^[0-9a-f-]{36}$/);
    assert.match(body.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.equal(body.error_uri, 'https://login.microsoftonline.com/error?code=90002');

    const bad = (await emu.call('GET', '/not_a_tenant!/v2.0/.well-known/openid-configuration')).json();
    assert.deepEqual(bad.error_codes, [900023]);
  });

  it('publishes the RS256 key that verifies the tokens it issues', async () => {
    const keys = (await emu.call('GET', `/${DEMO_TENANT_ID}/discovery/v2.0/keys`)).json();
    assert.equal(keys.keys.length, 1);
    const jwk = keys.keys[0] as JWK & { kid: string; issuer: string };
    assert.equal(jwk.kty, 'RSA');
    assert.equal(jwk.issuer, `${emu.url}/${DEMO_TENANT_ID}/v2.0`);
    assert.equal((await emu.call('GET', '/common/discovery/v2.0/keys')).json().keys[0].issuer, `${emu.url}/{tenantid}/v2.0`);

    const token = await emu.call(
      'POST',
      `/${DEMO_TENANT_ID}/oauth2/v2.0/token`,
      new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: DEMO_APPS.appOnly,
        client_secret: seededSecret(emu, DEMO_APPS.appOnly),
        scope: 'https://graph.microsoft.com/.default',
      }).toString(),
      { 'content-type': 'application/x-www-form-urlencoded' },
    );
    assert.equal(token.status, 200);
    const accessToken = token.json().access_token as string;
    assert.equal(decodeProtectedHeader(accessToken).kid, jwk.kid);
    const { payload } = await jwtVerify(accessToken, await importJWK(jwk, 'RS256'));
    assert.equal(payload.tid, DEMO_TENANT_ID);
  });

  it('answers instance discovery for its own host and for Microsoft\'s names, and refuses other hosts (AADSTS50049)', async () => {
    const own = await emu.call('GET', `/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`${emu.url}/common/oauth2/v2.0/authorize`)}`);
    assert.equal(own.status, 200);
    const host = new URL(emu.url).host;
    assert.equal(own.json().tenant_discovery_endpoint, `https://${host}/common/v2.0/.well-known/openid-configuration`);
    assert.deepEqual(own.json().metadata[0].aliases, [host]);

    const mapped = await httpsCall(
      `https://127.0.0.1:${emu.port}/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/common/oauth2/v2.0/authorize`,
      { ca: emu.caPem, servername: 'login.microsoftonline.com', headers: { host: 'login.microsoftonline.com' } },
    );
    assert.equal(mapped.json().metadata[0].preferred_network, 'login.microsoftonline.com');
    assert.ok(mapped.json().metadata[0].aliases.includes('login.windows.net'));

    const other = await emu.call('GET', '/common/discovery/instance?api-version=1.1&authorization_endpoint=https://evil.example/common/oauth2/v2.0/authorize');
    assert.equal(other.status, 400);
    assert.equal(other.json().error, 'invalid_instance');
    assert.deepEqual(other.json().error_codes, [50049]);
  });

  it('refuses GET on the token endpoint (AADSTS900561) and unknown grant types (AADSTS70003)', async () => {
    const get = await emu.call('GET', `/${DEMO_TENANT_ID}/oauth2/v2.0/token`);
    assert.deepEqual(get.json().error_codes, [900561]);
    const res = await emu.call('POST', `/${DEMO_TENANT_ID}/oauth2/v2.0/token`, `grant_type=password&client_id=${DEMO_APPS.singleTenant}`, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(res.status, 400);
    assert.equal(res.json().error, 'unsupported_grant_type');
    assert.deepEqual(res.json().error_codes, [70003]);
    const missing = await emu.call('POST', `/${DEMO_TENANT_ID}/oauth2/v2.0/token`, `client_id=${DEMO_APPS.singleTenant}`, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.match(missing.json().error_description, /^AADSTS900144: The request body must contain the following parameter: 'grant_type'\./);
  });

  it('counts requests per Entra endpoint', async () => {
    const stats = (await emu.call('GET', '/_emulator/stats')).json();
    assert.ok(stats.requestsByEndpoint['entra.openidConfiguration'] >= 5);
    assert.ok(stats.requestsByEndpoint['entra.keys'] >= 2);
    assert.ok(stats.requestsByEndpoint['entra.token'] >= 3);
    assert.equal(stats.tokenGrantsByType.client_credentials, 1);
  });
});
