import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CryptoProvider } from '@azure/msal-node';
import { openAuthSession, SignInError } from '../../src/auth/index.js';
import { completeBrowserSignIn, createBrowserSignInRequest } from '../../src/auth/sign-in.js';
import { diagnose } from '../../src/diagnose/index.js';
import { DEMO_APPS, DEMO_DOMAIN } from '../../packages/emulator/src/index.js';
import { runCli, tempHome, testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { aadstsOnPage, openPage, publicClient, signIn } from '../support/msal.js';

/**
 * Issue 13.6: account-type mismatches as Entra answers them now. A personal-only app on /common gets
 * `invalid_request` with the "userAudience" text and no AADSTS code, on the redirect after the
 * account step; a personal account on an organizations-only app through /common gets AADSTS500200.
 * Both reach the account-type guide step in the product's diagnosis.
 */

const PERSONAL = 'alex@outlook.com';
const REDIRECT = 'http://localhost:53124';
const USER_AUDIENCE =
  "The request is not valid for the application's 'userAudience' configuration. In order to use /common/ endpoint, the application must not be configured with 'Consumer' as the user audience. The userAudience should be configured with 'All' to use /common/ endpoint.";

describe('account-type mismatches as they come back now (issue 13.6)', () => {
  let emu: TestEmulator;
  let personalOnly: string;
  const cleanups: (() => Promise<void>)[] = [];
  before(async () => {
    emu = await startTestEmulator();
    const res = await emu.call('POST', '/_emulator/apps', {
      displayName: `ImageManager ${randomUUID().slice(0, 8)}`,
      tenant: DEMO_DOMAIN,
      signInAudience: 'PersonalMicrosoftAccount',
      redirectUris: { mobileAndDesktop: ['http://localhost'] },
      allowPublicClientFlows: true,
      delegatedPermissions: ['Mail.Send'],
    });
    assert.equal(res.status, 201, res.text);
    personalOnly = res.json().clientId;
  });
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
    await emu.stop();
  });

  async function authCodeUrl(tenant: string, clientId: string): Promise<string> {
    const pkce = await new CryptoProvider().generatePkceCodes();
    return publicClient(emu, tenant, clientId).app.getAuthCodeUrl({ scopes: ['Mail.Send'], redirectUri: REDIRECT, codeChallenge: pkce.challenge, codeChallengeMethod: 'S256', state: 'st' });
  }

  it('emulator: a personal-only app on /common shows the sign-in page, then sends invalid_request with the userAudience text and no AADSTS code to the redirect URI', async () => {
    const url = await authCodeUrl('common', personalOnly);
    const first = await openPage(emu, url);
    assert.equal(first.kind, 'page');
    assert.match(first.kind === 'page' ? first.html : '', /name="loginfmt"/, 'the authorize page still renders');
    const step = await signIn(emu, url, PERSONAL, { typed: true });
    assert.equal(step.kind, 'redirect');
    if (step.kind !== 'redirect') return;
    assert.equal(step.location.port, '53124');
    assert.equal(step.fields.error, 'invalid_request');
    assert.equal(step.fields.error_description, USER_AUDIENCE);
    assert.equal(step.fields.state, 'st');
    assert.doesNotMatch(JSON.stringify(step.fields), /AADSTS/);
    assert.equal(step.fields.error_codes, undefined);
  });

  it('emulator: the same app on /organizations and the device-code endpoint of /common keep AADSTS9002331', async () => {
    const page = await openPage(emu, await authCodeUrl('organizations', personalOnly));
    assert.equal(page.kind === 'page' && aadstsOnPage(page.html), 9002331);
    const res = await emu.call('POST', '/common/oauth2/v2.0/devicecode', `client_id=${personalOnly}&scope=Mail.Send`, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(res.status, 400);
    assert.match(res.json().error_description, /^AADSTS9002331: /);
  });

  it('emulator: a personal account on an organizations-only app through /common: AADSTS500200 on the error page', async () => {
    const step = await signIn(emu, await authCodeUrl('common', DEMO_APPS.multiTenant), PERSONAL, { typed: true });
    assert.equal(step.kind, 'page');
    if (step.kind !== 'page') return;
    assert.equal(aadstsOnPage(step.html), 500200);
  });

  it('product: the userAudience answer fails the browser sign-in with the account-type step, shown by status', async () => {
    const { home, cleanup } = await tempHome();
    cleanups.push(cleanup);
    const setup = await runCli(
      ['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, '--account-type', 'multi-tenant-personal', '--client-id', personalOnly, '--auth', 'browser'],
      { home },
    );
    assert.equal(setup.code, 0, setup.stderr);
    const session = await openAuthSession({ home, env: testEnv(home) });
    const request = await createBrowserSignInRequest(session, REDIRECT);
    assert.match(request.url, /\/common\/oauth2\/v2\.0\/authorize/);
    const step = await signIn(emu, request.url, PERSONAL, { typed: true });
    assert.equal(step.kind, 'redirect');
    if (step.kind !== 'redirect') return;
    const err = await completeBrowserSignIn(session, request, { state: step.fields.state, error: step.fields.error, errorDescription: step.fields.error_description }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof SignInError, String(err));
    assert.equal(err.diagnosis?.guideStep, 'account-type');
    assert.match(err.diagnosis!.fix, /Accounts in any organizational directory and personal Microsoft accounts/);
    const status = await runCli(['--json', 'status'], { home });
    assert.equal(JSON.parse(status.stdout).problem?.diagnosis?.guideStep, 'account-type', status.stdout);
  });

  it('product: AADSTS500200 as Entra words it is diagnosed under the account-type step', () => {
    const d = diagnose({
      error: 'invalid_request',
      error_description: `AADSTS500200: User account '${PERSONAL}' is a personal Microsoft account. Personal Microsoft accounts are not supported for this application unless explicitly invited to an organization. Try signing out and signing back in with an organizational account.`,
    });
    assert.equal(d?.code, 'AADSTS500200');
    assert.equal(d?.known, true);
    assert.equal(d?.guideStep, 'account-type');
    assert.match(d!.fix, /work or school account/);
  });
});
