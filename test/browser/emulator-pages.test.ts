/**
 * A real browser (Debian's Chromium through playwright-core) on the emulator's pages, with
 * msal-node on the other side: the authorize page with a loopback redirect (PKCE S256,
 * form_post), the consent screen (Accept and Cancel), the device-login page, and the
 * /_emulator/ mailbox page. TLS stays verified: Chromium pins the emulator's server key.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CryptoProvider, PublicClientApplication, type AuthenticationResult, type DeviceCodeRequest } from '@azure/msal-node';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import {
  approveOnConsentPage,
  cancelOnConsentPage,
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
import { httpsCall, startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { msalNetworkClient } from '../support/msal.js';

const SENDER = `alerts@${DEMO_DOMAIN}`;
const RECIPIENT = `it-team@${DEMO_DOMAIN}`;
const SCOPES = ['Mail.Send'];


/** What the loopback redirect URI received: the form_post fields (or the query). */
type RedirectFields = Record<string, string>;

/**
 * The app's side of the loopback redirect: http://localhost:PORT on 127.0.0.1, accepting
 * response_mode=form_post (POST) and query (GET). Each call to next() waits for one response.
 */
async function startLoopbackListener(): Promise<{ redirectUri: string; next(): Promise<RedirectFields>; close(): Promise<void> }> {
  const waiting: ((fields: RedirectFields) => void)[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const params = req.method === 'POST' ? new URLSearchParams(Buffer.concat(chunks).toString('utf8')) : url.searchParams;
      if (url.pathname === '/favicon.ico') {
        res.writeHead(404).end();
        return;
      }
      const fields = Object.fromEntries(params.entries());
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>Done</title><p id="result">${fields.error ? 'Sign-in failed' : 'Authentication complete'}</p>`);
      waiting.shift()?.(fields);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    redirectUri: `http://localhost:${port}`,
    next: () =>
      new Promise<RedirectFields>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no authorization response reached the loopback listener within 10 s')), 10_000);
        waiting.push((fields) => {
          clearTimeout(timer);
          resolve(fields);
        });
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

const skip = chromiumAvailable() ? false : `${CHROMIUM_PATH} is missing; install Debian's chromium (scripts/ensure-system-deps.sh does it in npm test)`;
if (skip) console.log(`# skipping the browser tests: ${skip}`);

describe('a real browser on the emulator pages', { skip }, () => {
  let emulator: TestEmulator;
  let browser: TestBrowser;
  let loopback: Awaited<ReturnType<typeof startLoopbackListener>>;
  let scratch: string;
  /** Delegated token of SENDER from the authorize-page test, used to send mail in the last one. */
  let senderToken: string | undefined;

  const authority = () => `${emulator.url}/${DEMO_TENANT_ID}`;
  const publicClient = (clientId: string) =>
    new PublicClientApplication({
      auth: { clientId, authority: authority(), knownAuthorities: [new URL(emulator.url).host] },
      system: { networkClient: msalNetworkClient(emulator.caPem) },
    });

  /** getAuthCodeUrl with PKCE S256 and form_post, as a desktop app with a loopback redirect does. */
  async function authorizeUrl(pca: PublicClientApplication, extra: { loginHint?: string } = {}) {
    const pkce = await new CryptoProvider().generatePkceCodes();
    const state = randomUUID();
    const url = await pca.getAuthCodeUrl({
      scopes: SCOPES,
      redirectUri: loopback.redirectUri,
      codeChallenge: pkce.challenge,
      codeChallengeMethod: 'S256',
      responseMode: 'form_post',
      state,
      prompt: 'select_account',
      ...extra,
    });
    return { url, state, verifier: pkce.verifier };
  }

  async function createAppWithoutConsent(): Promise<string> {
    const created = await emulator.call('POST', '/_emulator/apps', {
      displayName: 'Browser test app (no consent yet)',
      tenant: DEMO_DOMAIN,
      signInAudience: 'AzureADMyOrg',
      redirectUris: { mobileAndDesktop: ['http://localhost'] },
      allowPublicClientFlows: true,
      delegatedPermissions: ['Mail.Send'],
    });
    assert.equal(created.status, 201, created.text);
    const clientId = (created.json() as { clientId?: string }).clientId;
    assert.ok(clientId, created.text);
    return clientId;
  }

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'o365-browser-'));
    emulator = await startTestEmulator();
    loopback = await startLoopbackListener();
    browser = await launchBrowser({ trustSpki: [await emulatorSpki(emulatorDataDir(emulator.caPath))] });
    const behaviour = await emulator.call('PUT', '/_emulator/behaviour', { deviceCodeIntervalSeconds: 1 });
    assert.equal(behaviour.status, 200, behaviour.text);
  });

  after(async () => {
    await browser?.close();
    await loopback?.close();
    await emulator?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('Chromium verifies TLS: the emulator is trusted only through its pinned key', async () => {
    const strict = await launchBrowser();
    try {
      const page = await strict.newPage();
      await assert.rejects(page.goto(`${emulator.url}/_emulator/`), /ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await strict.close();
    }
  });

  test('authorize page: pick the account, form_post to the loopback URI, msal-node redeems the code with PKCE', async () => {
    const pca = publicClient(DEMO_APPS.singleTenant);
    const { url, state, verifier } = await authorizeUrl(pca);
    const authorizeParams = new URL(url).searchParams;
    assert.equal(authorizeParams.get('code_challenge_method'), 'S256');
    assert.equal(authorizeParams.get('response_mode'), 'form_post');

    const page = await browser.newPage();
    await page.goto(url);
    await page.locator(`[data-upn="${SENDER}"]`).waitFor();
    assert.ok(await page.locator('input[name="loginfmt"]').isVisible(), 'the page also offers typing an account');
    await screenshot(page, 'emulator-sign-in.png', scratch);

    const response = loopback.next();
    await signInOnAuthorizePage(page, SENDER);
    const fields = await response;
    assert.equal(fields.state, state);
    assert.ok(fields.code, JSON.stringify(fields));
    assert.ok(fields.client_info, 'msal-node asked for client_info');
    await page.locator('#result').waitFor();
    assert.equal(await page.locator('#result').textContent(), 'Authentication complete');

    const result = await pca.acquireTokenByCode(
      { code: fields.code, scopes: SCOPES, redirectUri: loopback.redirectUri, codeVerifier: verifier, state },
      { code: fields.code, state: fields.state, client_info: fields.client_info },
    );
    assert.equal(result.account?.username, SENDER);
    assert.equal(result.tenantId, DEMO_TENANT_ID);
    assert.ok(result.scopes.some((s) => s.toLowerCase() === 'mail.send'), `scopes: ${result.scopes.join(' ')}`);
    const claims = jwtClaims(result.accessToken);
    assert.ok(String(claims.scp).split(' ').includes('Mail.Send'));
    assert.equal(claims.upn, SENDER);
    assert.equal(jwtClaims(result.idToken).aud, DEMO_APPS.singleTenant);
    senderToken = result.accessToken;

    // The same code a second time: Entra refuses a redeemed code (AADSTS54005).
    await assert.rejects(
      pca.acquireTokenByCode({ code: fields.code, scopes: SCOPES, redirectUri: loopback.redirectUri, codeVerifier: verifier }),
      (err: { errorCode?: string; errorMessage?: string }) => err.errorCode === 'invalid_grant' && /AADSTS54005/.test(err.errorMessage ?? ''),
    );
  });

  test('consent screen: shown when the app has no consent; Accept issues a code and records the consent', async () => {
    const clientId = await createAppWithoutConsent();
    const pca = publicClient(clientId);
    const { url, state, verifier } = await authorizeUrl(pca);
    const page = await browser.newPage();
    await page.goto(url);
    await signInOnAuthorizePage(page, SENDER);
    await page.locator('#idSIButton9').waitFor();
    assert.match((await page.locator('h1').first().textContent()) ?? '', /Permissions requested/);
    assert.equal(await page.locator('[data-permission="Mail.Send"]').count(), 1, 'the page lists Mail.Send');
    await screenshot(page, 'emulator-consent.png', scratch);

    const response = loopback.next();
    await approveOnConsentPage(page);
    const fields = await response;
    assert.equal(fields.state, state);
    assert.ok(fields.code, JSON.stringify(fields));
    const result: AuthenticationResult = await pca.acquireTokenByCode(
      { code: fields.code, scopes: SCOPES, redirectUri: loopback.redirectUri, codeVerifier: verifier, state },
      { code: fields.code, state: fields.state, client_info: fields.client_info },
    );
    assert.ok(String(jwtClaims(result.accessToken).scp).split(' ').includes('Mail.Send'));

    const state_ = (await emulator.call('GET', '/_emulator/state')).json() as {
      consents: { clientId: string; userId?: string; delegated: string[] }[];
      users: { id: string; upn: string }[];
    };
    const userId = state_.users.find((u) => u.upn === SENDER)?.id;
    const consent = state_.consents.find((c) => c.clientId === clientId);
    assert.ok(consent, 'Accept recorded a consent');
    assert.equal(consent.userId, userId, 'a user consented for themselves');
    assert.ok(consent.delegated.includes('Mail.Send'));

    // Consent given: the next sign-in of that user goes straight back to the app.
    const again = await authorizeUrl(pca);
    const page2 = await browser.newPage();
    await page2.goto(again.url);
    const second = loopback.next();
    await signInOnAuthorizePage(page2, SENDER);
    assert.ok((await second).code);
  });

  test('consent screen: Cancel returns error=access_denied (AADSTS65004) to the redirect URI, and msal-node reports it', async () => {
    const clientId = await createAppWithoutConsent();
    const pca = publicClient(clientId);
    const { url, state } = await authorizeUrl(pca);
    const page = await browser.newPage();
    await page.goto(url);
    await signInOnAuthorizePage(page, RECIPIENT);
    await page.locator('#idBtn_Back').waitFor();
    const response = loopback.next();
    await cancelOnConsentPage(page);
    const fields = await response;
    assert.equal(fields.error, 'access_denied');
    assert.equal(fields.error_subcode, 'cancel');
    assert.match(fields.error_description ?? '', /^AADSTS65004: User declined to consent to access the app\./);
    assert.equal(fields.state, state);
    assert.equal(fields.code, undefined);

    // msal-node's own interactive flow (its loopback server, form_post) reports the same refusal.
    await assert.rejects(
      pca.acquireTokenInteractive({
        scopes: SCOPES,
        openBrowser: async (authorizeUrl) => {
          const interactive = await browser.newPage();
          await interactive.goto(authorizeUrl);
          await signInOnAuthorizePage(interactive, RECIPIENT);
          await cancelOnConsentPage(interactive);
        },
      }),
      (err: { errorCode?: string; errorMessage?: string }) => err.errorCode === 'access_denied' && /AADSTS65004/.test(err.errorMessage ?? ''),
    );
    const consents = ((await emulator.call('GET', '/_emulator/state')).json() as { consents: { clientId: string }[] }).consents;
    assert.equal(consents.filter((c) => c.clientId === clientId).length, 0, 'Cancel grants nothing');
  });

  test('device-login page: enter the code shown by msal-node, pick the account, msal-node gets the token', async () => {
    const pca = publicClient(DEMO_APPS.singleTenant);
    type DeviceCodeResponse = Parameters<DeviceCodeRequest['deviceCodeCallback']>[0];
    let shown: (r: DeviceCodeResponse) => void = () => undefined;
    const codeShown = new Promise<DeviceCodeResponse>((resolve) => (shown = resolve));
    const token = pca.acquireTokenByDeviceCode({ scopes: SCOPES, deviceCodeCallback: (r) => shown(r), timeout: 30 });
    const device = await codeShown;
    assert.equal(device.verificationUri, `${emulator.url}/devicelogin`);
    assert.ok(device.message.includes(device.userCode));

    const page = await browser.newPage();
    await page.goto(device.verificationUri);
    await page.locator('input[name="otc"]').waitFor();
    await enterDeviceCode(page, device.userCode, SENDER);
    await page.locator('#message').waitFor();
    assert.match((await page.locator('#message').textContent()) ?? '', /You have signed in to the .* application on your device/);

    const result = await token;
    assert.ok(result, 'msal-node resolved the device code');
    assert.equal(result.account?.username, SENDER);
    assert.ok(String(jwtClaims(result.accessToken).scp).split(' ').includes('Mail.Send'));

    // A used code cannot be entered again.
    const page2 = await browser.newPage();
    await page2.goto(device.verificationUri);
    await page2.locator('input[name="otc"]').fill(device.userCode);
    await page2.locator('#idSIButton9').click();
    await page2.locator('.error, [role="alert"]').first().waitFor();
    const stats = ((await emulator.call('GET', '/_emulator/stats')).json() as { tokenGrantsByType: Record<string, number> }).tokenGrantsByType;
    assert.equal(stats.device_code, 1);
  });

  test('mailbox page: shows a message sent with the token, with a <script> subject escaped (no dialog)', async () => {
    assert.ok(senderToken, 'the authorize-page test left a token');
    const subject = `<script>alert("subject")</script> Verification failed <img src=x onerror=alert(2)>`;
    const sent = await httpsCall(`${emulator.url}/v1.0/me/sendMail`, {
      method: 'POST',
      ca: emulator.caPem,
      headers: { authorization: `Bearer ${senderToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        message: {
          subject,
          body: { contentType: 'HTML', content: '<p>Backup <b>failed</b></p><script>alert("body")</script><img src=x onerror=alert(3)>' },
          toRecipients: [{ emailAddress: { address: RECIPIENT } }],
        },
      }),
    });
    assert.equal(sent.status, 202, sent.text);
    // A realistic alert after it, so the README screenshot shows what the product sends.
    const alert = await httpsCall(`${emulator.url}/v1.0/me/sendMail`, {
      method: 'POST',
      ca: emulator.caPem,
      headers: { authorization: `Bearer ${senderToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        message: {
          subject: '[ImageManager] Verification failed: SERVER01 / D_VOL-b001.spi',
          body: {
            contentType: 'HTML',
            content:
              '<h2 style="color:#b00020">Verification failed</h2><p><b>Agent:</b> SERVER01<br><b>Folder:</b> E:\\StorageCraft\\SERVER01<br><b>Image:</b> D_VOL-b001-i0042.spi</p><p>The image could not be verified: the file is damaged. ImageManager will retry at 02:00.</p>',
          },
          toRecipients: [{ emailAddress: { address: RECIPIENT } }],
        },
      }),
    });
    assert.equal(alert.status, 202, alert.text);

    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${emulator.url}/_emulator/?mailbox=${encodeURIComponent(RECIPIENT)}`);
    const heading = page.locator('article h3', { hasText: 'alert("subject")' });
    await heading.waitFor();
    assert.equal(await heading.textContent(), subject, 'the subject is shown as text, exactly');
    assert.equal(await page.locator('script:not([src="/_emulator/mailbox.js"])').count(), 0, 'no script element made it into the page');
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    assert.ok((await page.locator('article').first().textContent())?.includes(SENDER));
    // Give any injected handler (img onerror, iframe script) the chance to run.
    await page.waitForTimeout(300);
    await screenshot(page, 'emulator-mailbox.png', scratch);
    assert.deepEqual(dialogs, []);
  });
});
