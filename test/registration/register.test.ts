import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { openSecretStore } from '../../src/secrets/index.js';
import { runCli, testEnv } from '../support/cli.js';
import { registrationTenant } from './support.js';

const GRAPH_CLI_TOOLS = '14d82eec-204b-4c2f-b7e8-296a70dab67e';
const ADMIN = `admin@${DEMO_DOMAIN}`;
const SENDER = `alerts@${DEMO_DOMAIN}`;
const TO = `it-team@${DEMO_DOMAIN}`;

interface StateApp {
  clientId: string;
  displayName: string;
  signInAudience: string;
  allowPublicClientFlows: boolean;
  redirectUris: { mobileAndDesktop: string[]; web: string[] };
  delegatedPermissions: string[];
  applicationPermissions: string[];
  secrets: { keyId: string }[];
}

describe('register: the guide\'s portal work through Microsoft Graph', () => {
  const tenant = registrationTenant();
  const { newHome, withDeviceCode } = tenant;

  async function apps(): Promise<StateApp[]> {
    return (await tenant.emu.call('GET', '/_emulator/state')).json().apps as StateApp[];
  }

  async function settingsOf(home: string) {
    return parseYaml(await readFile(join(home, 'settings.yaml'), 'utf8')) as { account: Record<string, string>; mail: { to: string[] } };
  }

  const emulatorFlags = () => ['--emulator', tenant.emu.url, '--emulator-ca', tenant.emu.caPath, '--tenant-id', DEMO_TENANT_ID];

  it('creates the app as the guide says, grants consent, writes the settings; login and test then deliver', async () => {
    const home = await newHome();
    const before_ = (await apps()).length;
    const r = await withDeviceCode(['register', ...emulatorFlags(), '--grant-admin-consent', '--to', TO, '--name', 'ImageManager (register test)'], home, ADMIN);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Created the app registration "ImageManager \(register test\)"/);
    assert.match(r.stdout, /Granted admin consent/);
    const settings = await settingsOf(home);
    assert.equal(settings.account.type, 'single-tenant');
    assert.equal(settings.account.tenantId, DEMO_TENANT_ID);
    assert.deepEqual(settings.mail.to, [TO]);
    const made = (await apps()).find((a) => a.clientId === settings.account.clientId);
    assert.ok(made, 'the app the control API sees is the one Graph created');
    assert.equal((await apps()).length, before_ + 1);
    assert.equal(made.signInAudience, 'AzureADMyOrg');
    assert.deepEqual(made.redirectUris, { mobileAndDesktop: ['http://localhost'], web: [] });
    assert.equal(made.allowPublicClientFlows, true);
    assert.deepEqual(made.delegatedPermissions, ['Mail.Send']);
    assert.deepEqual(made.applicationPermissions, []);
    assert.deepEqual(made.secrets, [], 'a delegated app needs no secret');

    const login = await withDeviceCode(['login', '--device-code'], home, SENDER);
    assert.equal(login.code, 0, login.stdout + login.stderr);
    const subject = `register e2e ${Date.now()}`;
    const send = await runCli(['send', '--to', TO, '--subject', subject, '--text', 'through the registered app'], { home });
    assert.equal(send.code, 0, send.stdout + send.stderr);
    const inbox = (await tenant.emu.call('GET', `/_emulator/mailboxes/${TO}/messages`)).json() as { subject: string }[];
    assert.ok(inbox.some((m) => m.subject === subject));

    // Again: nothing to change, the same app, consent already there.
    const again = await withDeviceCode(['register', ...emulatorFlags(), '--grant-admin-consent', '--name', 'ImageManager (register test)'], home, ADMIN);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /already follows the guide/);
    assert.match(again.stdout, /Admin consent was already granted/);
    assert.equal((await settingsOf(home)).account.clientId, made.clientId);
    assert.equal((await apps()).length, before_ + 1);

    // Drift made in the "portal": register says each fix in the portal's words and makes it.
    await tenant.emu.call('PATCH', `/_emulator/apps/${made.clientId}`, { allowPublicClientFlows: false, redirectUris: { mobileAndDesktop: [], web: ['http://localhost'] }, delegatedPermissions: [] });
    const check = await withDeviceCode(['register', ...emulatorFlags(), '--client-id', made.clientId, '--check'], home, ADMIN);
    assert.equal(check.code, 1, check.stdout + check.stderr);
    assert.match(check.stdout, /Differs from the guide: Authentication > Advanced settings > Allow public client flows: No \(should be Yes\)/);
    assert.equal((await apps()).find((a) => a.clientId === made.clientId)!.allowPublicClientFlows, false, '--check changes nothing');
    const fix = await withDeviceCode(['register', ...emulatorFlags(), '--client-id', made.clientId], home, ADMIN);
    assert.equal(fix.code, 0, fix.stdout + fix.stderr);
    assert.match(fix.stdout, /Changed Authentication > Mobile and desktop applications > Redirect URIs: none -> http:\/\/localhost/);
    assert.match(fix.stdout, /Changed Authentication > Web > Redirect URIs: http:\/\/localhost \(under Web/);
    assert.match(fix.stdout, /Changed Authentication > Advanced settings > Allow public client flows: No -> Yes/);
    assert.match(fix.stdout, /Changed API permissions > Microsoft Graph: none -> Mail\.Send \(Delegated\)/);
    const fixed = (await apps()).find((a) => a.clientId === made.clientId)!;
    assert.deepEqual([fixed.redirectUris, fixed.allowPublicClientFlows, fixed.delegatedPermissions], [{ mobileAndDesktop: ['http://localhost'], web: [] }, true, ['Mail.Send']]);
  });

  it('app-only: the application permission, a secret stored encrypted (never printed), consent; test delivers', async () => {
    const home = await newHome();
    const r = await withDeviceCode(
      ['register', ...emulatorFlags(), '--auth', 'app-only', '--sender', SENDER, '--to', TO, '--grant-admin-consent', '--name', 'ImageManager (app-only test)', '--secret-expires', '90d'],
      home,
      ADMIN,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const settings = await settingsOf(home);
    assert.equal(settings.account.auth, 'app-only');
    assert.equal(settings.account.sender, SENDER);
    assert.match(settings.account.secretExpires!, /^\d{4}-\d{2}-\d{2}$/);
    const secret = await (await openSecretStore(home, testEnv(home))).getClientSecret();
    assert.ok(secret && !r.stdout.includes(secret) && !r.stderr.includes(secret), 'the secret is stored, and never printed');
    assert.match(r.stdout, /New-ManagementRoleAssignment -App [0-9a-f-]+ -Role "Application Mail.Send"/);
    const made = (await apps()).find((a) => a.clientId === settings.account.clientId)!;
    assert.deepEqual([made.applicationPermissions, made.delegatedPermissions, made.allowPublicClientFlows], [['Mail.Send'], [], false]);
    const test = await runCli(['test', '--to', TO], { home });
    assert.equal(test.code, 0, test.stdout + test.stderr);

    // Rotation: a new secret in use, the old one removed from the app (and refused), sending goes on.
    const store = await openSecretStore(home, testEnv(home));
    const rotated = await withDeviceCode(['secret', 'rotate', '--secret-expires', '30d'], home, ADMIN);
    assert.equal(rotated.code, 0, rotated.stdout + rotated.stderr);
    assert.match(rotated.stdout, /Removed 1 previous o365-notify secret/);
    const fresh = await store.getClientSecret();
    assert.ok(fresh && fresh !== secret);
    assert.ok(!rotated.stdout.includes(fresh), 'the new secret is not printed');
    assert.equal((await apps()).find((a) => a.clientId === made.clientId)!.secrets.length, 1);
    assert.notEqual((await settingsOf(home)).account.secretExpires, settings.account.secretExpires);
    assert.equal((await runCli(['test', '--to', TO], { home })).code, 0);
    // The old secret, with no cached token to lean on, is refused by the token service.
    await store.setClientSecret(secret);
    await store.clearTokenCache();
    const old = await runCli(['test', '--to', TO], { home });
    assert.equal(old.code, 1);
    assert.match(old.stdout + old.stderr, /7000215/);
    await store.setClientSecret(fresh);
  });

  it('an account without the admin role: refused with the role it needs, nothing created', async () => {
    const home = await newHome();
    // The tenant lets only administrators register apps; an administrator consented to Graph Command Line Tools before.
    await tenant.emu.call('PATCH', `/_emulator/tenants/${DEMO_TENANT_ID}`, { usersCanRegisterApps: false });
    await tenant.emu.call('POST', '/_emulator/consent', { clientId: GRAPH_CLI_TOOLS, tenant: DEMO_TENANT_ID, delegated: ['Application.ReadWrite.All'] });
    try {
      const before_ = (await apps()).length;
      const r = await withDeviceCode(['register', ...emulatorFlags(), '--name', 'ImageManager (not allowed)'], home, SENDER);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Could not create the app registration .*403 Authorization_RequestDenied.*Application Administrator or Cloud Application Administrator/);
      assert.equal((await apps()).length, before_);
    } finally {
      await tenant.emu.call('PATCH', `/_emulator/tenants/${DEMO_TENANT_ID}`, { usersCanRegisterApps: true });
    }
  });

  it('refuses bad input before anyone signs in', async () => {
    const home = await newHome();
    const personal = await runCli(['register', '--account-type', 'personal'], { home });
    assert.equal(personal.code, 2);
    assert.match(personal.stderr, /Personal Microsoft accounts only/);
    const appOnly = await runCli(['register', '--auth', 'app-only', '--tenant-id', DEMO_TENANT_ID], { home });
    assert.match(appOnly.stderr, /needs --sender/);
    const bad = await runCli(['register', '--client-id', 'not-a-guid'], { home });
    assert.match(bad.stderr, /is not an Application \(client\) ID/);
  });
});
