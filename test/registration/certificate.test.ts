/**
 * Certificates instead of secrets (issue 15): `certificate create` makes a key pair and a
 * self-signed certificate, keeps the private key encrypted, uploads the certificate to the app
 * (keyCredentials); sign-in then uses private_key_jwt (msal-node's clientCertificate), checked by the
 * emulator against the uploaded certificate (RFC 7523); a wrong or expired certificate is diagnosed.
 * MSAL for Python signing in with such an app: test/independent/python-msal.test.ts.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { newClientCertificate } from '../../src/registration/index.js';
import { openSecretStore, type ClientCertificate } from '../../src/secrets/index.js';
import { allFiles, runCli, testEnv } from '../support/cli.js';
import { registrationTenant } from './support.js';

const ADMIN = `admin@${DEMO_DOMAIN}`;
const SENDER = `alerts@${DEMO_DOMAIN}`;
const TO = `cert-team@${DEMO_DOMAIN}`;

describe('app-only with a certificate credential', () => {
  const tenant = registrationTenant();
  let home: string;
  let clientId: string;

  before(async () => {
    home = await tenant.newHome();
    const r = await withDeviceCode(['register', ...tenant.flags(), '--auth', 'app-only', '--sender', SENDER, '--to', TO, '--grant-admin-consent', '--name', 'ImageManager (certificate)'], ADMIN);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    clientId = (parseYaml(await readFile(join(home, 'settings.yaml'), 'utf8')) as { account: { clientId: string } }).account.clientId;
  });

  const withDeviceCode = (args: string[], upn: string) => tenant.withDeviceCode(args, home, upn);

  const store = () => openSecretStore(home, testEnv(home));

  async function freshTest() {
    await (await store()).clearTokenCache();
    return runCli(['test', '--to', TO], { home });
  }

  it('certificate create uploads it; with every secret of the app expired, test still delivers through the certificate', async () => {
    const created = await withDeviceCode(['certificate', 'create', '--expires', '90d'], ADMIN);
    assert.equal(created.code, 0, created.stdout + created.stderr);
    assert.match(created.stdout, /Uploaded the certificate \(Certificates & secrets > Certificates\), SHA-256 thumbprint [0-9A-F]{64}, valid until \d{4}-\d{2}-\d{2}/);
    assert.match(created.stdout, /The certificate is in use/);
    const app = ((await tenant.emu.call('GET', '/_emulator/state')).json().apps as { clientId: string; certificates?: { displayName: string }[] }[]).find((a) => a.clientId === clientId)!;
    assert.deepEqual(app.certificates?.map((c) => c.displayName), ['o365-notify']);

    const certificate = (await (await store()).getClientCertificate())!;
    for (const file of await allFiles(home)) {
      const text = await readFile(file, 'utf8').catch(() => '');
      assert.ok(!text.includes('PRIVATE KEY') && !text.includes(certificate.privateKeyPem.split('\n')[1]!), `${file} holds no private key in the clear`);
    }
    assert.ok(!created.stdout.includes(certificate.privateKeyPem.split('\n')[1]!));

    assert.equal((await tenant.emu.call('POST', '/_emulator/faults', { action: 'expire-secret', clientId })).status, 200);
    const test = await freshTest();
    assert.equal(test.code, 0, test.stdout + test.stderr);
    const registration = JSON.parse(await readFile(join(home, 'registration.json'), 'utf8')) as { application: { keyCredentials: { endDateTime: string }[] } };
    assert.equal(registration.application.keyCredentials.length, 1, 'doctor and the page see the certificate and its Expires date');

    // No secret at all any more: the settings still follow the guide, and sending works.
    await (await store()).clearClientSecret();
    const check = await runCli(['config', 'check'], { home });
    assert.doesNotMatch(check.stdout + check.stderr, /needs a client secret|client secret expired/, check.stdout + check.stderr);
    const doctor = await runCli(['--json', 'doctor'], { home });
    const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; ok: boolean; detail: string }[] }).checks;
    assert.deepEqual(checks.filter((c) => !c.ok), [], doctor.stdout);
    assert.equal(checks.at(-1)!.name, 'test send');
  });

  it('a certificate that is not on the app: AADSTS700027 diagnosed with the step that fixes it', async () => {
    const s = await store();
    const good = (await s.getClientCertificate()) as ClientCertificate;
    await s.setClientCertificate(newClientCertificate(clientId, 30 * 86_400_000));
    try {
      const test = await freshTest();
      assert.equal(test.code, 1);
      assert.match(test.stdout + test.stderr, /AADSTS700027/);
      assert.match(test.stdout + test.stderr, /Certificate not accepted/);
      assert.match(test.stdout + test.stderr, /o365-notify certificate create/);
    } finally {
      await s.setClientCertificate(good);
    }
  });

  it('--no-upload: the public certificate in a .cer file and the portal path; sign-in refused (AADSTS700027, same path) until it is uploaded, then doctor confirms it', async () => {
    const s = await store();
    const uploaded = (await s.getClientCertificate()) as ClientCertificate;
    const manual = await runCli(['certificate', 'create', '--no-upload', '--expires', '90d'], { home });
    assert.equal(manual.code, 0, manual.stdout + manual.stderr);
    const file = /Wrote the certificate \(public part only, no private key\) to (\S+\.cer)\./.exec(manual.stdout)?.[1];
    assert.ok(file && file.startsWith(join(home, 'certificate-')), manual.stdout);
    assert.match(manual.stdout, /App registrations > your app \([0-9a-f-]+\) > Certificates & secrets > Certificates > Upload certificate, choose that file/);
    const pem = await readFile(file, 'utf8');
    const fresh = (await s.getClientCertificate())!;
    assert.notEqual(fresh.certificatePem, uploaded.certificatePem, 'the new certificate is the one in use');
    assert.equal(new X509Certificate(pem).fingerprint256, new X509Certificate(fresh.certificatePem).fingerprint256, 'the file is the certificate in use');
    assert.match(manual.stdout, new RegExp(`Thumbprint ${new X509Certificate(pem).fingerprint.replace(/:/g, '')}`));
    assert.ok(!pem.includes('PRIVATE KEY'), 'the file holds no private key');

    const before_ = await freshTest();
    assert.equal(before_.code, 1);
    assert.match(before_.stdout + before_.stderr, /AADSTS700027/);
    assert.match(before_.stdout + before_.stderr, /Certificates & secrets > Certificates > Upload certificate/);

    // The administrator uploads the file in the portal.
    const upload = await tenant.emu.call('POST', `/_emulator/apps/${clientId}/certificates`, { certificate: pem });
    assert.equal(upload.status, 201, upload.text);
    await s.clearTokenCache();
    const doctor = await runCli(['--json', 'doctor', '--no-send'], { home });
    const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; ok: boolean }[] }).checks;
    assert.deepEqual(checks.filter((c) => !c.ok), [], doctor.stdout);
    assert.equal((await freshTest()).code, 0);
  });

  it('an administrator who may not change the app: the manual route instead, with the reason', async () => {
    const GRAPH_CLI_TOOLS = '14d82eec-204b-4c2f-b7e8-296a70dab67e';
    const s = await store();
    const good = (await s.getClientCertificate()) as ClientCertificate;
    await tenant.emu.call('PATCH', `/_emulator/tenants/${DEMO_TENANT_ID}`, { usersCanRegisterApps: false });
    await tenant.emu.call('POST', '/_emulator/consent', { clientId: GRAPH_CLI_TOOLS, tenant: DEMO_TENANT_ID, delegated: ['Application.ReadWrite.All'] });
    try {
      const denied = await withDeviceCode(['certificate', 'create', '--expires', '90d'], SENDER);
      assert.equal(denied.code, 0, denied.stdout + denied.stderr);
      assert.match(denied.stdout, /The certificate was not uploaded: the account that signed in may not change the app \(Authorization_RequestDenied\)/);
      assert.match(denied.stdout, /Wrote the certificate \(public part only, no private key\) to \S+certificate-[0-9A-F]{40}\.cer\./);
      assert.match(denied.stdout, /Upload certificate/);
    } finally {
      await tenant.emu.call('PATCH', `/_emulator/tenants/${DEMO_TENANT_ID}`, { usersCanRegisterApps: true });
      await s.setClientCertificate(good);
    }
  });

  it('an expired certificate is refused (AADSTS700027) and diagnosed', async () => {
    assert.equal((await tenant.emu.call('POST', '/_emulator/clock', { advanceSeconds: 100 * 86_400 })).status, 200);
    const test = await freshTest();
    assert.equal(test.code, 1);
    assert.match(test.stdout + test.stderr, /AADSTS700027/);
  });
});
