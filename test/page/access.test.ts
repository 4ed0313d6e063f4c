/**
 * Who may use the settings page, over real HTTP: nothing without the session cookie (401 page,
 * 401 JSON), a one-time link that works once, the optional admin password, CSRF and Origin checks
 * on every change (a cross-site POST gets 403), the security headers, and a client secret that
 * never comes back out.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAdminLink } from '../../src/server/page/index.js';
import { runCli } from '../support/cli.js';
import { pageProblems } from '../../src/server/page/page-words.js';
import { adminSession, call, startPageService, type PageService } from './helpers.js';

const CLIENT_ID = '6731de76-14a6-49ae-97bc-6eba6914391e';
const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SECRET = 'Abc8Q~Zyx1Wvu2Tsr3Qpo4Nml5Kji6Hgf7Edc8Bae';

/** Every page API route, with the method it answers. */
const API_ROUTES: [string, string][] = [
  ['GET', '/ui/api/state'],
  ['POST', '/ui/api/check'],
  ['POST', '/ui/api/account'],
  ['POST', '/ui/api/notifications'],
  ['POST', '/ui/api/silences'],
  ['DELETE', '/ui/api/silences/some-id'],
  ['POST', '/ui/api/signin/browser'],
  ['POST', '/ui/api/signin/device-code'],
  ['GET', '/ui/api/signin/status'],
  ['POST', '/ui/api/signin/cancel'],
  ['POST', '/ui/api/signin/app-only'],
  ['POST', '/ui/api/signout'],
  ['POST', '/ui/api/checks'],
  ['POST', '/ui/api/test-email'],
  ['POST', '/ui/api/password'],
  ['POST', '/ui/logout'],
];

describe('settings page access', () => {
  let svc: PageService;
  let host: string;
  before(async () => {
    svc = await startPageService();
    host = new URL(svc.link()).host;
  });
  after(async () => {
    await svc.stop();
  });

  /** A request as the page's own script sends it. */
  async function pageCall(session: { cookie: string; csrf: string; origin: string }, method: string, path: string, body?: unknown, extra: Record<string, string> = {}) {
    return call(`${svc.url}${path}`, {
      method,
      headers: {
        host,
        origin: session.origin,
        cookie: session.cookie,
        'x-csrf-token': session.csrf,
        'sec-fetch-site': 'same-origin',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...extra,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  it('without the session cookie: the page is a 401 page and every API call a 401 JSON answer', async () => {
    const page = await call(`${svc.url}/`, { headers: { host } });
    assert.equal(page.status, 401);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(page.text, /Sign in to the settings page/);
    assert.doesNotMatch(page.text, /csrf-token/, 'no CSRF token without a session');
    for (const [method, path] of API_ROUTES) {
      const answer = await call(`${svc.url}${path}`, {
        method,
        headers: { host, origin: `http://${host}`, 'content-type': 'application/json' },
        body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
      });
      assert.equal(answer.status, 401, `${method} ${path}: ${answer.text}`);
      assert.equal(answer.json().ok, false, `${method} ${path}`);
    }
    // A cookie that names no session is the same as none.
    const forged = await call(`${svc.url}/ui/api/state`, { headers: { host, cookie: `o365-notify-page-${new URL(svc.url).port}=forged` } });
    assert.equal(forged.status, 401);
  });

  it('the sign-in link works once, for a short time, and gives an HttpOnly SameSite=Strict cookie', async () => {
    const link = new URL(svc.link());
    assert.equal(link.hostname, 'localhost', 'the link names localhost, where the browser sign-in returns');
    const first = await call(`${svc.url}/${link.search}`, { headers: { host } });
    assert.equal(first.status, 303);
    assert.equal(first.headers.location, '/', 'the token leaves the address bar');
    const cookie = String(first.headers['set-cookie']);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\//);
    const again = await call(`${svc.url}/${link.search}`, { headers: { host } });
    assert.equal(again.status, 401);
    assert.match(again.text, /already used or has expired/);
    assert.equal(again.headers['set-cookie'], undefined);

    const expired = new URL(createAdminLink(svc.context, { lifetimeMs: 0 }));
    assert.equal((await call(`${svc.url}/${expired.search}`, { headers: { host } })).status, 401);
    const made = await call(`${svc.url}/?login=not-a-token`, { headers: { host } });
    assert.equal(made.status, 401);
  });

  it('with the session: the page, with CSP default-src self, no inline script or style, no framing, no referrer', async () => {
    const session = await adminSession(svc);
    const page = await call(`${svc.url}/`, { headers: { host, cookie: session.cookie } });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    assert.doesNotMatch(String(page.headers['content-security-policy']), /unsafe-inline/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['referrer-policy'], 'same-origin');
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.doesNotMatch(page.text, /<script(?![^>]*\ssrc="\/ui\/page\.js")/, 'the only script is the service\'s own file');
    assert.doesNotMatch(page.text, /\sstyle=|<style|\son[a-z]+=/i, 'no inline styles or event handlers');
    assert.match(page.text, /<script src="\/ui\/page\.js" defer><\/script>/);
    assert.match(page.text, /<link rel="stylesheet" href="\/ui\/page\.css">/);
    const script = await call(`${svc.url}/ui/page.js`, { headers: { host } });
    assert.equal(script.status, 200);
    assert.match(String(script.headers['content-type']), /javascript/);
    assert.match(script.text, /x-csrf-token/);
    const css = await call(`${svc.url}/ui/page.css`, { headers: { host } });
    assert.match(String(css.headers['content-type']), /text\/css/);
    // Locking the page ends the session.
    assert.equal((await pageCall(session, 'POST', '/ui/logout')).status, 200);
    assert.equal((await call(`${svc.url}/`, { headers: { host, cookie: session.cookie } })).status, 401);
  });

  it('a cross-site POST is refused (403), as is one without the CSRF token or with a wrong one', async () => {
    const session = await adminSession(svc);
    const body = { type: 'single-tenant', clientId: CLIENT_ID };
    const ok = await pageCall(session, 'POST', '/ui/api/check', body);
    assert.equal(ok.status, 200, ok.text);

    const crossSite = await pageCall(session, 'POST', '/ui/api/account', body, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    assert.equal(crossSite.status, 403);
    assert.match(crossSite.json().error, /Origin/);
    const noOrigin = await call(`${svc.url}/ui/api/account`, {
      method: 'POST',
      headers: { host, cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(noOrigin.status, 403);
    const fetchMetadata = await pageCall(session, 'POST', '/ui/api/account', body, { 'sec-fetch-site': 'same-site' });
    assert.equal(fetchMetadata.status, 403);
    const noToken = await pageCall(session, 'POST', '/ui/api/account', body, { 'x-csrf-token': '' });
    assert.equal(noToken.status, 403);
    assert.match(noToken.json().error, /CSRF/);
    const otherSession = await adminSession(svc);
    const wrongToken = await pageCall(session, 'POST', '/ui/api/account', body, { 'x-csrf-token': otherSession.csrf });
    assert.equal(wrongToken.status, 403);
    const crossSiteLogin = await call(`${svc.url}/ui/login`, {
      method: 'POST',
      headers: { host, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'password=whatever-it-is',
    });
    assert.equal(crossSiteLogin.status, 403);
    // `Origin: null` (what a browser sends under a strict referrer policy) passes only with
    // Sec-Fetch-Site: same-origin, never cross-site or without Fetch Metadata.
    for (const site of ['cross-site', 'same-site', 'none', undefined]) {
      const nullOrigin = await call(`${svc.url}/ui/login`, {
        method: 'POST',
        headers: { host, origin: 'null', ...(site ? { 'sec-fetch-site': site } : {}), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'password=whatever-it-is',
      });
      assert.equal(nullOrigin.status, 403, `Origin: null with Sec-Fetch-Site ${site}`);
    }
    const nullSameOrigin = await call(`${svc.url}/ui/login`, {
      method: 'POST',
      headers: { host, origin: 'null', 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'password=whatever-it-is',
    });
    assert.notEqual(nullSameOrigin.status, 403, 'a same-origin form post without an origin reaches the password check');
    await assert.rejects(readFile(join(svc.home, 'settings.yaml'), 'utf8'), /ENOENT/, 'nothing refused was saved');
  });

  it('the live check says what `config check` says, and the client secret is write-only', async () => {
    const session = await adminSession(svc);
    const wrong = { type: 'multi-tenant-personal', clientId: CLIENT_ID, tenantId: TENANT_ID, auth: 'browser' };
    const check = await pageCall(session, 'POST', '/ui/api/check', wrong);
    const live = check.json().problems.filter((p: any) => p.field.startsWith('account.'));
    assert.ok(live.some((p: any) => p.field === 'account.tenantId' && /must be blank/.test(p.message)), JSON.stringify(live));
    const refused = await pageCall(session, 'POST', '/ui/api/account', wrong);
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.json().problems.filter((p: any) => p.field.startsWith('account.')), live);

    // The same values written by `setup` (which refuses them too): `config check` lists the same messages.
    const yaml = `account:\n  type: multi-tenant-personal\n  clientId: ${CLIENT_ID}\n  tenantId: ${TENANT_ID}\n  auth: browser\n`;
    await writeFile(join(svc.home, 'settings.yaml'), yaml);
    const cli = await runCli(['--json', 'config', 'check'], { home: svc.home, env: svc.env });
    const fromCli = JSON.parse(cli.stdout).problems.filter((p: any) => p.field.startsWith('account.'));
    // The same checks; the page says them with its own labels (issue 10.3).
    assert.deepEqual(live.map((p: any) => p.message), pageProblems(fromCli).map((p) => p.message));
    assert.ok(live.every((p: any) => !/account\.|`/.test(p.message)), JSON.stringify(live));
    await rm(join(svc.home, 'settings.yaml'));

    const saved = await pageCall(session, 'POST', '/ui/api/account', {
      type: 'single-tenant',
      clientId: CLIENT_ID,
      tenantId: TENANT_ID,
      auth: 'browser',
      secret: SECRET,
      secretExpires: '2030-01-31',
    });
    assert.equal(saved.status, 200, saved.text);
    const file = await readFile(join(svc.home, 'settings.yaml'), 'utf8');
    assert.match(file, /type: single-tenant/);
    assert.match(file, /secretExpires: 2030-01-31/);
    for (const answer of [
      await call(`${svc.url}/`, { headers: { host, cookie: session.cookie } }),
      await pageCall(session, 'GET', '/ui/api/state?fragments=1'),
      await pageCall(session, 'POST', '/ui/api/check', { type: 'single-tenant', clientId: CLIENT_ID, tenantId: TENANT_ID }),
    ]) {
      assert.ok(!answer.text.includes(SECRET), 'the secret never goes back to the browser');
      assert.ok(!answer.text.includes(SECRET.slice(0, 12)), 'not even a part of it');
    }
    assert.ok(!file.includes(SECRET));
    const page = await call(`${svc.url}/`, { headers: { host, cookie: session.cookie } });
    assert.match(page.text, /<span class="secret-state" id="secret-state">Set, expires on 2030-01-31<\/span>/);
    assert.match(page.text, /name="secret"[^>]*type="password"|type="password" id="secret" name="secret"/);
    assert.doesNotMatch(page.text, /name="secret" value=/);

    const cleared = await pageCall(session, 'POST', '/ui/api/account', { type: 'single-tenant', clientId: CLIENT_ID, tenantId: TENANT_ID, auth: 'browser', clearSecret: 'on', secretExpires: '' });
    assert.equal(cleared.status, 200, cleared.text);
    assert.match((await call(`${svc.url}/`, { headers: { host, cookie: session.cookie } })).text, /id="secret-state">Not set</);
  });

  it('an admin password for later visits: scrypt-hashed, checked, and needed to change it', async () => {
    const session = await adminSession(svc);
    const short = await pageCall(session, 'POST', '/ui/api/password', { password: 'short' });
    assert.equal(short.status, 400);
    assert.equal(short.json().problems[0].field, 'password');
    const password = 'correct horse battery staple';
    assert.equal((await pageCall(session, 'POST', '/ui/api/password', { password })).status, 200);
    const stored = await readFile(join(svc.home, 'page-access.json'), 'utf8');
    assert.ok(!stored.includes(password) && !stored.includes('horse'));
    assert.equal(JSON.parse(stored).password.scheme, 'scrypt');

    const locked = await call(`${svc.url}/`, { headers: { host } });
    assert.equal(locked.status, 401);
    assert.match(locked.text, /name="password"/, 'the locked page offers the password form');
    const form = (p: string) =>
      call(`${svc.url}/ui/login`, {
        method: 'POST',
        headers: { host, origin: `http://${host}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ password: p }).toString(),
      });
    const wrong = await form('not the password at all');
    assert.equal(wrong.status, 401);
    assert.match(wrong.text, /Wrong password/);
    const right = await form(password);
    assert.equal(right.status, 303);
    const cookie = String(right.headers['set-cookie']).split(';')[0]!;
    assert.equal((await call(`${svc.url}/`, { headers: { host, cookie } })).status, 200);

    const changeWithoutCurrent = await pageCall(session, 'POST', '/ui/api/password', { password: 'another long password' });
    assert.equal(changeWithoutCurrent.status, 403);
    const removed = await pageCall(session, 'POST', '/ui/api/password', { currentPassword: password, password: '' });
    assert.equal(removed.status, 200, removed.text);
    assert.equal((await form(password)).status, 401, 'no password, no password login');
  });

  it('POST / accepts only the answer of a sign-in this page started (unknown state: 400)', async () => {
    const answer = await call(`${svc.url}/`, {
      method: 'POST',
      headers: { host: 'localhost', origin: 'https://login.microsoftonline.com', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'code=abc&state=not-ours&client_info=x',
    });
    assert.equal(answer.status, 400);
    assert.match(answer.text, /does not belong to a sign-in started on this page/);
  });

  it('notifications are saved to the settings file the CLI reads, keeping what the form does not show', async () => {
    const session = await adminSession(svc);
    await writeFile(
      join(svc.home, 'settings.yaml'),
      [
        '# my comment',
        'mail:',
        '  to: [ops@contoso.com]',
        'notifications:',
        '  groupWait: 10s',
        '  events:',
        '    custom.nightly_sync: { min_severity: critical }',
        '  rules:',
        '    - name: london',
        '      match: { agent: "LON-*" }',
        '      recipients: [london-it@contoso.com]',
        '',
      ].join('\n'),
    );
    const bad = await pageCall(session, 'POST', '/ui/api/notifications', { recipients: 'ops@contoso.com', groupWait: 'soon', groupBy: ['agent'] });
    assert.equal(bad.status, 400);
    assert.ok(bad.json().problems.some((p: any) => p.field === 'notifications.group_wait'), bad.text);

    const saved = await pageCall(session, 'POST', '/ui/api/notifications', {
      recipients: 'ops@contoso.com, backup-admins@contoso.com',
      minSeverity: 'warning',
      groupBy: ['agent', 'folder'],
      groupWait: '1m',
      groupInterval: '10m',
      repeatInterval: '6h',
      'event.imagemanager.verification_failed.enabled': 'on',
      'event.imagemanager.verification_failed.minSeverity': 'critical',
      dailyReportEnabled: 'on',
      dailyReportTime: '07:30',
      dailyReportTimeZone: 'Europe/London',
    });
    assert.equal(saved.status, 200, saved.text);
    const file = await readFile(join(svc.home, 'settings.yaml'), 'utf8');
    assert.match(file, /# my comment/);
    assert.match(file, /london-it@contoso\.com/, 'routing rules are kept');
    assert.match(file, /custom\.nightly_sync/, 'custom event types are kept');
    assert.doesNotMatch(file, /groupWait/, 'one spelling per key');
    assert.match(file, /group_wait: 1m/);
    assert.match(file, /imagemanager\.inactive_folder: false/, 'unticked events are switched off');
    const rules = svc.service.rules;
    assert.deepEqual(rules.recipients, ['ops@contoso.com', 'backup-admins@contoso.com'], 'the service reloaded its rules');
    assert.equal(rules.defaultRoute.groupWaitMs, 60_000);
    assert.deepEqual(rules.defaultRoute.groupBy, ['agent', 'folder']);
    assert.equal(rules.events['imagemanager.verification_failed']?.minSeverity, 'critical');
    assert.equal(rules.events['imagemanager.inactive_folder']?.enabled, false);
    assert.equal(rules.dailyReport.time, '07:30');
    assert.equal(rules.dailyReport.timeZone, 'Europe/London');
    assert.equal(rules.routes[0]?.name, 'london');
    const cli = await runCli(['--json', 'config', 'check'], { home: svc.home, env: svc.env });
    assert.ok(!JSON.parse(cli.stdout).problems.some((p: any) => p.field.startsWith('mail.')), cli.stdout);
  });

  it('silences are added and ended through the service', async () => {
    const session = await adminSession(svc);
    const none = await pageCall(session, 'POST', '/ui/api/silences', { endsAt: new Date(Date.now() + 3_600_000).toISOString() });
    assert.equal(none.status, 400, 'a silence of everything is refused');
    const added = await pageCall(session, 'POST', '/ui/api/silences', { agent: 'SRV-OLD', endsAt: new Date(Date.now() + 3_600_000).toISOString(), comment: 'decommissioning' });
    assert.equal(added.status, 200, added.text);
    const silence = (await svc.service.listSilences()).store.find((s) => s.matchers.agent === 'SRV-OLD');
    assert.ok(silence);
    assert.match((await call(`${svc.url}/`, { headers: { host, cookie: session.cookie } })).text, /decommissioning/);
    assert.equal((await pageCall(session, 'DELETE', `/ui/api/silences/${silence.id}`)).status, 200);
    assert.equal((await pageCall(session, 'DELETE', `/ui/api/silences/${silence.id}`)).status, 404);
  });
});
