/**
 * The settings page's "Register for me" (issue 15.1), in Chromium against the emulator, from an
 * empty home: the button starts `register`'s flow, the page shows the administrator's code and
 * link, the administrator signs in on the emulator's device-login page, the page lists what was
 * created in the portal's words, the settings are saved and the checklist's registration steps turn
 * green. App-only: the new client secret is stored, and no answer the browser ever got holds it.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { parse as parseYaml } from 'yaml';
import { DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { openSecretStore } from '../../src/secrets/index.js';
import { chromiumAvailable, CHROMIUM_PATH, emulatorDataDir, emulatorSpki, enterDeviceCode, launchBrowser, type TestBrowser } from '../support/browser.js';
import { startPageService, type PageService } from '../page/helpers.js';
import { registrationTenant } from './support.js';

const ADMIN = `admin@${DEMO_DOMAIN}`;
const SENDER = `alerts@${DEMO_DOMAIN}`;

const skip = chromiumAvailable() ? false : `${CHROMIUM_PATH} is missing; install Debian's chromium (scripts/ensure-system-deps.sh does it in npm test)`;

describe('"Register for me" on the settings page', { skip }, () => {
  const tenant = registrationTenant();
  let browser: TestBrowser;
  const services: PageService[] = [];

  before(async () => {
    browser = await launchBrowser({ trustSpki: [await emulatorSpki(emulatorDataDir(tenant.emu.caPath))] });
  });
  after(async () => {
    await browser?.close();
    for (const s of services) await s.stop();
  });

  /** The page of a service with an empty home, pointed at the emulator; every answer the browser got is kept. */
  async function openPage(): Promise<{ svc: PageService; page: Page; bodies: string[] }> {
    const svc = await startPageService({ home: await tenant.newHome(), env: { O365_NOTIFY_EMULATOR: tenant.emu.url, O365_NOTIFY_EMULATOR_CA: tenant.emu.caPath } });
    services.push(svc);
    const page = await browser.newPage();
    const bodies: string[] = [];
    page.on('response', (response) => {
      if (new URL(response.url()).port === new URL(svc.url).port) void response.text().then((t) => bodies.push(t), () => undefined);
    });
    await page.goto(svc.link());
    await page.locator('#register-start').waitFor();
    return { svc, page, bodies };
  }

  /** Presses the button, and signs in as the administrator with the code the page shows. */
  async function registerAsAdministrator(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Register for me' }).click();
    await page.locator('#register-code-box:not([hidden])').waitFor({ timeout: 15_000 });
    const code = ((await page.locator('#register-code').textContent()) ?? '').trim();
    const link = (await page.locator('#register-link').getAttribute('href')) ?? '';
    assert.match(code, /^[A-Z0-9-]{6,}$/);
    assert.equal(link, `${tenant.emu.url}/devicelogin`);
    const phone = await browser.newPage();
    await phone.goto(link);
    await enterDeviceCode(phone, code, ADMIN);
    // Graph Command Line Tools asks the administrator to consent to its permissions the first time.
    const consent = phone.getByRole('heading', { name: /Permissions requested/ });
    if (await consent.isVisible().catch(() => false)) await phone.locator('#idSIButton9').click();
    await page.locator('#register-state.ok', { hasText: /^Done: the app registration [0-9a-f-]{36} follows the guide/ }).or(page.locator('#register .answer .ok')).first().waitFor({ timeout: 30_000 });
  }

  async function stepStates(page: Page): Promise<Record<string, string>> {
    const steps = await page.locator('ol.checklist > li').evaluateAll((items) => items.map((li) => [li.getAttribute('data-step') ?? '', li.getAttribute('data-state') ?? ''] as const));
    return Object.fromEntries(steps);
  }

  test('delegated, from an empty home: code and link shown, the app created as the guide says, settings saved, the registration steps green', { timeout: 90_000 }, async () => {
    const { svc, page } = await openPage();
    assert.equal(await page.locator('ol.checklist > li[data-state="done"]').count(), 0, 'nothing is ticked in an empty home');
    await page.locator('label[for="type-single-tenant"]').click();
    await page.getByLabel('Tenant ID').fill(DEMO_TENANT_ID);
    await page.locator('label[for="auth-device-code"]').click();
    await registerAsAdministrator(page);

    // After the reload the save causes, the page still lists what was done, in the portal's words.
    await page.locator('#register-state.ok').waitFor();
    const lines = ((await page.locator('#register-lines').textContent()) ?? '').replace(/\s+/g, ' ');
    assert.match(lines, /Created the app registration "ImageManager" \(Application \(client\) ID [0-9a-f-]{36}\)/);
    assert.match(lines, /Granted admin consent \(API permissions > Grant admin consent\)/);
    assert.match(lines, /Settings written to /);

    const settings = parseYaml(await readFile(join(svc.home, 'settings.yaml'), 'utf8')) as { account: Record<string, string> };
    assert.deepEqual([settings.account.type, settings.account.tenantId, settings.account.auth], ['single-tenant', DEMO_TENANT_ID, 'device-code']);
    const made = ((await tenant.emu.call('GET', '/_emulator/state')).json().apps as { clientId: string; allowPublicClientFlows: boolean; delegatedPermissions: string[]; redirectUris: { mobileAndDesktop: string[] } }[]).find(
      (a) => a.clientId === settings.account.clientId,
    );
    assert.ok(made, 'the app the page registered is in the tenant');
    assert.deepEqual([made.allowPublicClientFlows, made.delegatedPermissions, made.redirectUris.mobileAndDesktop], [true, ['Mail.Send'], ['http://localhost']]);
    assert.equal(await page.locator('#clientId').inputValue(), made.clientId, 'the Account form shows the saved Client ID');

    const states = await stepStates(page);
    for (const step of ['registered', 'account-type', 'identifiers', 'public-client-flows', 'mail-send', 'admin-consent']) {
      assert.equal(states[step], 'done', `${step} is ${states[step]}: ${await page.locator(`[data-step="${step}"]`).textContent()}`);
    }
  });

  test('app-only: the client secret goes into the encrypted store and never reaches the browser', { timeout: 90_000 }, async () => {
    const { svc, page, bodies } = await openPage();
    await page.locator('label[for="type-single-tenant"]').click();
    await page.getByLabel('Tenant ID').fill(DEMO_TENANT_ID);
    await page.locator('label[for="auth-app-only"]').click();
    await page.getByLabel('Send as (app-only)').fill(SENDER);
    await registerAsAdministrator(page);
    await page.locator('#register-state.ok').waitFor();
    assert.match((await page.locator('#register-lines').textContent()) ?? '', /Added a client secret \(Certificates & secrets\), valid until \d{4}-\d{2}-\d{2}; it is stored encrypted, never shown/);

    const secret = await (await openSecretStore(svc.home, svc.env)).getClientSecret();
    assert.ok(secret, 'the new secret is stored');
    await page.reload();
    await page.locator('#register-state.ok').waitFor();
    assert.ok(bodies.length > 5, `the browser's answers were recorded (${bodies.length})`);
    for (const body of bodies) assert.ok(!body.includes(secret), 'no answer to the browser holds the client secret');
    assert.ok(!(await page.content()).includes(secret));
    const states = await stepStates(page);
    assert.equal(states['registered'], 'done', (await page.locator('[data-step="registered"]').textContent()) ?? '');
  });
});
