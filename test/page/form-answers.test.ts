/**
 * Every submit on the settings page answers next to the button that was pressed, in the viewport
 * (issue 10.2), in Chromium. Before: a refused silence showed nothing (the server sent
 * `problems: []`, so the client's fallback never ran), a refused account save showed its errors
 * only far above the button, and success messages appeared at the top while the browser stayed
 * scrolled at the button.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { chromiumAvailable, CHROMIUM_PATH, launchBrowser, type TestBrowser } from '../support/browser.js';
import { startPageService, type PageService } from './helpers.js';

const skip = chromiumAvailable() ? false : `${CHROMIUM_PATH} is missing; install Debian's chromium (scripts/ensure-system-deps.sh)`;

/** True when the element's box lies inside the window (what the person sees without scrolling). */
async function inViewport(locator: Locator): Promise<boolean> {
  return locator.evaluate((node) => {
    const box = node.getBoundingClientRect();
    return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight && box.left >= 0 && box.right <= window.innerWidth;
  });
}

/** The answer line next to a form's submit button. */
function answerOf(page: Page, formId: string): Locator {
  return page.locator(`#${formId} .actions .answer`);
}

describe('each form answers next to its button, in view', { skip }, () => {
  let browser: TestBrowser;
  let svc: PageService;
  let page: Page;

  before(async () => {
    browser = await launchBrowser();
    svc = await startPageService();
    page = await browser.newPage();
    await page.goto(svc.link());
    await page.locator('#checklist').waitFor();
  });

  after(async () => {
    await browser?.close();
    await svc?.stop();
  });

  test('a refused silence says why next to "Add silence", on the field at fault', async () => {
    const button = page.getByRole('button', { name: 'Add silence' });
    await button.scrollIntoViewIfNeeded();
    await button.click();
    const answer = answerOf(page, 'silence-form');
    // Nothing filled in: the page's labels, not the CLI's flags.
    await answer.getByText(/^Not added: fill in at least one of Agent, Folder or Event type/).waitFor();
    assert.ok(await inViewport(answer), 'the reason is in view');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'silence-agent', 'focus is on Agent');
    assert.doesNotMatch((await answer.textContent()) ?? '', /type, agent, folder, severity/);

    // An agent but no end.
    await page.locator('#silence-agent').fill('SRV-OLD');
    await button.click();
    await answer.getByText(/^Not added: choose when the silence ends \(Ends at\)\.$/).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'silence-ends', 'focus is on Ends at');
    assert.match((await page.locator('#silence-form [data-field="endsAt"] .msg').textContent()) ?? '', /choose when the silence ends/);
    assert.equal(await page.locator('#silence-form [data-field="agent"] .msg').textContent(), '', 'the earlier problem is gone');
  });

  test('an added silence says so next to the button after the reload, and "End now" answers in its section', async () => {
    await page.locator('#silence-agent').fill('SRV-OLD');
    await page.locator('#silence-ends').fill('2099-01-01T10:00');
    await page.getByRole('button', { name: 'Add silence' }).click();
    const answer = answerOf(page, 'silence-form');
    await answer.getByText('Silence added.').waitFor();
    assert.ok(await inViewport(answer), 'the success message is where the button is');
    assert.equal(await page.locator('#flash').isHidden(), true, 'not at the top of the page');

    await page.getByRole('button', { name: /^End the silence/ }).click();
    const ended = page.locator('#silences > .answer');
    await ended.getByText('Silence ended.').waitFor();
    assert.ok(await inViewport(ended));
    assert.equal(await page.locator('tr[data-silence]').count(), 0);
  });

  test('a refused account save: the reason next to the button, focus and scroll on the first field in error', async () => {
    await page.locator('label[for="type-single-tenant"]').click();
    await page.getByLabel('Client ID').fill('not-a-guid');
    const button = page.getByRole('button', { name: 'Save account settings' });
    await button.scrollIntoViewIfNeeded();
    await button.click();
    const answer = answerOf(page, 'account-form');
    await answer.getByText(/^Not saved/).waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'clientId');
    assert.ok(await inViewport(page.locator('#account-form [data-field="account.clientId"] .msg')), 'the first problem is in view');
    // In the page's words (issue 10.3): the label, not the settings.yaml key.
    assert.match((await page.locator('#account-form [data-field="account.clientId"] .msg').textContent()) ?? '', /^Client ID is not a GUID/);
    assert.doesNotMatch((await page.locator('#account-form').textContent()) ?? '', /account\.clientId|`/);
  });

  test('saved notifications: the message next to "Save notifications", in view', async () => {
    await page.getByLabel('Recipients', { exact: true }).fill('it-team@contoso.com');
    const button = page.getByRole('button', { name: 'Save notifications' });
    await button.scrollIntoViewIfNeeded();
    await button.click();
    const answer = answerOf(page, 'notifications-form');
    await answer.getByText('Notification settings saved.').waitFor();
    assert.ok(await inViewport(answer));
  });
});
