import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClientAuthError } from '@azure/msal-node';
import { aadstsCodesIn, createNetworkClient, type RawErrorResponse } from '../../src/auth/network-client.js';
import { DEMO_APPS, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

/** src/auth/network-client.ts: msal-node's INetworkModule contract, the extra CA, and the raw error capture. */
describe('network client for msal-node', () => {
  let emu: TestEmulator;
  before(async () => {
    emu = await startTestEmulator();
  });
  after(async () => {
    await emu.stop();
  });

  const form = (fields: Record<string, string>) => ({
    headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8' },
    body: new URLSearchParams(fields).toString(),
  });

  it('keeps TLS verification on: without the emulator\'s CA the request fails', async () => {
    const { client } = createNetworkClient();
    const err = await client.sendGetRequestAsync(`${emu.url}/common/v2.0/.well-known/openid-configuration`).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ClientAuthError);
    assert.equal(err.errorCode, 'network_error');
    assert.match(err.message, /certificate/i);
  });

  it('with the CA: the msal contract - lower-case headers, parsed JSON body, status', async () => {
    const { client } = createNetworkClient({ ca: emu.caPem });
    const res = await client.sendGetRequestAsync<{ issuer: string }>(`${emu.url}/${DEMO_TENANT_ID}/v2.0/.well-known/openid-configuration`);
    assert.equal(res.status, 200);
    assert.equal(res.body.issuer, `${emu.url}/${DEMO_TENANT_ID}/v2.0`);
    assert.match(res.headers['content-type']!, /application\/json/);
    assert.ok(Object.keys(res.headers).every((k) => k === k.toLowerCase()));
  });

  it('resolves error statuses (msal reads the body) and records each raw error body', async () => {
    const seen: RawErrorResponse[] = [];
    const { client, capture } = createNetworkClient({ ca: emu.caPem, keep: 2, onErrorResponse: (r) => seen.push(r) });
    const res = await client.sendPostRequestAsync<{ error: string }>(
      `${emu.url}/${DEMO_TENANT_ID}/oauth2/v2.0/token?client-request-id=abc`,
      form({ grant_type: 'client_credentials', client_id: DEMO_APPS.appOnly, client_secret: 'wrong', scope: 'https://graph.microsoft.com/.default' }),
    );
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
    const raw = capture.latest()!;
    assert.equal(raw.method, 'POST');
    assert.equal(raw.url, `${emu.url}/${DEMO_TENANT_ID}/oauth2/v2.0/token`, 'no query string');
    assert.equal(raw.status, 401);
    assert.deepEqual(raw.aadsts, [7000215]);
    assert.equal(raw.error, 'invalid_client');
    assert.deepEqual(JSON.parse(raw.body), res.body);
    assert.equal(seen.length, 1);

    for (let i = 0; i < 3; i++) await client.sendGetRequestAsync(`${emu.url}/nowhere-${i}.example/v2.0/.well-known/openid-configuration`);
    assert.equal(capture.all().length, 2, 'keeps the last N');
    assert.deepEqual(capture.latestWithCode()?.aadsts, [90002]);
    capture.clear();
    assert.equal(capture.latest(), undefined);
  });

  it('rejects a non-JSON answer as msal\'s own client does, and non-https URLs', async () => {
    const { client, capture } = createNetworkClient({ ca: emu.caPem });
    const html = await client.sendGetRequestAsync(`${emu.url}/devicelogin`).then(() => undefined, (e: unknown) => e);
    assert.ok(html instanceof ClientAuthError);
    assert.equal(html.errorCode, 'token_parsing_error');
    const plain = await client.sendGetRequestAsync('http://127.0.0.1:1/').then(() => undefined, (e: unknown) => e);
    assert.ok(plain instanceof ClientAuthError);
    assert.equal(capture.latest(), undefined);
  });

  it('honours msal\'s GET timeout', async () => {
    await emu.call('POST', '/_emulator/faults', { endpoint: 'entra.openidConfiguration', kind: 'slow', delayMs: 1500, count: 1 });
    const { client } = createNetworkClient({ ca: emu.caPem });
    const err = await client.sendGetRequestAsync(`${emu.url}/common/v2.0/.well-known/openid-configuration`, undefined, 100).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ClientAuthError);
    assert.match(err.message, /timeout/i);
  });

  it('finds AADSTS codes in error_codes and in text', () => {
    assert.deepEqual(aadstsCodesIn('{"error":"invalid_client","error_codes":[7000218]}'), [7000218]);
    assert.deepEqual(aadstsCodesIn('invalid_grant: AADSTS700082: The refresh token has expired'), [700082]);
    assert.deepEqual(aadstsCodesIn('nothing'), []);
  });
});
