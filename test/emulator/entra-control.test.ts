import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { startTestEmulator, type HttpResult, type TestEmulator } from '../support/emulator.js';
import { approveDeviceCode } from '../support/msal.js';

/** The directory control API: tenants, users, app registrations in the guide's terms, consent, device codes. */

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function post(emu: TestEmulator, path: string, fields: Record<string, string>): Promise<HttpResult> {
  return emu.call('POST', path, new URLSearchParams(fields).toString(), FORM);
}

async function clientCredentials(emu: TestEmulator, clientId: string, secret: string): Promise<HttpResult> {
  return post(emu, `/${DEMO_TENANT_ID}/oauth2/v2.0/token`, {
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: secret,
    scope: 'https://graph.microsoft.com/.default',
  });
}

describe('Entra ID emulator: directory control API', () => {
  let emu: TestEmulator;
  before(async () => {
    emu = await startTestEmulator();
  });
  after(async () => {
    await emu.stop();
  });

  it('creates tenants and users, and says what is wrong with a bad body', async () => {
    const tenant = await emu.call('POST', '/_emulator/tenants', { displayName: 'Adatum', domains: ['adatum.onmicrosoft.com'], userConsentAllowed: false });
    assert.equal(tenant.status, 201);
    assert.match(tenant.json().id, /^[0-9a-f-]{36}$/);
    assert.equal(tenant.json().userConsentAllowed, false);

    const noDomains = await emu.call('POST', '/_emulator/tenants', { displayName: 'X' });
    assert.equal(noDomains.status, 400);
    assert.match(noDomains.json().problems.join(), /domains: a list with at least one domain/);
    const taken = await emu.call('POST', '/_emulator/tenants', { domains: [DEMO_DOMAIN] });
    assert.equal(taken.status, 400);
    assert.match(taken.json().error, /belongs to another tenant/);
    assert.equal((await emu.call('POST', '/_emulator/tenants', '[1,2]', { 'content-type': 'application/json' })).status, 400);

    const user = await emu.call('POST', '/_emulator/users', { upn: 'Pat@adatum.onmicrosoft.com', tenant: 'adatum.onmicrosoft.com', admin: true, mailbox: false });
    assert.equal(user.status, 201);
    assert.equal(user.json().upn, 'pat@adatum.onmicrosoft.com');
    assert.equal(user.json().hasMailbox, false);
    const badUser = await emu.call('POST', '/_emulator/users', { tenant: 'nowhere.example', admin: 'yes' });
    assert.equal(badUser.status, 400);
    assert.deepEqual(badUser.json().problems.length, 2);
    assert.equal((await emu.call('POST', '/_emulator/users', { upn: 'a@b.example', tenant: 'nowhere.example' })).status, 400);

    const patched = await emu.call('PATCH', '/_emulator/tenants/adatum.onmicrosoft.com', { userConsentAllowed: true });
    assert.equal(patched.json().userConsentAllowed, true);
    assert.equal((await emu.call('PATCH', '/_emulator/tenants/adatum.onmicrosoft.com', { domains: [] })).status, 400);
    assert.equal((await emu.call('PATCH', '/_emulator/users/pat@adatum.onmicrosoft.com', { mailbox: true })).json().hasMailbox, true);
    assert.equal((await emu.call('PATCH', '/_emulator/users/nobody@adatum.onmicrosoft.com', { mailbox: true })).status, 404);
  });

  it('registers an app with the guide\'s settings; the secret value is in the answer once and nowhere else', async () => {
    const res = await emu.call('POST', '/_emulator/apps', {
      displayName: 'ImageManager',
      tenant: DEMO_DOMAIN,
      signInAudience: 'AzureADMultipleOrgs',
      redirectUris: { mobileAndDesktop: ['http://localhost'] },
      allowPublicClientFlows: true,
      delegatedPermissions: ['mail.send'],
      applicationPermissions: ['https://graph.microsoft.com/Mail.Send'],
      secrets: [{ displayName: 'ImageManager', expiresInDays: 30 }],
      consent: [{ tenant: DEMO_DOMAIN, application: ['Mail.Send'] }],
    });
    assert.equal(res.status, 201, res.text);
    const created = res.json();
    assert.deepEqual(created.delegatedPermissions, ['Mail.Send'], 'permission names are canonical');
    assert.deepEqual(created.applicationPermissions, ['Mail.Send']);
    assert.equal(created.secretValues.length, 1);
    const secret = created.secretValues[0];
    assert.equal(secret.hint, secret.value.slice(0, 3));
    assert.ok(Date.parse(secret.expiresAt) > Date.now() + 29 * 86_400_000);
    // The guide's public client flows make the app a public client for client credentials (issue 13.13).
    const refused = await clientCredentials(emu, created.clientId, secret.value);
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.json().error_codes, [700025]);
    const state = (await emu.call('GET', '/_emulator/state')).text;
    assert.ok(!state.includes(secret.value));
    assert.ok(!JSON.stringify(created.secrets).includes(secret.value));
  });

  it('refuses a bad app body with every problem listed, and creates nothing', async () => {
    const before_ = (await emu.call('GET', '/_emulator/state')).json().apps.length;
    const res = await emu.call('POST', '/_emulator/apps', {
      displayName: '',
      tenant: DEMO_DOMAIN,
      signInAudience: 'AllAccounts',
      redirectUris: { spa: ['https://x'], web: ['http://insecure.example/cb'] },
      delegatedPermissions: ['Mail.Sendd'],
      secrets: [{ expiresAt: 'soon' }],
    });
    assert.equal(res.status, 400);
    const problems = res.json().problems.join('\n');
    for (const expected of ['displayName', 'signInAudience: one of AzureADMyOrg', 'redirectUris.spa', 'must use https', 'Mail.Sendd', 'expiresAt']) {
      assert.ok(problems.includes(expected), `${expected} in ${problems}`);
    }
    const badConsent = await emu.call('POST', '/_emulator/apps', {
      displayName: 'x',
      tenant: DEMO_DOMAIN,
      signInAudience: 'AzureADMyOrg',
      consent: [{ tenant: 'nowhere.example' }],
    });
    assert.equal(badConsent.status, 400);
    assert.match(badConsent.json().error, /consent\[0\]\.tenant: no tenant "nowhere\.example"/);
    assert.equal((await emu.call('GET', '/_emulator/state')).json().apps.length, before_);
  });

  it('PATCH changes any setting: turning "Allow public client flows" off makes device code fail with AADSTS7000218', async () => {
    const create = await emu.call('POST', '/_emulator/apps', {
      displayName: 'Toggle',
      tenant: DEMO_DOMAIN,
      signInAudience: 'AzureADMyOrg',
      allowPublicClientFlows: true,
      delegatedPermissions: ['Mail.Send'],
      consent: [{ tenant: DEMO_DOMAIN, delegated: ['Mail.Send'] }],
    });
    const clientId = create.json().clientId;
    const off = await emu.call('PATCH', `/_emulator/apps/${clientId}`, { allowPublicClientFlows: false, redirectUris: { mobileAndDesktop: ['http://localhost'] } });
    assert.equal(off.status, 200);
    assert.equal(off.json().allowPublicClientFlows, false);
    assert.deepEqual(off.json().redirectUris, { mobileAndDesktop: ['http://localhost'], web: [] });
    const dc = (await post(emu, `/${DEMO_TENANT_ID}/oauth2/v2.0/devicecode`, { client_id: clientId, scope: 'Mail.Send' })).json();
    const poll = await post(emu, `/${DEMO_TENANT_ID}/oauth2/v2.0/token`, { grant_type: 'device_code', client_id: clientId, device_code: dc.device_code });
    assert.deepEqual(poll.json().error_codes, [7000218]);
    await emu.call('PATCH', `/_emulator/apps/${clientId}`, { allowPublicClientFlows: true });
    const pending = await post(emu, `/${DEMO_TENANT_ID}/oauth2/v2.0/token`, { grant_type: 'device_code', client_id: clientId, device_code: dc.device_code });
    assert.deepEqual(pending.json().error_codes, [70016]);

    assert.equal((await emu.call('PATCH', `/_emulator/apps/${clientId}`, { secrets: [] })).status, 400);
    assert.equal((await emu.call('PATCH', '/_emulator/apps/00000000-0000-4000-8000-000000000000', { displayName: 'x' })).status, 404);
  });

  it('adds and deletes client secrets', async () => {
    const added = await emu.call('POST', `/_emulator/apps/${DEMO_APPS.appOnly}/secrets`, { displayName: 'rotation', expiresInDays: 10 });
    assert.equal(added.status, 201);
    const { keyId, value } = added.json();
    assert.equal((await clientCredentials(emu, DEMO_APPS.appOnly, value)).status, 200);
    assert.equal((await emu.call('DELETE', `/_emulator/apps/${DEMO_APPS.appOnly}/secrets/${keyId}`)).status, 204);
    assert.deepEqual((await clientCredentials(emu, DEMO_APPS.appOnly, value)).json().error_codes, [7000215]);
    const expired = await emu.call('POST', `/_emulator/apps/${DEMO_APPS.appOnly}/secrets`, { expiresInDays: -1 });
    assert.deepEqual((await clientCredentials(emu, DEMO_APPS.appOnly, expired.json().value)).json().error_codes, [7000222]);
  });

  it('grants and revokes consent', async () => {
    // Parameters in the query: node's client sends a DELETE body without Content-Length.
    const revoke = await emu.call('DELETE', `/_emulator/consent?clientId=${DEMO_APPS.appOnly}&tenant=${DEMO_DOMAIN}`);
    assert.equal(revoke.json().revoked, 1);
    const secret = emu.seededSecrets.find((s) => s.clientId === DEMO_APPS.appOnly)!.value;
    const token = (await clientCredentials(emu, DEMO_APPS.appOnly, secret)).json();
    assert.deepEqual(JSON.parse(Buffer.from(token.access_token.split('.')[1], 'base64url').toString()).roles, undefined);
    const grant = await emu.call('POST', '/_emulator/consent', { clientId: DEMO_APPS.appOnly, tenant: DEMO_DOMAIN, application: ['Mail.Send'] });
    assert.equal(grant.status, 201);
    const again = (await clientCredentials(emu, DEMO_APPS.appOnly, secret)).json();
    assert.deepEqual(JSON.parse(Buffer.from(again.access_token.split('.')[1], 'base64url').toString()).roles, ['Mail.Send']);
    const bad = await emu.call('POST', '/_emulator/consent', { clientId: DEMO_APPS.appOnly, tenant: DEMO_DOMAIN, user: 'alex@outlook.com' });
    assert.equal(bad.status, 400);
    assert.match(bad.json().error, /is not in tenant/);
  });

  it('approves a device code with the consent rules, and denies one', async () => {
    const code = async (clientId: string, tenant = DEMO_TENANT_ID) =>
      (await post(emu, `/${tenant}/oauth2/v2.0/devicecode`, { client_id: clientId, scope: 'Mail.Send offline_access' })).json().user_code as string;

    assert.equal((await approveDeviceCode(emu, 'NOSUCHCODE', `alerts@${DEMO_DOMAIN}`)).status, 404);
    const missing = await emu.call('POST', '/_emulator/devicecode/approve', { userCode: 'X' });
    assert.equal(missing.status, 400);
    assert.match(missing.json().problems.join(), /upn/);

    const personal = await approveDeviceCode(emu, await code(DEMO_APPS.multiTenant, 'common'), 'alex@outlook.com');
    assert.equal(personal.status, 403);
    assert.match(personal.json().error, /^AADSTS500200: /, 'a personal account on an organizations-only app through /common (issue 13.6)');

    // Consent missing and the user may consent: approved with the user's consent recorded.
    const fresh = await emu.call('POST', '/_emulator/apps', { displayName: 'Fresh', tenant: DEMO_DOMAIN, signInAudience: 'AzureADMyOrg', allowPublicClientFlows: true, delegatedPermissions: ['Mail.Send'] });
    const ok = await approveDeviceCode(emu, await code(fresh.json().clientId), `alerts@${DEMO_DOMAIN}`);
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json(), { userCode: ok.json().userCode, status: 'approved', consentRecorded: 'user' });

    // Users may not consent in Adatum: refused with AADSTS90094 unless an administrator's consent is asked for.
    await emu.call('POST', '/_emulator/tenants', { displayName: 'Coho', domains: ['coho.onmicrosoft.com'], userConsentAllowed: false });
    await emu.call('POST', '/_emulator/users', { upn: 'kim@coho.onmicrosoft.com', tenant: 'coho.onmicrosoft.com' });
    const cohoCode = await code(DEMO_APPS.multiTenant, 'organizations');
    const refused = await approveDeviceCode(emu, cohoCode, 'kim@coho.onmicrosoft.com');
    assert.equal(refused.status, 403);
    assert.match(refused.json().error, /^AADSTS90094: /);
    const admin = await approveDeviceCode(emu, cohoCode, 'kim@coho.onmicrosoft.com', { adminConsent: true });
    assert.equal(admin.json().consentRecorded, 'organization');
    assert.equal((await approveDeviceCode(emu, cohoCode, 'kim@coho.onmicrosoft.com')).status, 409, 'a code is approved once');

    const denyCode = await code(DEMO_APPS.singleTenant);
    assert.equal((await emu.call('POST', '/_emulator/devicecode/deny', { userCode: denyCode })).json().status, 'declined');
    assert.equal((await emu.call('POST', '/_emulator/devicecode/deny', { userCode: denyCode })).status, 409);
  });
});
