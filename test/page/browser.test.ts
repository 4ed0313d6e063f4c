/**
 * The settings page driven like a person, in Chromium (playwright-core), against the in-process
 * emulator, from an empty home dir: sign-in link, account form with its live errors, browser
 * sign-in through the emulator's pages back to the service, test e-mail found in the mailbox,
 * every checklist step ticked. Then a guide step broken in the emulator (public client flows off):
 * the device-code sign-in fails and the checklist names that step with its fix; turned on again,
 * the device-code panel completes. Screenshots for the README (docs/images/page-*.png).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import {
  chromiumAvailable,
  CHROMIUM_PATH,
  emulatorDataDir,
  emulatorSpki,
  enterDeviceCode,
  launchBrowser,
  screenshot,
  signInOnAuthorizePage,
  type TestBrowser,
} from '../support/browser.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { startPageService, type PageService } from './helpers.js';

const SENDER = `alerts@${DEMO_DOMAIN}`;
const RECIPIENT = `it-team@${DEMO_DOMAIN}`;


async function stepStates(page: Page): Promise<Record<string, string>> {
  const steps = await page.locator('ol.checklist > li').evaluateAll((items) =>
    items.map((li) => [li.getAttribute('data-step') ?? '', li.getAttribute('data-state') ?? ''] as const),
  );
  return Object.fromEntries(steps);
}

/** The message shown next to a field (the live check fills it as you type). */
function fieldMessage(page: Page, field: string) {
  return page.locator(`#account-form [data-field="${field}"] .msg`);
}

const skip = chromiumAvailable() ? false : `${CHROMIUM_PATH} is missing; install Debian's chromium (scripts/ensure-system-deps.sh does it in npm test)`;
if (skip) console.log(`# skipping the settings-page browser tests: ${skip}`);

describe('the settings page in a real browser', { skip }, () => {
  let emulator: TestEmulator;
  let browser: TestBrowser;
  let scratch: string;
  const services: PageService[] = [];

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'o365-page-shots-'));
    emulator = await startTestEmulator();
    const behaviour = await emulator.call('PUT', '/_emulator/behaviour', { deviceCodeIntervalSeconds: 1 });
    assert.equal(behaviour.status, 200, behaviour.text);
    browser = await launchBrowser({ trustSpki: [await emulatorSpki(emulatorDataDir(emulator.caPath))] });
  });

  after(async () => {
    await browser?.close();
    for (const s of services) await s.stop();
    await emulator?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  /** The service from an empty home dir, pointed at the emulator by environment (as `demo` does). */
  async function freshService(): Promise<PageService> {
    const svc = await startPageService({ env: { O365_NOTIFY_EMULATOR: emulator.url, O365_NOTIFY_EMULATOR_CA: emulator.caPath } });
    services.push(svc);
    return svc;
  }

  async function openPage(svc: PageService): Promise<Page> {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1000, height: 800 });
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(svc.link());
    await page.locator('#checklist').waitFor();
    assert.match(page.url(), /^http:\/\/localhost:\d+\/$/, 'the link is spent and gone from the address bar');
    return page;
  }

  test('from an empty home: link, account type and IDs with live errors, browser sign-in, test e-mail, every step ticked', async () => {
    const svc = await freshService();
    const page = await openPage(svc);
    assert.equal(await page.locator('ol.checklist > li[data-state="done"]').count(), 0, 'nothing is ticked in an empty home');

    // The account type as the guide presents it; personal-only is there, but not selectable.
    assert.ok(await page.locator('#type-personal').isDisabled());
    assert.match((await page.locator('#personal-why').textContent()) ?? '', /NOT supported/);

    // Multitenant + personal with a Tenant ID: the live check says the guide's rule.
    await page.locator('label[for="type-multi-tenant-personal"]').click();
    assert.equal(await page.locator('#tenant-requirement').textContent(), 'must be blank');
    await page.getByLabel('Client ID').fill(DEMO_APPS.singleTenant);
    await page.getByLabel('Tenant ID').fill(DEMO_TENANT_ID);
    await fieldMessage(page, 'account.tenantId').getByText(/must be blank/).waitFor();
    assert.equal(await page.locator('#tenantId').getAttribute('aria-invalid'), 'true');
    await page.locator('#account-form [data-field="account.tenantId"]').evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await screenshot(page, 'page-account.png', scratch);

    // A Client ID that is not a GUID: told as you type, in the same words as `config check`.
    await page.getByLabel('Client ID').fill('contoso.onmicrosoft.com');
    await fieldMessage(page, 'account.clientId').getByText(/is a domain, not the "Application \(client\) ID"/).waitFor();
    await page.getByLabel('Client ID').fill(DEMO_APPS.singleTenant);

    // The app is single tenant: choose that, and the errors go.
    await page.locator('label[for="type-single-tenant"]').click();
    assert.equal(await page.locator('#tenant-requirement').textContent(), 'required');
    await page.waitForFunction(() => document.querySelector('[data-field="account.tenantId"] .msg')?.textContent === '');
    assert.equal(await page.locator('#redirect-uri').textContent(), 'http://localhost');
    await page.getByRole('button', { name: 'Save account settings' }).click();
    await page.locator('#account-form .answer', { hasText: 'Account settings saved' }).waitFor();
    const file = await readFile(join(svc.home, 'settings.yaml'), 'utf8');
    assert.match(file, /type: single-tenant/);
    assert.match(file, new RegExp(`clientId: ${DEMO_APPS.singleTenant}`));
    assert.match(file, new RegExp(`tenantId: ${DEMO_TENANT_ID}`));

    // Sign in with Microsoft: the emulator's sign-in page, then back to the service at http://localhost:PORT.
    await page.getByRole('button', { name: 'Sign in with Microsoft' }).click();
    await page.waitForURL((url) => url.origin === emulator.url);
    await signInOnAuthorizePage(page, SENDER);
    await page.waitForURL((url) => url.pathname === '/' && url.hostname === 'localhost' && !url.search.includes('resume'), { timeout: 15_000 });
    await page.locator('#signin-state', { hasText: /^Signed in\.$/ }).waitFor();
    assert.match((await page.locator('#signin dl.facts').textContent()) ?? '', new RegExp(SENDER));

    // The test e-mail, with the result in place.
    await page.getByLabel('To', { exact: true }).fill(RECIPIENT);
    await page.getByRole('button', { name: 'Send test e-mail' }).click();
    await page.locator('#test-result .ok').waitFor({ timeout: 15_000 });
    assert.match((await page.locator('#test-result').textContent()) ?? '', /Microsoft Graph accepted the test e-mail/);
    const inbox = await emulator.call('GET', `/_emulator/mailboxes/${encodeURIComponent(RECIPIENT)}/messages?folder=inbox`);
    assert.equal(inbox.status, 200, inbox.text);
    const message = (inbox.json() as any[]).find((m) => /o365-notify test e-mail/.test(m.subject));
    assert.ok(message, `the test e-mail is in ${RECIPIENT}'s inbox: ${inbox.text.slice(0, 500)}`);
    assert.equal(message.from.address.toLowerCase(), SENDER);

    // Every step of the guide, ticked from what Microsoft answered.
    await page.reload();
    const states = await stepStates(page);
    assert.deepEqual(Object.keys(states), ['registered', 'account-type', 'identifiers', 'redirect-uri', 'public-client-flows', 'mail-send', 'admin-consent', 'signed-in', 'test-email']);
    for (const [step, state] of Object.entries(states)) assert.equal(state, 'done', `${step} is ${state}: ${await page.locator(`[data-step="${step}"]`).textContent()}`);
    assert.match((await page.locator('[data-step="mail-send"] .evidence').textContent()) ?? '', /Mail\.Send/);
    assert.match((await page.locator('#checklist-summary').textContent()) ?? '', /Every step is done/);
    assert.equal(await page.locator('#needs-you').count(), 0, 'nothing needs the administrator');
    await page.locator('#checklist').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'page-checklist.png', scratch);

    // Notifications: recipients, a short wait before the first e-mail, one event type off.
    await page.getByLabel('Recipients', { exact: true }).fill(RECIPIENT);
    await page.getByLabel('Wait before the first e-mail').fill('1s');
    await page.getByRole('checkbox', { name: 'Images in backup-store root' }).uncheck();
    await page.getByRole('button', { name: 'Save notifications' }).click();
    await page.locator('#notifications-form .answer', { hasText: 'Notification settings saved' }).waitFor();
    const saved = await readFile(join(svc.home, 'settings.yaml'), 'utf8');
    assert.match(saved, /group_wait: 1s/);
    assert.match(saved, /imagemanager\.images_in_store_root: false/);
    assert.deepEqual(svc.service.rules.recipients, [RECIPIENT]);

    // ImageManager reports two failures on one agent: one e-mail, listed with its events.
    await svc.service.submit([
      { type: 'imagemanager.verification_failed', severity: 'critical', agent: 'SRV-FS01', folder: 'D:\\Backups\\SRV-FS01', summary: 'D_VOL-b001-i0042.spi could not be verified' },
      { type: 'imagemanager.replication_failed', severity: 'critical', agent: 'SRV-FS01', folder: 'D:\\Backups\\SRV-FS01', summary: 'The replication target did not answer' },
    ]);
    const deadline = Date.now() + 15_000;
    while (!(await svc.service.deliveries({ limit: 10 })).some((d) => d.notification.kind === 'alert' && d.notification.status === 'sent')) {
      assert.ok(Date.now() < deadline, 'the alert e-mail went out');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await page.reload();
    const alertRow = page.locator('tr[data-kind="alert"]').first();
    assert.equal(await alertRow.getAttribute('data-status'), 'sent');
    assert.match((await alertRow.textContent()) ?? '', /Verification failed on SRV-FS01/);
    assert.match((await alertRow.textContent()) ?? '', /Replication failed on SRV-FS01/);
    assert.equal(await page.locator('tr[data-kind="test"]').first().getAttribute('data-status'), 'sent');
    await page.locator('#deliveries').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'page-deliveries.png', scratch);

    // Narrow window: nothing wider than the screen.
    await page.setViewportSize({ width: 380, height: 800 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px at 380px`);
  });

  test('a broken guide step (public client flows off): the device-code sign-in fails and the checklist names the step and its fix', async () => {
    const clientId = DEMO_APPS.multiTenant;
    const broken = await emulator.call('PATCH', `/_emulator/apps/${clientId}`, { allowPublicClientFlows: false });
    assert.equal(broken.status, 200, broken.text);
    try {
      const svc = await freshService();
      const page = await openPage(svc);
      await page.locator('label[for="type-multi-tenant"]').click();
      assert.equal(await page.locator('#tenant-requirement').textContent(), 'optional');
      await page.getByLabel('Client ID').fill(clientId);
      await page.locator('label[for="auth-device-code"]').click();
      await page.getByRole('button', { name: 'Save account settings' }).click();
      await page.locator('#account-form .answer', { hasText: 'Account settings saved' }).waitFor();

      await page.getByRole('button', { name: 'Sign in with Microsoft (code)' }).click();
      // Entra answers the first poll with AADSTS7000218: the page reloads with the outcome.
      await page.locator('[data-step="public-client-flows"][data-state="failed"]').waitFor({ timeout: 15_000 });
      const step = page.locator('[data-step="public-client-flows"]');
      const text = (await step.textContent()) ?? '';
      assert.match(text, /AADSTS7000218/);
      assert.match(text, /Allow public client flows = Yes/);
      assert.match(text, /Authentication > Advanced settings/);
      assert.match((await page.locator('#signin-problem').textContent()) ?? '', /AADSTS7000218/, 'the sign-in section says it too');
      const states = await stepStates(page);
      assert.equal(states['redirect-uri'], 'not-needed', 'device-code sign-in does not use the redirect URI');
      assert.notEqual(states['signed-in'], 'done');
      await step.evaluate((el) => el.scrollIntoView({ block: 'center' }));
      await screenshot(page, 'page-checklist-failure.png', scratch);

      // Fixed in the portal: the device-code panel shows the code, and completes when the person signs in.
      const fixed = await emulator.call('PATCH', `/_emulator/apps/${clientId}`, { allowPublicClientFlows: true });
      assert.equal(fixed.status, 200, fixed.text);
      await page.getByRole('button', { name: 'Sign in with Microsoft (code)' }).click();
      await page.locator('#device-panel:not([hidden])').waitFor();
      const code = ((await page.locator('#device-code').textContent()) ?? '').trim();
      const link = (await page.locator('#device-link').getAttribute('href')) ?? '';
      assert.match(code, /^[A-Z0-9-]{6,}$/);
      assert.equal(link, `${emulator.url}/devicelogin`);
      await page.locator('#signin').evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await screenshot(page, 'page-device-code.png', scratch);

      const phone = await browser.newPage();
      await phone.goto(link);
      await enterDeviceCode(phone, code, SENDER);
      await page.locator('#signin-state', { hasText: /^Signed in\.$/ }).waitFor({ timeout: 15_000 });
      const after = await stepStates(page);
      assert.equal(after['public-client-flows'], 'done');
      assert.equal(after['signed-in'], 'done');
      assert.equal(after['mail-send'], 'done');
    } finally {
      await emulator.call('PATCH', `/_emulator/apps/${clientId}`, { allowPublicClientFlows: true });
    }
  });
});
