/**
 * The service renews its own client secret (issue 15, credentials lifecycle): account.secretRotateDays
 * before account.secretExpires it adds a new secret to its app (Application.ReadWrite.OwnedBy, the
 * app an owner of itself: `register --self-rotate`), switches once it gets a token, removes the old
 * one - while it keeps sending. Without the permission it warns with the fix.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { openSecretStore } from '../../src/secrets/index.js';
import { waitFor } from '../reliability/support.js';
import { testEnv } from '../support/cli.js';
import { confidentialClient } from '../support/msal.js';
import { registrationTenant, renewalServices } from './support.js';

const ADMIN = `admin@${DEMO_DOMAIN}`;
const SENDER = `alerts@${DEMO_DOMAIN}`;
const TO = `renewal-team@${DEMO_DOMAIN}`;

describe('the service renews its own client secret before it expires', () => {
  const tenant = registrationTenant();
  const serve = renewalServices();

  async function registeredHome(extra: string[], name: string): Promise<{ home: string; clientId: string; secret: string }> {
    const home = await tenant.newHome();
    const r = await tenant.withDeviceCode(
      ['register', ...tenant.flags(), '--auth', 'app-only', '--sender', SENDER, '--to', TO, '--grant-admin-consent', '--secret-expires', '10d', '--name', name, ...extra],
      home,
      ADMIN,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const settings = parseYaml(await readFile(join(home, 'settings.yaml'), 'utf8')) as { account: { clientId: string } };
    const secret = (await (await openSecretStore(home, testEnv(home))).getClientSecret())!;
    return { home, clientId: settings.account.clientId, secret };
  }

  async function appSecrets(clientId: string): Promise<{ keyId: string; expiresAt: string }[]> {
    const apps = (await tenant.emu.call('GET', '/_emulator/state')).json().apps as { clientId: string; secrets: { keyId: string; expiresAt: string }[] }[];
    return apps.find((a) => a.clientId === clientId)!.secrets;
  }

  it('with --self-rotate: renewed while sending (no failed delivery), the old secret refused, the new date recorded', { timeout: 120_000 }, async () => {
    const { home, clientId, secret } = await registeredHome(['--self-rotate'], 'ImageManager (self-rotation)');
    assert.equal((await appSecrets(clientId)).length, 1);
    const { svc, lines, post } = await serve(home);
    await post(5, 0);
    await waitFor(() => lines.some((l) => l.includes('renewed the client secret')), `the renewal in the log:\n${lines.join('')}`, 60_000);
    await post(5, 100);
    const delivered = await waitFor(async () => {
      const inbox = (await tenant.emu.call('GET', `/_emulator/mailboxes/${TO}/messages`)).json() as unknown[];
      return inbox.length >= 10 ? inbox : undefined;
    }, 'all 10 alerts delivered', 60_000);
    assert.equal(delivered.length, 10);
    assert.deepEqual((await svc.service.deliveries({ limit: 100 })).filter((d) => d.notification.status === 'failed'), [], 'no failed delivery');

    const fresh = await (await openSecretStore(home, testEnv(home))).getClientSecret();
    assert.ok(fresh && fresh !== secret, 'a new secret is stored');
    assert.ok(!lines.join('').includes(fresh) && !lines.join('').includes(secret), 'no secret in the log');
    const remaining = await appSecrets(clientId);
    assert.equal(remaining.length, 1, 'the old secret is removed from the app');
    const recorded = (parseYaml(await readFile(join(home, 'settings.yaml'), 'utf8')) as { account: { secretExpires: string } }).account.secretExpires;
    assert.equal(recorded, remaining[0]!.expiresAt.slice(0, 10), 'account.secretExpires follows the new secret');
    // Graph lists the old secret's startDateTime..endDateTime (10 days): the new one keeps that,
    // bounded to 30 days past its own renewal (secretRotateDays 30), not the 180 days of an unknown one.
    const days = (Date.parse(remaining[0]!.expiresAt) - Date.now()) / 86_400_000;
    assert.ok(days > 59 && days <= 60, `the new secret lasts 60 days (${days.toFixed(2)})`);
    const old = confidentialClient(tenant.emu, DEMO_TENANT_ID, clientId, secret);
    await assert.rejects(old.app.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] }), /7000215/);
  });

  it('without the permission: the service warns with the fix, and the secret stays', { timeout: 60_000 }, async () => {
    const { home, clientId, secret } = await registeredHome([], 'ImageManager (no self-rotation)');
    const { lines } = await serve(home);
    const warning = await waitFor(() => lines.find((l) => l.includes('cannot renew it by itself')), 'the warning in the log', 30_000);
    assert.match(warning, /"level":40/);
    assert.match(warning, /Application\.ReadWrite\.OwnedBy/);
    assert.match(warning, new RegExp(`o365-notify register --client-id ${clientId} --auth app-only --self-rotate --grant-admin-consent`));
    assert.equal(await (await openSecretStore(home, testEnv(home))).getClientSecret(), secret);
    assert.equal((await appSecrets(clientId)).length, 1);
  });
});
