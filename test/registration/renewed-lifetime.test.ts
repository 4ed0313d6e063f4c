/**
 * A credential the service renews keeps its lifetime (issue 15): a certificate the validity period of
 * the one it replaces, a secret the lifetime Graph lists for it (passwordCredential startDateTime ..
 * endDateTime), else 180 days - never shorter than 30 days past its own renewal.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { defaultSettings, type Settings } from '../../src/config/index.js';
import type { GraphApplication } from '../../src/registration/desired.js';
import type { DirectoryClient } from '../../src/registration/directory-client.js';
import { newClientCertificate, ownSecret, renewedCertificate, renewedLifetimeMs, secretLifetimeOnApp } from '../../src/registration/index.js';
import { SELF_ROTATED_LIFETIME_MS } from '../../src/registration/self-rotate.js';

const DAY = 86_400_000;
const APP = '11111111-2222-3333-4444-555555555555';

function settings(rotateDays?: number, secretExpires?: string): Settings {
  const s = defaultSettings();
  s.account.auth = 'app-only';
  s.account.clientId = APP;
  if (rotateDays !== undefined) s.account.secretRotateDays = rotateDays;
  if (secretExpires !== undefined) s.account.secretExpires = secretExpires;
  return s;
}

const period = (pem: string) => {
  const x = new X509Certificate(pem);
  return Date.parse(x.validTo) - Date.parse(x.validFrom);
};

describe('a renewed credential keeps its lifetime', () => {
  it('a certificate: the new one has exactly the old one\'s validity period (certificate create --expires 365d)', () => {
    const old = newClientCertificate(APP, 365 * DAY, Date.UTC(2025, 0, 10, 8));
    const renewed = renewedCertificate(settings(), APP, old, Date.UTC(2025, 11, 15, 8, 0, 0, 250));
    assert.equal(period(renewed.certificatePem), period(old.certificatePem));
    assert.equal(new Date(new X509Certificate(renewed.certificatePem).validTo).toISOString(), '2026-12-15T08:00:00.000Z', 'notBefore a minute back, notAfter the old period later');
    assert.notEqual(renewed.privateKeyPem, old.privateKeyPem, 'a new key pair');
  });

  it('a certificate shorter than 30 days past its renewal gets that much (else it would be due again at once)', () => {
    const old = newClientCertificate(APP, 10 * DAY);
    assert.equal(period(renewedCertificate(settings(), APP, old).certificatePem), 60 * DAY, 'default secretRotateDays 30 + 30');
    assert.equal(period(renewedCertificate(settings(5), APP, old).certificatePem), 35 * DAY, 'secretRotateDays 5 + 30');
  });

  it('the bound: at most what it was, at least 30 days past the renewal, 180 days when unknown', () => {
    assert.equal(renewedLifetimeMs(settings(), 400 * DAY), 400 * DAY);
    assert.equal(renewedLifetimeMs(settings(), 20 * DAY), 60 * DAY);
    assert.equal(renewedLifetimeMs(settings(), undefined), SELF_ROTATED_LIFETIME_MS);
    assert.equal(renewedLifetimeMs(settings(), Number.NaN), SELF_ROTATED_LIFETIME_MS);
    assert.equal(renewedLifetimeMs(settings(), -DAY), SELF_ROTATED_LIFETIME_MS);
  });

  it('a secret: the one in use is found on the app by its hint and Expires date; without Graph\'s dates it is unknown', () => {
    const app: GraphApplication = {
      id: 'obj',
      appId: APP,
      passwordCredentials: [
        { keyId: 'a', displayName: 'o365-notify', hint: 'abc', startDateTime: '2025-01-01T00:00:00Z', endDateTime: '2025-12-27T00:00:00Z' },
        { keyId: 'b', displayName: 'other', hint: 'xyz', startDateTime: '2025-03-01T00:00:00Z', endDateTime: '2025-04-01T00:00:00Z' },
      ],
    } as GraphApplication;
    assert.equal(secretLifetimeOnApp(app, 'abc', '2025-12-27'), 360 * DAY);
    assert.equal(secretLifetimeOnApp(app, 'abc', undefined), 360 * DAY, 'the only one with its hint');
    assert.equal(secretLifetimeOnApp(app, undefined, '2025-04-01'), 31 * DAY, 'by the recorded Expires date');
    assert.equal(secretLifetimeOnApp(app, 'zzz', '2030-01-01'), undefined, 'not on the app');
    const undated = { ...app, passwordCredentials: [{ keyId: 'a', hint: 'abc', endDateTime: '2025-12-27T00:00:00Z' }] } as GraphApplication;
    assert.equal(secretLifetimeOnApp(undated, 'abc', '2025-12-27'), undefined, 'no startDateTime: unknown');
  });

  it('a secret renewed by the service: addPassword asks for the old lifetime, or 180 days when unknown', async () => {
    const asked: number[] = [];
    const directory = {
      addPassword: async (_id: string, _name: string, endDateTime: string) => {
        asked.push(Date.parse(endDateTime) - Date.now());
        return { keyId: 'new', endDateTime, secretText: 'new-secret' };
      },
    } as unknown as DirectoryClient;
    const steps = { tryNew: async () => undefined, restorePrevious: async () => undefined };
    const app = { id: 'obj', appId: APP, passwordCredentials: [{ keyId: 'a', hint: 'abc', startDateTime: '2025-01-01T00:00:00Z', endDateTime: '2026-01-01T00:00:00Z' }] } as GraphApplication;
    await ownSecret(settings(30, '2026-01-01'), 'abc', steps).kind(directory).add(app);
    await ownSecret(settings(30, '2026-01-01'), 'abc', steps).kind(directory).add({ ...app, passwordCredentials: [] } as GraphApplication);
    assert.ok(Math.abs(asked[0]! - 365 * DAY) < 60_000, `the old secret's 365 days (${asked[0]! / DAY})`);
    assert.ok(Math.abs(asked[1]! - 180 * DAY) < 60_000, `180 days when unknown (${asked[1]! / DAY})`);
  });
});
