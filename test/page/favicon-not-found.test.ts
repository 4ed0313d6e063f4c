/**
 * Issue 10.8 (small part): the favicon answers instead of a 404, and an unknown path answers
 * Fastify's 404 in the documented { error, message } form, on the real service (startService).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningService } from '../../src/server/index.js';
import { chromiumAvailable, launchBrowser, type TestBrowser } from '../support/browser.js';
import { tempHome } from '../support/cli.js';
import { request, startTestService } from '../server/helpers.js';

describe('favicon and 404 answers (issue 10.8)', () => {
  let svc: RunningService;
  let cleanup: () => Promise<void>;
  before(async () => {
    const temp = await tempHome();
    cleanup = temp.cleanup;
    ({ svc } = await startTestService(temp.home, { withoutPage: false }));
  });
  after(async () => {
    await svc.close();
    await cleanup();
  });

  test('/favicon.ico and the linked /ui/favicon.svg answer an SVG icon, without a session', async () => {
    for (const path of ['/favicon.ico', '/ui/favicon.svg']) {
      const answer = await request(svc.url, 'GET', path);
      assert.equal(answer.status, 200, path);
      assert.match(answer.headers.get('content-type') ?? '', /^image\/svg\+xml/);
      assert.match(answer.text, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.match(answer.headers.get('cache-control') ?? '', /max-age=86400/);
    }
    const page = await request(svc.url, 'GET', '/');
    assert.match(page.text, /<link rel="icon" type="image\/svg\+xml" href="\/ui\/favicon\.svg">/);
  });

  test('an unknown path answers 404 as { error, message }, not Fastify\'s default body', async () => {
    for (const path of ['/nothing-here', '/ui/nothing-here', '/favicon.png?x=1']) {
      const answer = await request(svc.url, 'GET', path);
      assert.equal(answer.status, 404, path);
      assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(Object.keys(answer.json).sort(), ['error', 'message'], `${path}: ${answer.text}`);
      assert.equal(answer.json.error, 'not-found');
      assert.match(answer.json.message, new RegExp(`^Nothing at GET ${path.split('?')[0]!.replace(/[.?]/g, '\\$&')}\\. The settings page is at /`));
    }
    const post = await request(svc.url, 'POST', '/nothing-here', { body: { a: 1 } });
    assert.equal(post.status, 404);
    assert.equal(post.json.error, 'not-found');
    // The API keeps its own guard and answers: the token first (401 in the same form), then its routes.
    const api = await request(svc.url, 'GET', '/api/v1/nothing-here');
    assert.equal(api.status, 401);
    assert.deepEqual(Object.keys(api.json).sort(), ['error', 'message']);
  });

  test('in Chromium the page loads without any 404, and its icon link answers', { skip: !chromiumAvailable() && 'no /usr/bin/chromium' }, async () => {
    let browser: TestBrowser | undefined;
    try {
      browser = await launchBrowser();
      const page = await browser.newPage();
      const missing: string[] = [];
      page.on('response', (response) => {
        if (response.status() === 404) missing.push(response.url());
      });
      await page.goto(`${svc.url.replace('127.0.0.1', 'localhost')}/`);
      const icon = await page.evaluate(async () => {
        const href = (document.querySelector('link[rel="icon"]') as HTMLLinkElement).href;
        const response = await fetch(href);
        return { href, status: response.status, type: response.headers.get('content-type') };
      });
      assert.equal(icon.status, 200, icon.href);
      assert.match(icon.type ?? '', /^image\/svg\+xml/);
      assert.deepEqual(missing, []);
    } finally {
      await browser?.close();
    }
  });
});
