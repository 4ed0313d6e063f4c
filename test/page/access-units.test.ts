/** The small parts of page access: cookies, escaping, links and sessions with a fake clock. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PageAccess, SESSION_IDLE_MS, SESSION_MAX_MS } from '../../src/server/page/access.js';
import { parseCookies, sessionCookie } from '../../src/server/page/cookies.js';
import { html } from '../../src/server/page/html.js';

describe('page access parts', () => {
  it('parses the Cookie header: first occurrence wins, quotes removed, junk ignored', () => {
    const cookies = parseCookies('a=1; b="two"; a=3; junk; =x; c=');
    assert.equal(cookies.get('a'), '1');
    assert.equal(cookies.get('b'), 'two');
    assert.equal(cookies.get('c'), '');
    assert.equal(cookies.has('junk'), false);
    assert.equal(parseCookies(undefined).size, 0);
    assert.equal(sessionCookie('s', 'v', { maxAge: 60 }), 's=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60');
  });

  it('escapes every interpolated value', () => {
    const evil = `<script>alert("x")</script>' onmouseover='`;
    const out = html`<p title="${evil}">${evil}</p>`.html;
    assert.ok(!out.includes('<script>'));
    assert.ok(!out.includes(`'`.concat(' onmouseover')));
    assert.match(out, /&lt;script&gt;/);
  });

  it('links work once and expire; sessions end when idle or too old; CSRF tokens are per session', async () => {
    let now = Date.UTC(2025, 0, 1);
    const home = await mkdtemp(join(tmpdir(), 'o365-access-'));
    try {
      const access = new PageAccess(home, () => now);
      const token = access.createLinkToken(60_000);
      assert.equal(access.redeemLinkToken(token), true);
      assert.equal(access.redeemLinkToken(token), false, 'spent');
      const late = access.createLinkToken(60_000);
      now += 60_001;
      assert.equal(access.redeemLinkToken(late), false, 'expired');

      const a = access.createSession();
      const b = access.createSession();
      assert.notEqual(access.csrfToken(a), access.csrfToken(b));
      assert.equal(access.checkCsrfToken(a, access.csrfToken(a)), true);
      assert.equal(access.checkCsrfToken(a, access.csrfToken(b)), false);
      assert.equal(access.checkCsrfToken(a, undefined), false);

      now += SESSION_IDLE_MS - 1000;
      assert.equal(access.touchSession(a), true, 'used in time');
      now += SESSION_IDLE_MS - 1000;
      assert.equal(access.touchSession(a), true, 'idle time restarts with each use');
      assert.equal(access.touchSession(b), false, 'b was idle too long');
      now += SESSION_MAX_MS;
      assert.equal(access.touchSession(a), false, 'no session lives forever');
      assert.equal(access.touchSession('made-up'), false);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
