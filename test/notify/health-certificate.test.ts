/**
 * The health notices for the client certificate in use (issue 15): the same thresholds and once-per-
 * threshold e-mails as the client secret's, worded for the certificate, keyed by its thumbprint (a
 * renewed certificate starts fresh), and none while the service's own renewal is still ahead.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialExpiryNotice, fixedSentence, healthEmailView, secretExpiryNotice, signInRefusalNotice } from '../../src/notify/health.js';
import { FakeClock, HOUR, harness } from './helpers.js';

const DAY = 24 * HOUR;
const OLD = 'A1B2C3D4E5F60718293A4B5C6D7E8F9011223344';
const NEW = '99887766554433221100FFEEDDCCBBAA99887766';

describe('certificate health notices', () => {
  it('counts from the certificate\'s own end instant: 30d, 7d, 1d, expired; the text names the thumbprint and the three fixes', () => {
    const end = Date.UTC(2025, 6, 1, 15, 30);
    const certificate = { kind: 'certificate' as const, thumbprint: OLD, endDateTime: new Date(end).toISOString() };
    assert.equal(credentialExpiryNotice(certificate, end - 31 * DAY), null, 'further off than 30 days');
    assert.equal(credentialExpiryNotice(certificate, end - 30 * DAY)!.threshold, '30d');
    assert.equal(credentialExpiryNotice(certificate, end - 7 * DAY - 1)!.threshold, '30d', 'just over 7 days left');
    assert.equal(credentialExpiryNotice(certificate, end - 7 * DAY)!.threshold, '7d');
    assert.equal(credentialExpiryNotice(certificate, end - 1 * DAY)!.threshold, '1d');
    assert.equal(credentialExpiryNotice(certificate, end)!.threshold, 'expired');

    const soon = credentialExpiryNotice(certificate, end - 12 * DAY)!;
    assert.equal(soon.kind, 'certificate-expiring');
    assert.equal(soon.subject, OLD, 'the thumbprint is the dedup subject');
    assert.equal(soon.message, `The client certificate (thumbprint ${OLD}) expires on 2025-07-01, in 12 days, and the service did not renew it. E-mails still go out; replace it before then so they keep going.`);
    assert.equal(soon.diagnosis!.code, 'certificate-expiring');
    assert.match(soon.diagnosis!.fix, /Run `o365-notify certificate rotate` \(an administrator signs in once\)/);
    assert.match(soon.diagnosis!.fix, /`o365-notify register --self-rotate` so the service renews it itself/);
    assert.match(soon.diagnosis!.fix, /Certificates & secrets > Certificates > Upload certificate/);
    assert.doesNotMatch(soon.message + soon.diagnosis!.fix, /client secret/i);

    const expired = credentialExpiryNotice(certificate, end + HOUR)!;
    assert.equal(expired.message, `The client certificate (thumbprint ${OLD}) expired on 2025-07-01. App-only sign-ins with it fail, so e-mails wait until a new certificate is in use.`);
    assert.equal(expired.diagnosis!.code, 'certificate-expired');
    assert.doesNotMatch(expired.diagnosis!.fix, /self-rotate/, 'an expired certificate cannot sign its own renewal');
  });

  it('the client secret\'s notice is the same one function, its words unchanged', () => {
    const now = Date.UTC(2025, 5, 1);
    assert.deepEqual(credentialExpiryNotice({ kind: 'client secret', expiresOn: '2025-06-08' }, now), secretExpiryNotice('2025-06-08', now));
    assert.equal(secretExpiryNotice('2025-06-08', now)!.message, 'The client secret expires on 2025-06-08, in 7 days. E-mails still go out; create a new secret before then so they keep going.');
  });

  it('e-mails once per threshold, not while the renewal is ahead; a new certificate ends the old one\'s notices with one "resolved" e-mail and starts fresh', async () => {
    const h = harness({ admin_recipients: ['it@contoso.com'], daily_report: false }, { clock: new FakeClock(Date.UTC(2025, 5, 1, 9)) });
    try {
      const old = { thumbprint: OLD, endDateTime: new Date(h.clock.now + 20 * DAY).toISOString() };
      assert.equal(await h.service.checkCertificateExpiry(old, true), null, 'the service renews it later: nothing yet');
      assert.deepEqual((await h.service.status()).healthNotices, []);
      assert.equal((await h.service.checkCertificateExpiry(old, false))!.emailed, true, 'the renewal could not be done: warned');
      assert.equal((await h.service.checkCertificateExpiry(old, false))!.emailed, false, 'once per threshold');
      h.clock.advance(14 * DAY);
      assert.equal((await h.service.checkCertificateExpiry(old, false))!.emailed, true, '6 days left: the 7-day notice');
      await h.service.tick(h.clock.now);
      assert.deepEqual(h.sender.sent.map((m) => m.subject), ['[Action needed] The client certificate expires in 30 days', '[Action needed] The client certificate expires in 7 days']);
      assert.deepEqual(h.sender.sent[0]!.to, ['it@contoso.com']);
      assert.match(h.sender.sent[0]!.text, new RegExp(`thumbprint ${OLD}\\) expires on \\d{4}-\\d{2}-\\d{2}, in 20 days`));
      assert.match(h.sender.sent[0]!.text, /o365-notify certificate rotate/);
      assert.deepEqual((await h.service.status()).healthNotices.map((n) => [n.kind, n.threshold]), [['certificate-expiring', '30d'], ['certificate-expiring', '7d']]);

      // Replaced (by hand or renewed): the old thumbprint's notices end, with one "resolved" e-mail.
      const renewed = { thumbprint: NEW, endDateTime: new Date(h.clock.now + 25 * DAY).toISOString() };
      assert.equal(await h.service.checkCertificateExpiry(renewed, true), null);
      assert.deepEqual((await h.service.status()).healthNotices, []);
      await h.service.tick(h.clock.now);
      assert.equal(h.sender.sent.length, 3);
      assert.equal(h.sender.sent[2]!.subject, `[Resolved] The client certificate with thumbprint ${OLD} is no longer the one in use: a new certificate replaced it`);
      assert.match(h.sender.sent[2]!.text, new RegExp(`in use now has thumbprint ${NEW}`));
      // The new certificate's own key: its 30-day notice is new, not the old one's.
      assert.equal((await h.service.checkCertificateExpiry(renewed, false))!.emailed, true);
      await h.service.tick(h.clock.now);
      assert.equal(h.sender.sent[3]!.subject, '[Action needed] The client certificate expires in 30 days');
      assert.match(h.sender.sent[3]!.text, new RegExp(NEW));
    } finally {
      h.close();
    }
  });

  it('Entra refusing the certificate (AADSTS700027) is worded for the certificate, a refused secret as before', () => {
    const refused = signInRefusalNotice({ code: 'AADSTS700027', title: 'Certificate not accepted', cause: '', fix: 'Run `o365-notify certificate create` ...', guideStep: 'client-secret' }, true)!;
    assert.equal(refused.message, 'Microsoft 365 refused the client certificate (AADSTS700027: Certificate not accepted). E-mails wait until a certificate it accepts is in use.');
    assert.equal(healthEmailView(refused, 'id', Date.UTC(2025, 5, 1)).headline, 'Microsoft 365 refused the client certificate');
    assert.equal(fixedSentence({ kind: refused.kind, subject: refused.subject!, diagnosis: refused.diagnosis ?? null }), 'Microsoft 365 accepts the client certificate again.');
    const secret = signInRefusalNotice({ code: 'AADSTS7000222', title: 'Client secret expired', cause: '', fix: '', guideStep: 'client-secret' }, true)!;
    assert.equal(secret.message, 'Microsoft 365 refused the client secret (expired or wrong). E-mails wait until a new secret is entered.');
    assert.equal(healthEmailView(secret, 'id', Date.UTC(2025, 5, 1)).headline, 'The client secret has expired');
    assert.equal(fixedSentence({ kind: secret.kind, subject: secret.subject!, diagnosis: secret.diagnosis ?? null }), 'Microsoft 365 accepts the client secret again.');
  });

  it('the certificate\'s notices leave the client secret\'s alone, and end when no certificate is in use', async () => {
    const h = harness({ admin_recipients: ['it@contoso.com'], daily_report: false }, { clock: new FakeClock(Date.UTC(2025, 5, 25, 9)) });
    try {
      assert.equal((await h.service.checkSecretExpiry('2025-07-01'))!.emailed, true);
      assert.equal((await h.service.checkCertificateExpiry({ thumbprint: OLD, endDateTime: new Date(h.clock.now + 3 * DAY).toISOString() }, false))!.emailed, true);
      assert.deepEqual((await h.service.status()).healthNotices.map((n) => n.kind).sort(), ['certificate-expiring', 'secret-expiring']);
      assert.equal(await h.service.checkCertificateExpiry(undefined, false), null);
      assert.deepEqual((await h.service.status()).healthNotices.map((n) => n.kind), ['secret-expiring']);
    } finally {
      h.close();
    }
  });
});
