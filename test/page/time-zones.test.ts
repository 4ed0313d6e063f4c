/**
 * Time zones on the page (issue 10.8): the daily report's time zone is the zone of every time on
 * the page and in the e-mails, and the page now says so; a silence's "Ends at" is typed in the
 * browser's time, and its label names that zone. Chromium in Asia/Tokyo against a service whose
 * report zone is America/New_York: the silence typed as 10:00 Tokyo time is listed as 20:00 the
 * day before in New York, with the zone shown.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatTime, PREVIEW_NAMES, previewEmail, TemplateSet } from '../../src/notify/index.js';
import { chromiumAvailable, CHROMIUM_PATH, launchBrowser, type TestBrowser } from '../support/browser.js';
import { startPageService, type PageService } from './helpers.js';

const skip = chromiumAvailable() ? false : `${CHROMIUM_PATH} is missing; install Debian's chromium (scripts/ensure-system-deps.sh)`;

describe('time zones in the e-mails', () => {
  test('with the report zone set, every e-mail says its times are in it; with the server zone, no note', () => {
    for (const name of [...PREVIEW_NAMES, 'imagemanager.verification_failed']) {
      const zoned = previewEmail(name, { templates: new TemplateSet(), now: Date.parse('2026-06-01T10:00:00Z'), timeZone: 'America/New_York' });
      if (name !== 'test') {
        assert.match(zoned.html, /Times are in America\/New_York\./, `${name} (HTML)`);
        assert.match(zoned.text, /Times are in America\/New_York\./, `${name} (text)`);
      }
      const plain = previewEmail(name, { templates: new TemplateSet(), now: Date.parse('2026-06-01T10:00:00Z') });
      assert.doesNotMatch(plain.html + plain.text, /Times are in/, name);
    }
  });
});

describe('time zones on the settings page', { skip }, () => {
  let browser: TestBrowser;
  let svc: PageService;
  let home: string;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'o365-tz-'));
    await writeFile(join(home, 'settings.yaml'), 'notifications:\n  daily_report:\n    timezone: America/New_York\n', { mode: 0o600 });
    svc = await startPageService({ home });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await svc?.stop();
    await rm(home, { recursive: true, force: true });
  });

  test("the page names the zone of its times, and the silence form the browser's", async () => {
    const context = await browser.browser.newContext({ timezoneId: 'Asia/Tokyo', viewport: { width: 1000, height: 800 } });
    try {
      const page = await context.newPage();
      await page.goto(svc.link());
      await page.locator('#checklist').waitFor();
      assert.match((await page.locator('#time-zone-note').textContent()) ?? '', /Times on this page and in the e-mails are in America\/New_York/);
      assert.match((await page.locator('#tz-help').textContent()) ?? '', /every time on this page and in the e-mails/);
      assert.equal(await page.locator('#browser-zone').textContent(), "(your browser's time, Asia/Tokyo)");

      await page.locator('#silence-agent').fill('SRV-OLD');
      await page.locator('#silence-ends').fill('2099-01-01T10:00');
      await page.getByRole('button', { name: 'Add silence' }).click();
      await page.locator('#silence-form .answer', { hasText: 'Silence added.' }).waitFor();
      const ends = (await page.locator('tr[data-silence] td[data-label="Ends"]').textContent()) ?? '';
      // 10:00 in Tokyo (UTC+9) is 01:00 UTC, 20:00 the day before in New York.
      assert.equal(ends, formatTime(Date.parse('2099-01-01T01:00:00Z'), 'America/New_York'));
      assert.match(ends, /^2098-12-31 20:00 \S+/, 'with its zone');
    } finally {
      await context.close();
    }
  });
});
