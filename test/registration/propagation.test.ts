/**
 * Propagation (issue 15): a new app or secret is unknown to Entra ID's sign-in service for a while
 * (AADSTS700016 / AADSTS7000215). The emulator delays them (behaviour propagationDelaySeconds);
 * register and secret rotate wait for the token service with a visible, bounded retry, so the next
 * step (login, test) works at once.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { DEMO_DOMAIN } from '../../packages/emulator/src/index.js';
import { runCli } from '../support/cli.js';
import { registrationTenant } from './support.js';

const ADMIN = `admin@${DEMO_DOMAIN}`;
const SENDER = `alerts@${DEMO_DOMAIN}`;
const TO = `it-team@${DEMO_DOMAIN}`;

describe('register and secret rotate wait until Entra ID knows the new app and secret', () => {
  const tenant = registrationTenant();
  const { newHome, withDeviceCode } = tenant;

  afterEach(async () => {
    await tenant.emu.call('PUT', '/_emulator/behaviour', { propagationDelaySeconds: 0 });
  });

  const flags = tenant.flags;

  it('the emulator delay setting: 0 switches it off, a negative one is refused', async () => {
    const setting = await tenant.emu.call('PUT', '/_emulator/behaviour', { propagationDelaySeconds: 0 });
    assert.equal(setting.status, 200, '0 switches the delay off');
    assert.equal((await tenant.emu.call('PUT', '/_emulator/behaviour', { propagationDelaySeconds: -1 })).status, 400);
  });

  it('app-only: register waits out AADSTS700016 with a progress line; test then delivers at once; rotate waits out AADSTS7000215', async () => {
    await tenant.emu.call('PUT', '/_emulator/behaviour', { propagationDelaySeconds: 4 });
    const home = await newHome();
    const r = await withDeviceCode(['register', ...flags(), '--auth', 'app-only', '--sender', SENDER, '--to', TO, '--grant-admin-consent', '--name', 'ImageManager (propagation app-only)'], home, ADMIN);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Waiting for Entra ID to know the new app \(it answered AADSTS700016: new apps and secrets take a while to reach the sign-in service; attempt 1, giving up after 300 s\)/);
    assert.match(r.stdout, /Entra ID's sign-in service knows the new app\./);
    const test = await runCli(['test', '--to', TO], { home });
    assert.equal(test.code, 0, test.stdout + test.stderr);

    const rotated = await withDeviceCode(['secret', 'rotate', '--secret-expires', '30d'], home, ADMIN);
    assert.equal(rotated.code, 0, rotated.stdout + rotated.stderr);
    assert.match(rotated.stdout, /Waiting for Entra ID to know the new client secret \(it answered AADSTS7000215/);
    assert.match(rotated.stdout, /Removed 1 previous o365-notify secret/);
  });

  it('delegated: register waits, then a device-code login works at once', async () => {
    await tenant.emu.call('PUT', '/_emulator/behaviour', { propagationDelaySeconds: 3 });
    const home = await newHome();
    const r = await withDeviceCode(['register', ...flags(), '--grant-admin-consent', '--name', 'ImageManager (propagation delegated)'], home, ADMIN);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Waiting for Entra ID to know the new app \(it answered AADSTS700016/);
    assert.match(r.stdout, /sign-in service knows the new app/);
    const login = await withDeviceCode(['login', '--device-code'], home, SENDER);
    assert.equal(login.code, 0, login.stdout + login.stderr);
  });

  it('the wait is bounded: past --propagation-wait register says the app is not known yet and what to do', async () => {
    await tenant.emu.call('PUT', '/_emulator/behaviour', { propagationDelaySeconds: 600 });
    const home = await newHome();
    const r = await withDeviceCode(['register', ...flags(), '--name', 'ImageManager (propagation bounded)', '--propagation-wait', '4s'], home, ADMIN);
    assert.equal(r.code, 0, 'the registration itself is done');
    assert.match(r.stdout, /does not know the new app yet \(still AADSTS700016 after \d+ s\)\. That happens for a while after App registrations changes; wait a few minutes/);
    const settings = parseYaml(await readFile(join(home, 'settings.yaml'), 'utf8')) as { account: { clientId?: string } };
    assert.ok(settings.account.clientId, 'the settings are written all the same');
    const bad = await runCli(['register', '--propagation-wait', 'soon'], { home });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--propagation-wait must be a duration/);
  });
});
