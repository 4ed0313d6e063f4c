/**
 * The service renews its own client certificate (issue 15, credentials lifecycle: "its expiry is
 * tracked and rotated like the secret"): account.secretRotateDays before the stored certificate's
 * own end date it adds a new certificate to its app with addKey (a proof signed by the certificate in
 * use), switches once it gets a token and removes the old one with removeKey - while it keeps
 * sending. Without the permission it warns with the fix and changes nothing. The emulator's addKey
 * refuses a missing or wrong proof as Graph does.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfidentialClientApplication, LogLevel } from '@azure/msal-node';
import { parse as parseYaml } from 'yaml';
import { createNetworkClient } from '../../src/auth/network-client.js';
import { certificateCredential } from '../../src/auth/session.js';
import { loadSettings, saveSettings } from '../../src/config/index.js';
import { DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { keyProof, newClientCertificate } from '../../src/registration/index.js';
import { openSecretStore, type ClientCertificate } from '../../src/secrets/index.js';
import { waitFor } from '../reliability/support.js';
import { runCli, testEnv } from '../support/cli.js';
import { registrationTenant, renewalServices } from './support.js';

const ADMIN = `admin@${DEMO_DOMAIN}`;
const SENDER = `alerts@${DEMO_DOMAIN}`;
const TO = `cert-renewal@${DEMO_DOMAIN}`;
const DAY = 86_400_000;

describe('the service renews its own certificate before it expires', () => {
  const tenant = registrationTenant();
  const serve = renewalServices();

  /** register (app-only), then `certificate create --expires 10d`: a certificate near its end is the credential in use. */
  async function certificateHome(extra: string[], name: string): Promise<{ home: string; clientId: string; certificate: ClientCertificate }> {
    const home = await tenant.newHome();
    const r = await tenant.withDeviceCode(['register', ...tenant.flags(), '--auth', 'app-only', '--sender', SENDER, '--to', TO, '--grant-admin-consent', '--name', name, ...extra], home, ADMIN);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const created = await tenant.withDeviceCode(['certificate', 'create', '--expires', '10d'], home, ADMIN);
    assert.equal(created.code, 0, created.stdout + created.stderr);
    const clientId = (parseYaml(await readFile(join(home, 'settings.yaml'), 'utf8')) as { account: { clientId: string } }).account.clientId;
    const certificate = (await (await openSecretStore(home, testEnv(home))).getClientCertificate())!;
    return { home, clientId, certificate };
  }

  async function appCertificates(clientId: string): Promise<{ keyId: string; thumbprintSha256: string; endDateTime: string }[]> {
    const apps = (await tenant.emu.call('GET', '/_emulator/state')).json().apps as { clientId: string; certificates?: { keyId: string; thumbprintSha256: string; endDateTime: string }[] }[];
    return apps.find((a) => a.clientId === clientId)!.certificates ?? [];
  }

  async function rotateDays(home: string, days: number): Promise<void> {
    const settings = await loadSettings(home, testEnv(home));
    settings.account.secretRotateDays = days;
    await saveSettings(home, settings, testEnv(home));
  }

  const sha256 = (c: ClientCertificate) => new X509Certificate(c.certificatePem).fingerprint256.replace(/:/g, '');
  const b64urlSha256 = (c: ClientCertificate) => Buffer.from(sha256(c), 'hex').toString('base64url');

  /** msal-node signing in with this certificate, as any other client of the app would. */
  function certificateClient(clientId: string, certificate: ClientCertificate): ConfidentialClientApplication {
    const { client } = createNetworkClient({ ca: tenant.emu.caPem });
    const authority = `${tenant.emu.url}/${DEMO_TENANT_ID}`;
    return new ConfidentialClientApplication({
      auth: { clientId, authority, knownAuthorities: [new URL(tenant.emu.url).host], clientCertificate: certificateCredential(certificate) },
      system: { networkClient: client, loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => {} } },
    });
  }

  it('with --self-rotate: renewed while sending (no failed delivery), the old certificate refused (AADSTS700027), the registration record follows', { timeout: 180_000 }, async () => {
    const { home, clientId, certificate } = await certificateHome(['--self-rotate'], 'ImageManager (certificate renewal)');
    assert.deepEqual((await appCertificates(clientId)).map((c) => c.thumbprintSha256), [b64urlSha256(certificate)]);
    // 10 days left and renewal 5 days before: not due yet, so the service starts sending with it.
    await rotateDays(home, 5);
    const { svc, lines, post } = await serve(home, { secretCheckEveryMs: 500 });
    const inbox = async (n: number) => {
      const messages = (await tenant.emu.call('GET', `/_emulator/mailboxes/${TO}/messages`)).json() as unknown[];
      return messages.length >= n ? messages : undefined;
    };
    await post(5, 0);
    await waitFor(() => inbox(1), 'the first alert delivered with the old certificate', 60_000);
    assert.ok(!lines.some((l) => l.includes('renewed the certificate')), 'not renewed before it is due');
    // Due now (30 days before the end): the next check renews it while the other alerts are sent.
    await rotateDays(home, 30);
    await waitFor(() => lines.some((l) => l.includes('renewed the certificate')), `the renewal in the log:\n${lines.join('')}`, 60_000);
    await post(5, 100);
    const delivered = (await waitFor(() => inbox(10), 'all 10 alerts delivered', 60_000)) as { subject: string }[];
    assert.equal(delivered.length, 10);
    // Renewed in time: no certificate notice, neither e-mailed nor open.
    assert.deepEqual(delivered.filter((m) => /certificate/i.test(m.subject)), [], 'no certificate notice e-mailed');
    assert.deepEqual(svc.store.health.listActive().filter((n) => n.kind === 'certificate-expiring'), []);
    assert.deepEqual((await svc.service.deliveries({ limit: 100 })).filter((d) => d.notification.status === 'failed'), [], 'no failed delivery');

    const fresh = (await (await openSecretStore(home, testEnv(home))).getClientCertificate())!;
    assert.notEqual(sha256(fresh), sha256(certificate), 'a new certificate is stored');
    // It keeps the old one's lifetime (10 days), bounded to 30 days past its own renewal (secretRotateDays 30).
    const x509 = new X509Certificate(fresh.certificatePem);
    assert.equal(Date.parse(x509.validTo) - Date.parse(x509.validFrom), 60 * DAY, 'the new certificate lasts 30 + 30 days');
    const log = lines.join('');
    for (const pem of [fresh.privateKeyPem, certificate.privateKeyPem]) assert.ok(!log.includes(pem.split('\n')[1]!), 'no private key in the log');
    assert.deepEqual((await appCertificates(clientId)).map((c) => c.thumbprintSha256), [b64urlSha256(fresh)], 'the old certificate is removed from the app, the new one is there');
    const record = JSON.parse(await readFile(join(home, 'registration.json'), 'utf8')) as { readBy: string; application: { keyCredentials: { endDateTime: string }[] } };
    assert.equal(record.readBy, 'the service (certificate renewal)');
    assert.equal(record.application.keyCredentials.length, 1);

    await assert.rejects(certificateClient(clientId, certificate).acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] }), /700027/);
    const works = await certificateClient(clientId, fresh).acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
    assert.ok(works?.accessToken, 'the new certificate gets a token');

    // Renewed: nothing is due any more, so the check warns no longer.
    const check = await runCli(['config', 'check'], { home });
    assert.doesNotMatch(check.stdout + check.stderr, /certificate expires on/, check.stdout);
  });

  it('without the permission: the service warns with the fix, nothing changes', { timeout: 120_000 }, async () => {
    const { home, clientId, certificate } = await certificateHome([], 'ImageManager (certificate, no self-rotation)');
    const before = await appCertificates(clientId);
    // The client secret is no longer the credential in use: its date must not warn (the certificate's does).
    const settings = await loadSettings(home, testEnv(home));
    settings.account.secretExpires = new Date(Date.now() + 5 * DAY).toISOString().slice(0, 10);
    await saveSettings(home, settings, testEnv(home));
    const { svc, lines } = await serve(home);
    const warning = await waitFor(() => lines.find((l) => l.includes('cannot renew it by itself')), 'the warning in the log', 30_000);
    assert.match(warning, /"level":40/);
    assert.match(warning, /The certificate expires on \d{4}-\d{2}-\d{2}/);
    assert.match(warning, /Application\.ReadWrite\.OwnedBy/);
    assert.match(warning, /Run `o365-notify certificate create` \(an administrator signs in once\)/);
    assert.match(warning, new RegExp(`o365-notify register --client-id ${clientId} --auth app-only --self-rotate --grant-admin-consent`));
    assert.equal(sha256((await (await openSecretStore(home, testEnv(home))).getClientCertificate())!), sha256(certificate), 'the certificate in use stays');
    assert.deepEqual(await appCertificates(clientId), before, 'the app keeps its certificate');
    assert.deepEqual(svc.store.health.listActive().filter((n) => n.kind === 'secret-expiring'), [], 'no warning about the unused client secret');

    // The administrator hears of it by e-mail (issue 15): the certificate's own health notice, sent by
    // the service through Microsoft 365 like any other, naming the certificate and its fixes.
    const thumbprint = new X509Certificate(certificate.certificatePem).fingerprint.replace(/:/g, '');
    const notice = await waitFor(async () => {
      const r = await tenant.emu.call('GET', `/_emulator/mailboxes/${TO}/messages?folder=inbox&includeContent=1`);
      const messages = r.status === 200 ? (r.json() as { subject: string; body: { content: string } }[]) : [];
      return messages.find((m) => m.subject === '[Action needed] The client certificate expires in 30 days');
    }, 'the certificate notice in the administrator\'s inbox', 30_000);
    assert.match(notice.body.content, new RegExp(`The client certificate \\(thumbprint ${thumbprint}\\) expires on \\d{4}-\\d{2}-\\d{2}, in (9|10) days`));
    assert.match(notice.body.content, /o365-notify certificate rotate/);
    assert.match(notice.body.content, /register --self-rotate/);
    assert.match(notice.body.content, /Certificates &amp; secrets &gt; Certificates|Certificates & secrets > Certificates/);
    assert.deepEqual(svc.store.health.listActive().map((n) => [n.kind, n.subject, n.threshold]), [['certificate-expiring', thumbprint, '30d']]);

    // status, doctor and the page's checks warn from the certificate's own date.
    const check = await runCli(['config', 'check'], { home });
    assert.match(check.stdout + check.stderr, /The certificate expires on \d{4}-\d{2}-\d{2} \(its own end date\), in (9|10) days/, check.stdout + check.stderr);
    const doctor = await runCli(['doctor', '--no-send'], { home });
    assert.match(doctor.stdout, /the certificate "o365-notify" expires on \d{4}-\d{2}-\d{2}, in (9|10) days\. Run `o365-notify certificate rotate` before then/, doctor.stdout);
    const status = await runCli(['status'], { home });
    assert.match(status.stdout, /Certificate\s+in use, expires \d{4}-\d{2}-\d{2} \((9|10) day\(s\) left\)/, status.stdout);
  });

  it('by hand, with the service running and sending: `certificate rotate` replaces the certificate once the new one works, the service follows, the old one is refused (AADSTS700027)', { timeout: 180_000 }, async () => {
    const { home, clientId, certificate } = await certificateHome([], 'ImageManager (certificate rotate)');
    await rotateDays(home, 5);
    const { svc, lines, post } = await serve(home);
    const delivered = (n: number) =>
      waitFor(async () => {
        const messages = (await tenant.emu.call('GET', `/_emulator/mailboxes/${TO}/messages`)).json() as { subject: string }[];
        return messages.filter((m) => m.subject.includes('SRV-')).length >= n || undefined;
      }, `${n} alerts delivered`, 60_000);
    await post(3, 200);
    const rotated = await tenant.withDeviceCode(['certificate', 'rotate', '--expires', '90d'], home, ADMIN);
    assert.equal(rotated.code, 0, rotated.stdout + rotated.stderr);
    assert.match(rotated.stdout, /Removed 1 previous o365-notify certificate\(s\) from the app\./);
    // The stored certificate changed under the running service: it reloads onto it, as for a secret.
    await waitFor(() => lines.some((l) => l.includes('the certificate changed on disk: reloading')), 'the service reloads the new certificate', 30_000);
    await delivered(3);
    await post(3, 300);
    await delivered(6);
    assert.deepEqual((await svc.service.deliveries({ limit: 100 })).filter((d) => d.notification.status === 'failed'), [], 'no failed delivery');
    const fresh = (await (await openSecretStore(home, testEnv(home))).getClientCertificate())!;
    assert.deepEqual((await appCertificates(clientId)).map((c) => c.thumbprintSha256), [b64urlSha256(fresh)]);
    await assert.rejects(certificateClient(clientId, certificate).acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] }), /700027/);

    // No certificate in use: nothing to rotate, and the command says what to run instead.
    await (await openSecretStore(home, testEnv(home))).clearClientCertificate();
    const refused = await runCli(['certificate', 'rotate'], { home });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /No certificate is in use yet, so there is none to rotate: run `o365-notify certificate create` first\./);
  });

  it("Graph's addKey: no proof is refused (403), a proof with the wrong audience or signed by a key not on the app (401), a valid one adds the key", { timeout: 120_000 }, async () => {
    const { clientId, certificate } = await certificateHome(['--self-rotate'], 'ImageManager (addKey proofs)');
    const token = await certificateClient(clientId, certificate).acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'], skipCache: true });
    const app = (await tenant.emu.call('GET', `/v1.0/applications(appId='${clientId}')`, undefined, { authorization: `Bearer ${token!.accessToken}` })).json() as { id: string };
    const next = newClientCertificate(clientId, 30 * DAY);
    const addKey = (proof: string | undefined) =>
      tenant.emu.call('POST', `/v1.0/applications/${app.id}/addKey`, {
        keyCredential: { type: 'AsymmetricX509Cert', usage: 'Verify', key: new X509Certificate(next.certificatePem).raw.toString('base64') },
        passwordCredential: null,
        proof,
      }, { authorization: `Bearer ${token!.accessToken}` });

    const none = await addKey(undefined);
    assert.equal(none.status, 403, none.text);
    assert.equal(none.json().error.code, 'Authorization_RequestDenied');
    const wrongIssuer = await addKey(keyProof(certificate, clientId));
    assert.equal(wrongIssuer.status, 401, 'iss must be the object id, not the client id');
    assert.equal(wrongIssuer.json().error.code, 'Authentication_MissingOrMalformed');
    const strangerKey = await addKey(keyProof(newClientCertificate(clientId, DAY), app.id));
    assert.equal(strangerKey.status, 401, 'signed by a certificate the app does not have');
    assert.equal((await appCertificates(clientId)).length, 1, 'nothing added by a refused call');

    const ok = await addKey(keyProof(certificate, app.id));
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json().type, 'AsymmetricX509Cert');
    assert.equal((await appCertificates(clientId)).length, 2);
    const removed = await tenant.emu.call('POST', `/v1.0/applications/${app.id}/removeKey`, { keyId: ok.json().keyId, proof: keyProof(next, app.id) }, { authorization: `Bearer ${token!.accessToken}` });
    assert.equal(removed.status, 204, removed.text);
    assert.equal((await appCertificates(clientId)).length, 1);
  });
  // Last: it moves the emulator's clock past the certificate's end.
  it('an expired certificate (the service was off past its end): the service says so with the fix, and changes nothing', { timeout: 120_000 }, async () => {
    const { home, clientId } = await certificateHome(['--self-rotate'], 'ImageManager (certificate expired)');
    const before = await appCertificates(clientId);
    assert.equal((await tenant.emu.call('POST', '/_emulator/clock', { advanceSeconds: 11 * 86_400 })).status, 200);
    // Days later, the access tokens it held have long expired too.
    await (await openSecretStore(home, testEnv(home))).clearTokenCache();
    const { lines } = await serve(home);
    const warning = await waitFor(() => lines.find((l) => l.includes('renewing it needs a token with it first')), 'the warning in the log', 30_000);
    assert.match(warning, /"level":40/);
    assert.match(warning, /AADSTS700027/);
    assert.match(warning, /run `o365-notify certificate create` \(they sign in once\)/);
    assert.deepEqual(await appCertificates(clientId), before, 'nothing was changed on the app');
  });
});
