/**
 * The settings page and every e-mail at 380 px (a phone) and 1280 px (a laptop), in Chromium
 * (issue 10.5). Before: the silences table's "End now" sat outside the screen inside a sideways
 * scroll, the events table's severity selects were cut to "as abo", and the group e-mail squeezed
 * its Problem column until words broke mid-word ("Manag ed").
 *
 * Checked per width: every control's box inside the viewport, each select wide enough for its
 * chosen text, no short word split across lines, no sideways scrolling. Screenshots go to
 * docs/images/page-<section>-<width>.png (see test/support/browser.ts: written when missing or with UPDATE_SCREENSHOTS=1).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { PREVIEW_NAMES, previewEmail, TemplateSet } from '../../src/notify/index.js';
import { chromiumAvailable, CHROMIUM_PATH, launchBrowser, screenshot, type TestBrowser } from '../support/browser.js';
import { startPageService, type PageService } from './helpers.js';

const skip = chromiumAvailable() ? false : `${CHROMIUM_PATH} is missing; install Debian's chromium (scripts/ensure-system-deps.sh)`;
const WIDTHS = [380, 1280];
const SECTIONS = ['checklist', 'account', 'signin', 'test', 'deliveries', 'relay', 'notifications', 'silences', 'access'];

interface Layout {
  outside: string[];
  truncatedSelects: string[];
  splitWords: string[];
  sideways: number;
}

/** What does not fit, inside `root` (a CSS selector): runs in the page. */
async function layoutProblems(page: Page, root: string): Promise<Layout> {
  // tsx compiles the function below with esbuild's __name() helper, which the page does not have.
  await page.evaluate('window.__name = function (target) { return target; }');
  return page.evaluate((selector) => {
    const scope = document.querySelector(selector) ?? document.body;
    const width = document.documentElement.clientWidth;
    const name = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${(el.textContent ?? (el as HTMLInputElement).value ?? '').trim().slice(0, 40)}"`;
    const outside: string[] = [];
    scope.querySelectorAll('button, select, input, textarea, a, label, td, th').forEach((el) => {
      if (el.closest('.skip')) return;
      const box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) return;
      if (box.left < -0.5 || box.right > width + 0.5) outside.push(`${name(el)} spans ${Math.round(box.left)}..${Math.round(box.right)} of ${width}`);
    });
    const canvas = document.createElement('canvas').getContext('2d')!;
    const truncatedSelects: string[] = [];
    scope.querySelectorAll('select').forEach((select) => {
      const style = getComputedStyle(select);
      canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const text = select.options[select.selectedIndex]?.text ?? '';
      const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 16; // the arrow
      if (canvas.measureText(text).width > room) truncatedSelects.push(`${name(select)}: "${text}" in ${select.clientWidth}px`);
    });
    // A word of letters only that is drawn on two lines was broken mid-word.
    const splitWords: string[] = [];
    const walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? '';
      for (const match of text.matchAll(/[A-Za-z]{3,16}/g)) {
        const before = text[match.index - 1] ?? ' ';
        const after = text[match.index + match[0].length] ?? ' ';
        if (!/[\s(),.:;"'/]/.test(before) || !/[\s(),.:;"'/]/.test(after)) continue;
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (lines.size > 1) splitWords.push(match[0]);
      }
    }
    return { outside, truncatedSelects, splitWords, sideways: document.documentElement.scrollWidth - width };
  }, root);
}

function assertFits(layout: Layout, where: string): void {
  assert.deepEqual(layout.outside, [], `${where}: controls outside the screen`);
  assert.deepEqual(layout.truncatedSelects, [], `${where}: selects too narrow for their text`);
  assert.deepEqual(layout.splitWords, [], `${where}: words broken mid-word`);
  assert.ok(layout.sideways <= 1, `${where}: scrolls sideways by ${layout.sideways}px`);
}

describe('the page and the e-mails at 380 and 1280 px', { skip }, () => {
  let browser: TestBrowser;
  let svc: PageService;
  let home: string;
  let scratch: string;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'o365-narrow-shots-'));
    home = await mkdtemp(join(tmpdir(), 'o365-narrow-'));
    await writeFile(join(home, 'settings.yaml'), 'mail:\n  to: [it-team@contoso.com]\nnotifications:\n  group_wait: 1s\n', { mode: 0o600 });
    svc = await startPageService({ home });
    await svc.service.addSilence({ matchers: { agent: 'SRV-OLD-FILESERVER-01', type: 'imagemanager.inactive_folder' }, endsAt: Date.now() + 86_400_000, comment: 'decommissioned in March', createdBy: 'test' });
    // An alert e-mail in the deliveries table (it waits for a sign-in: nobody signed in).
    await svc.service.submit([{ type: 'imagemanager.verification_failed', severity: 'critical', agent: 'SRV-FS01', folder: 'D:\\Backups\\SRV-FS01', summary: 'D_VOL-b001-i0042.spi could not be verified' }]);
    const deadline = Date.now() + 15_000;
    while ((await svc.service.deliveries({ limit: 1 })).length === 0) {
      assert.ok(Date.now() < deadline, 'the alert e-mail was queued');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await svc?.stop();
    await rm(home, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  for (const width of WIDTHS) {
    test(`every section of the settings page fits ${width} px`, async () => {
      const page = await browser.newPage();
      await page.setViewportSize({ width, height: 900 });
      await page.goto(svc.link());
      await page.locator('#checklist').waitFor();
      assert.equal(await page.locator('tr[data-silence] button', { hasText: 'End now' }).count(), 1, 'the silence is listed');
      for (const id of SECTIONS) {
        assertFits(await layoutProblems(page, `#${id}`), `#${id} at ${width} px`);
        // Commands show as code, never as Markdown backticks (the deliveries' diagnosis had them).
        const ticked = (await page.locator(`#${id}`).innerText()).split('\n').filter((line) => line.includes('`'));
        assert.deepEqual(ticked, [], `#${id} shows literal backticks`);
      }
      // Every section at this width, one image each (a whole-page shot would be megabytes).
      for (const id of SECTIONS) await screenshot(page, `page-${id}-${width}.png`, scratch, { element: `#${id}` });
      await page.close();
    });
  }

  const emails = [...PREVIEW_NAMES, 'imagemanager.verification_failed'];
  for (const width of WIDTHS) {
    test(`every e-mail fits ${width} px`, async () => {
      const page = await browser.newPage();
      await page.setViewportSize({ width, height: 900 });
      for (const name of emails) {
        const email = previewEmail(name, { templates: new TemplateSet(), now: Date.parse('2026-06-01T10:00:00Z'), timeZone: 'UTC' });
        await page.setContent(email.html);
        assertFits(await layoutProblems(page, 'body'), `the ${name} e-mail at ${width} px`);
        if (width === 380 && (name === 'group' || name === 'daily-report')) await screenshot(page, `email-${name}-380.png`, scratch, { fullPage: true });
      }
      await page.close();
    });
  }
});
