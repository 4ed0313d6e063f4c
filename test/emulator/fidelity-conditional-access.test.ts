import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { diagnose } from '../../src/diagnose/index.js';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { startTestEmulator, type HttpResult, type TestEmulator } from '../support/emulator.js';
import { approveDeviceCode, fastDeviceCodes } from '../support/msal.js';

/**
 * Issue 13.1: Conditional Access on the token endpoint (PUT /_emulator/conditional-access), the
 * body exactly as Entra sends it (error, AADSTS code, suberror, claims), and the product's
 * diagnosis of that body: never transient, the Conditional Access step with the admin center path.
 */

const ALERTS = `alerts@${DEMO_DOMAIN}`;
const APP = DEMO_APPS.singleTenant;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const SCOPE = 'Mail.Send openid profile offline_access';

const post = (emu: TestEmulator, path: string, fields: Record<string, string>) => emu.call('POST', path, new URLSearchParams(fields).toString(), FORM);
const tokenCall = (emu: TestEmulator, fields: Record<string, string>) => post(emu, `/${DEMO_TENANT_ID}/oauth2/v2.0/token`, { client_id: APP, ...fields });

async function startDeviceCode(emu: TestEmulator) {
  const res = await post(emu, `/${DEMO_TENANT_ID}/oauth2/v2.0/devicecode`, { client_id: APP, scope: SCOPE });
  assert.equal(res.status, 200, res.text);
  const body = res.json() as { device_code: string; user_code: string };
  assert.equal((await approveDeviceCode(emu, body.user_code, ALERTS)).status, 200);
  return body.device_code;
}
const pollDevice = (emu: TestEmulator, device: string) => tokenCall(emu, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device });

async function refreshToken(emu: TestEmulator): Promise<string> {
  const res = await pollDevice(emu, await startDeviceCode(emu));
  assert.equal(res.status, 200, res.text);
  return res.json().refresh_token;
}
const refresh = (emu: TestEmulator, rt: string) => tokenCall(emu, { grant_type: 'refresh_token', refresh_token: rt, scope: SCOPE });

function entraBody(res: HttpResult, error: string, code: number, suberror: string) {
  assert.equal(res.status, 400, res.text);
  const body = res.json();
  assert.deepEqual([body.error, body.error_codes, body.suberror], [error, [code], suberror]);
  assert.match(body.error_description, new RegExp(`^AADSTS${code}: `));
  return body;
}

describe('emulator fidelity (issue 13.1): Conditional Access, MFA and sign-in frequency', () => {
  let emu: TestEmulator;
  const policy = async (body: Record<string, unknown>) => {
    const res = await emu.call('PUT', '/_emulator/conditional-access', body);
    assert.equal(res.status, 200, res.text);
  };
  before(async () => {
    emu = await startTestEmulator();
    await fastDeviceCodes(emu);
  });
  afterEach(async () => {
    const clear = { requireMfa: null, block: null, blockDeviceCode: null, requireCompliantDevice: null, requireMfaRegistration: null, signInFrequencyHours: null };
    for (const who of [{ tenant: DEMO_TENANT_ID }, { user: ALERTS }]) assert.equal((await emu.call('PUT', '/_emulator/conditional-access', { ...who, ...clear })).status, 200);
    await emu.call('POST', '/_emulator/clock', { reset: true });
  });
  after(async () => {
    await emu.stop();
  });

  const cases: [string, Record<string, unknown>, number, string][] = [
    ['require MFA (user)', { user: ALERTS, requireMfa: true }, 50076, 'basic_action'],
    ['require MFA registration (tenant)', { tenant: DEMO_TENANT_ID, requireMfaRegistration: true }, 50079, 'basic_action'],
    ['block (tenant)', { tenant: DEMO_TENANT_ID, block: true }, 53003, 'message_only'],
    ['compliant device required', { user: ALERTS, requireCompliantDevice: true }, 530003, 'message_only'],
  ];
  for (const [name, switches, code, suberror] of cases) {
    it(`${name}: the silent refresh gets interaction_required AADSTS${code}, diagnosed as Conditional Access, not transient`, async () => {
      const rt = await refreshToken(emu);
      await policy(switches);
      const body = entraBody(await refresh(emu, rt), 'interaction_required', code, suberror);
      if (code === 50076) {
        const claims = JSON.parse(body.claims);
        assert.equal(claims.access_token.capolids.essential, true, 'the claims challenge Entra sends with MFA');
      } else assert.equal(body.claims, undefined);
      const d = diagnose(body);
      assert.equal(d?.code, `AADSTS${code}`);
      assert.equal(d?.guideStep, 'conditional-access');
      assert.equal(d?.known, true);
      assert.match(d!.fix, /Conditional Access|mysecurityinfo/);
    });
  }

  it('block device code: the device-code poll gets AADSTS530033, a refresh still works', async () => {
    const rt = await refreshToken(emu);
    await policy({ user: ALERTS, blockDeviceCode: true });
    const body = entraBody(await pollDevice(emu, await startDeviceCode(emu)), 'interaction_required', 530033, 'message_only');
    assert.equal(diagnose(body)?.code, 'AADSTS530033');
    assert.match(diagnose(body)!.fix, /browser/);
    assert.equal((await refresh(emu, rt)).status, 200);
  });

  it('sign-in frequency 12 h: refresh works at 11 h, then AADSTS70043 invalid_grant token_expired', async () => {
    const rt = await refreshToken(emu);
    await policy({ tenant: DEMO_TENANT_ID, signInFrequencyHours: 12 });
    await emu.call('POST', '/_emulator/clock', { advanceSeconds: 11 * 3600 });
    const ok = await refresh(emu, rt);
    assert.equal(ok.status, 200, ok.text);
    await emu.call('POST', '/_emulator/clock', { advanceSeconds: 2 * 3600 });
    const body = entraBody(await refresh(emu, ok.json().refresh_token), 'invalid_grant', 70043, 'token_expired');
    assert.match(body.error_description, /maximum allowed lifetime for this request is 43200\./);
    assert.equal(diagnose(body)?.code, 'AADSTS70043');
    assert.equal(diagnose(body)?.guideStep, 'conditional-access');
  });

  it('refuses unknown switches and unknown users', async () => {
    assert.equal((await emu.call('PUT', '/_emulator/conditional-access', { user: ALERTS, requireMFA: true })).status, 400);
    assert.equal((await emu.call('PUT', '/_emulator/conditional-access', { user: 'nobody@example.org', block: true })).status, 400);
  });
});
