/**
 * App-only from the page, against the emulator: the secret is entered (write-only), "Check the
 * app-only sign-in" verifies the client credentials and the Mail.Send application permission, the
 * test e-mail goes out as the configured mailbox, and the checklist skips what app-only does not use.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { seededSecret } from '../support/msal.js';
import { adminSession, call, startPageService, type PageService } from './helpers.js';

const SENDER = `alerts@${DEMO_DOMAIN}`;
const RECIPIENT = `it-team@${DEMO_DOMAIN}`;

describe('app-only from the settings page', () => {
  let emulator: TestEmulator;
  let svc: PageService;
  before(async () => {
    emulator = await startTestEmulator();
    svc = await startPageService({ env: { O365_NOTIFY_EMULATOR: emulator.url, O365_NOTIFY_EMULATOR_CA: emulator.caPath } });
  });
  after(async () => {
    await svc?.stop();
    await emulator?.stop();
  });

  it('saves the secret, checks the app-only sign-in, sends the test e-mail as the mailbox, skips the steps it does not use', async () => {
    const session = await adminSession(svc);
    const host = new URL(svc.link()).host;
    const post = (path: string, body: unknown = {}) =>
      call(`${svc.url}${path}`, {
        method: 'POST',
        headers: { host, origin: session.origin, cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const secret = seededSecret(emulator, DEMO_APPS.appOnly);
    const missingSecret = await post('/ui/api/account', { type: 'single-tenant', clientId: DEMO_APPS.appOnly, tenantId: DEMO_TENANT_ID, auth: 'app-only', sender: SENDER });
    assert.equal(missingSecret.status, 400);
    assert.ok(missingSecret.json().problems.some((p: any) => p.field === 'clientSecret' && /needs a client secret/.test(p.message)), missingSecret.text);

    const saved = await post('/ui/api/account', { type: 'single-tenant', clientId: DEMO_APPS.appOnly, tenantId: DEMO_TENANT_ID, auth: 'app-only', sender: SENDER, secret, secretExpires: '2099-12-31' });
    assert.equal(saved.status, 200, saved.text);
    const checked = await post('/ui/api/signin/app-only');
    assert.equal(checked.status, 200, checked.text);
    assert.match(checked.json().message, /Mail\.Send is granted/);

    const sent = await post('/ui/api/test-email', { to: RECIPIENT });
    assert.equal(sent.status, 200, sent.text);
    assert.equal(sent.json().ok, true, sent.text);
    const inbox = (await emulator.call('GET', `/_emulator/mailboxes/${encodeURIComponent(RECIPIENT)}/messages?folder=inbox`)).json() as any[];
    assert.ok(inbox.some((m) => m.from?.address?.toLowerCase() === SENDER && /test e-mail/.test(m.subject)), JSON.stringify(inbox.map((m) => m.subject)));

    const state = await call(`${svc.url}/ui/api/state`, { headers: { host, cookie: session.cookie } });
    const steps = Object.fromEntries((state.json().checklist as any[]).map((s) => [s.id, s.state]));
    assert.deepEqual(steps, {
      registered: 'done',
      'account-type': 'done',
      identifiers: 'done',
      'redirect-uri': 'not-needed',
      'public-client-flows': 'not-needed',
      'mail-send': 'done',
      'admin-consent': 'done',
      'signed-in': 'done',
      'test-email': 'done',
    });
    for (const answer of [state, await call(`${svc.url}/`, { headers: { host, cookie: session.cookie } })]) {
      assert.ok(!answer.text.includes(secret), 'the secret is never sent back');
    }
  });
});
