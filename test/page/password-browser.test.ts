/**
 * The admin password path in Chromium, as an administrator uses it (issue 10.1): in with the
 * one-time link, set a password on the page, lock the page, refused with a wrong password, in
 * with the right one; and a new link from `o365-notify page link` while the service runs. Before
 * the fix Chromium posted the password form with `Origin: null` (Referrer-Policy: no-referrer)
 * and the origin guard refused every password.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromiumAvailable, CHROMIUM_PATH, launchBrowser, type TestBrowser } from '../support/browser.js';
import { runCli } from '../support/cli.js';
import { startPageService, type PageService } from './helpers.js';

const PASSWORD = 'correct horse battery staple';

const skip = chromiumAvailable() ? false : `${CHROMIUM_PATH} is missing; install Debian's chromium (scripts/ensure-system-deps.sh)`;

describe('the admin password and new sign-in links in a real browser', { skip }, () => {
  let browser: TestBrowser;
  let svc: PageService;

  before(async () => {
    browser = await launchBrowser();
    svc = await startPageService();
  });

  after(async () => {
    await browser?.close();
    await svc?.stop();
  });

  test('link, set a password, lock, wrong password refused, right password lets in', async () => {
    const page = await browser.newPage();
    await page.goto(svc.link());
    await page.locator('#checklist').waitFor();

    await page.locator('#newPassword').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('The admin password is set.').first().waitFor();

    await page.getByRole('button', { name: 'Lock the page' }).click();
    await page.locator('#locked-title').waitFor();

    await page.getByLabel('Admin password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('Wrong password.').waitFor();

    await page.getByLabel('Admin password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#checklist').waitFor();
    assert.match(page.url(), /^http:\/\/localhost:\d+\/$/);
    await page.close();
  });

  test('`o365-notify page link` makes a link the running service accepts once', async () => {
    const run = await runCli(['page', 'link', '--url', svc.url], { home: svc.home, env: svc.env });
    assert.equal(run.code, 1, 'the test service is not a full `serve` (no /healthz), so the command says so');
    const link = run.stdout.match(/http:\/\/localhost:\d+\/\?login=[\w-]+/)?.[0];
    assert.ok(link, run.stdout + run.stderr);
    assert.doesNotMatch(run.stdout, /127\.0\.0\.1/, 'the link uses localhost, the host the sign-in returns to');
    const page = await browser.newPage();
    await page.goto(link);
    await page.locator('#checklist').waitFor();
    const again = await browser.newPage();
    await again.goto(link);
    await again.getByText('This sign-in link was already used or has expired.').waitFor();
    await page.close();
    await again.close();
  });
});
