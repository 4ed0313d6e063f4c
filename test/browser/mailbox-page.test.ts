/**
 * The emulator's mailbox page as the demo shows it (issue 10.7), in Chromium. Before: every HTML
 * e-mail sat in a 258 px frame with its own scrollbar, and the 5 s meta refresh reloaded the page,
 * closing what was opened and jumping back to the top. Now: the frame is as tall as the e-mail, and
 * a new message is added in place while an opened message stays open and the scroll stays put.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_DOMAIN } from '../../packages/emulator/src/index.js';
import { chromiumAvailable, CHROMIUM_PATH, emulatorDataDir, emulatorSpki, launchBrowser, type TestBrowser } from '../support/browser.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { ALERTS, bearer, delegatedToken, mail } from '../emulator/graph-support.js';

const skip = chromiumAvailable() ? false : `${CHROMIUM_PATH} is missing; install Debian's chromium (scripts/ensure-system-deps.sh)`;
const RECIPIENT = `it-team@${DEMO_DOMAIN}`;

/** An HTML e-mail about 1,500 px tall, as o365-notify's group e-mails are. */
function tallEmail(subject: string) {
  const rows = Array.from({ length: 30 }, (_, i) => `<p style="margin:0 0 30px">Line ${i + 1} of the report.</p>`).join('');
  return mail([RECIPIENT], { subject, body: { contentType: 'HTML', content: `<h2>${subject}</h2>${rows}<p id="last">The end.</p>` } });
}

describe('the emulator mailbox page', { skip }, () => {
  let emulator: TestEmulator;
  let browser: TestBrowser;
  let token: string;

  before(async () => {
    emulator = await startTestEmulator();
    token = await delegatedToken(emulator, ALERTS);
    browser = await launchBrowser({ trustSpki: [await emulatorSpki(emulatorDataDir(emulator.caPath))] });
  });

  after(async () => {
    await browser?.close();
    await emulator?.stop();
  });

  async function send(subject: string): Promise<void> {
    const sent = await emulator.call('POST', '/v1.0/me/sendMail', tallEmail(subject), bearer(token));
    assert.equal(sent.status, 202, sent.text);
  }

  test('each e-mail is shown whole, and a refresh adds new mail without closing or scrolling what is read', async () => {
    await send('First report');
    await send('Second report');
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1000, height: 700 });
    const dialogs: string[] = [];
    page.on('dialog', (d) => void d.dismiss().then(() => dialogs.push(d.message())));
    await page.goto(`${emulator.url}/_emulator/?mailbox=${encodeURIComponent(RECIPIENT)}`);

    const second = page.locator('article.msg', { hasText: 'Second report' });
    const first = page.locator('article.msg', { hasText: 'First report' });
    assert.equal(await second.locator('details').getAttribute('open'), '', 'the newest message is open');
    assert.equal(await first.locator('details').getAttribute('open'), null, 'older ones show their subject only');

    // The frame is as tall as the e-mail: its content has nothing left to scroll.
    const frame = second.locator('iframe.html');
    await page.waitForFunction((el) => {
      const doc = (el as HTMLIFrameElement).contentDocument;
      return !!doc && doc.readyState === 'complete' && el.getBoundingClientRect().height >= doc.documentElement.scrollHeight;
    }, await frame.elementHandle());
    const height = await frame.evaluate((el) => el.getBoundingClientRect().height);
    assert.ok(height > 1000, `the frame shows the whole e-mail (${height}px)`);

    // Open the older one and read down into it.
    await first.locator('summary').click();
    await first.locator('iframe.html').scrollIntoViewIfNeeded();
    await page.mouse.wheel(0, 400);
    await page.waitForFunction(() => window.scrollY > 0);
    // The wheel scrolls smoothly: measure once the scroll has come to rest (unchanged over two frames).
    await page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          let last = -1;
          const step = () => {
            if (window.scrollY === last) return resolve();
            last = window.scrollY;
            requestAnimationFrame(() => requestAnimationFrame(step));
          };
          step();
        }),
    );
    const subjectTop = () => first.locator('h3').evaluate((el) => Math.round(el.getBoundingClientRect().top));
    const before = await subjectTop();
    const navigations: string[] = [];
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations.push(f.url());
    });

    // A new message arrives; the page shows it within its refresh interval.
    await send('Third report');
    await page.locator('article.msg', { hasText: 'Third report' }).waitFor({ timeout: 15_000 });
    assert.deepEqual(navigations, [], 'the page was not reloaded');
    assert.equal(await first.locator('details').getAttribute('open'), '', 'the opened message is still open');
    assert.equal(await subjectTop(), before, 'what is being read did not move');
    assert.equal(await page.locator('article.msg').count(), 3);
    assert.deepEqual(
      await page.locator('article.msg h3').allTextContents(),
      ['Third report', 'Second report', 'First report'].map((s) => s),
      'newest first',
    );
    assert.deepEqual(dialogs, []);
    await page.close();
  });
});
