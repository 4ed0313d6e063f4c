import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { issueGraphAccessToken } from '../../packages/emulator/src/access-token.js';
import { DEMO_APPS } from '../../packages/emulator/src/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { ALERTS, appToken, bearer, delegatedToken, DOMAIN, graphError, IT_TEAM, mail, messagesOf, NO_MAILBOX } from './graph-support.js';

const SHARED = `notifications@${DOMAIN}`;
const DELEGATE = `operator@${DOMAIN}`;
const OTHER_TENANT_USER = 'bob@fabrikam.onmicrosoft.com';

describe('Graph emulator: tokens, permissions and mailboxes', () => {
  let emu: TestEmulator;
  before(async () => {
    emu = await startTestEmulator();
    const directory = emu.context.directory;
    // A shared mailbox, a user holding Send As on it, and a user of another tenant.
    directory.addUser({ upn: SHARED, tenant: DOMAIN, displayName: 'Backup Notifications', mailbox: true });
    directory.addUser({ upn: DELEGATE, tenant: DOMAIN, displayName: 'Operator', mailbox: true, sendAs: [SHARED] });
    directory.addTenant({ displayName: 'Fabrikam', domains: ['fabrikam.onmicrosoft.com'] });
    directory.addUser({ upn: OTHER_TENANT_USER, tenant: 'fabrikam.onmicrosoft.com', mailbox: true });
  });
  after(async () => {
    await emu.stop();
  });
  beforeEach(async () => {
    await emu.call('DELETE', '/_emulator/mailboxes');
    await emu.call('POST', '/_emulator/clock', { reset: true });
  });

  describe('bearer token (401 InvalidAuthenticationToken with WWW-Authenticate)', () => {
    const expect401 = async (headers: Record<string, string>, message: RegExp) => {
      const res = await emu.call('POST', '/v1.0/me/sendMail', mail([IT_TEAM]), headers);
      assert.equal(res.status, 401, res.text);
      assert.equal(graphError(res).code, 'InvalidAuthenticationToken');
      assert.match(graphError(res).message, message);
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm="", authorization_uri="https:\/\/login\.microsoftonline\.com\/common\/oauth2\/authorize"/);
    };

    it('missing', async () => {
      await expect401({}, /^Access token is empty\.$/);
      await expect401({ authorization: 'Bearer ' }, /^Access token is empty\.$/);
    });

    it('not a JWT', async () => {
      await expect401({ authorization: 'Bearer abcdef' }, /^IDX14100: JWT is not well formed/);
    });

    it('expired on the emulator clock', async () => {
      const token = await delegatedToken(emu, ALERTS);
      assert.equal((await emu.call('GET', '/v1.0/me', undefined, bearer(token))).status, 200);
      await emu.call('POST', '/_emulator/clock', { advanceSeconds: 3601 });
      await expect401(bearer(token), /^Lifetime validation failed, the token is expired\.$/);
    });

    it('bad signature', async () => {
      const [header, payload, signature] = (await delegatedToken(emu, ALERTS)).split('.');
      const tampered = `${header}.${payload}.${signature!.slice(0, -6)}${signature!.slice(-6).split('').reverse().join('')}`;
      await expect401(bearer(tampered), /^Access token validation failure\.$/);
      // A payload changed after signing (more scopes) fails the same way.
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      claims.scp = 'Mail.Send Mail.ReadWrite';
      await expect401(bearer(`${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`), /^Access token validation failure\.$/);
    });

    it('issued for another resource', async () => {
      const app = emu.context.directory.requireApp(DEMO_APPS.singleTenant);
      const user = emu.context.directory.findUser(ALERTS)!;
      const { claims } = await issueGraphAccessToken(emu.context, { app, tenantId: user.tenantId, user, scopes: ['Mail.Send'] });
      const foreign = await emu.context.signer.sign({ ...claims, aud: 'api://someone-else' });
      await expect401(bearer(foreign), /^Access token validation failure\. Invalid audience\.$/);
    });
  });

  describe('permissions (403)', () => {
    it('a delegated token without Mail.Send gets ErrorAccessDenied and sends nothing', async () => {
      const res = await emu.call('POST', '/v1.0/me/sendMail', mail([IT_TEAM]), bearer(await delegatedToken(emu, ALERTS, ['User.Read', 'openid'])));
      assert.equal(res.status, 403);
      assert.deepEqual([graphError(res).code, graphError(res).message], ['ErrorAccessDenied', 'Access is denied. Check credentials and try again.']);
      assert.equal((await messagesOf(emu, IT_TEAM)).length, 0);
    });

    it('an app-only token needs Mail.Send in roles', async () => {
      const res = await emu.call('POST', `/v1.0/users/${ALERTS}/sendMail`, mail([IT_TEAM]), bearer(await appToken(emu, ['User.Read.All'])));
      assert.equal(res.status, 403);
      assert.equal(graphError(res).code, 'ErrorAccessDenied');
    });

    it('setting from to a mailbox without Send As gives ErrorSendAsDenied', async () => {
      const res = await emu.call('POST', '/v1.0/me/sendMail', mail([IT_TEAM], { from: { emailAddress: { address: SHARED } } }), bearer(await delegatedToken(emu, ALERTS)));
      assert.equal(res.status, 403);
      assert.equal(graphError(res).code, 'ErrorSendAsDenied');
      assert.match(graphError(res).message, /does not have the right to send mail on behalf of the specified sending account/);
    });

    it('sends as a shared mailbox when the user holds Send As on it', async () => {
      const res = await emu.call('POST', '/v1.0/me/sendMail', mail([IT_TEAM], { from: { emailAddress: { address: SHARED } } }), bearer(await delegatedToken(emu, DELEGATE)));
      assert.equal(res.status, 202, res.text);
      const [received] = await messagesOf(emu, IT_TEAM);
      assert.deepEqual(received.from, { name: 'Backup Notifications', address: SHARED });
      assert.deepEqual(received.sender, received.from, 'Send As leaves no trace of the delegate');
      assert.equal((await messagesOf(emu, DELEGATE, '?folder=sentitems')).length, 1, 'saved in the signed-in user\'s Sent Items');
    });

    it('a delegated token reaches another mailbox only with Send As rights and Mail.Send.Shared', async () => {
      const own = await delegatedToken(emu, ALERTS);
      const foreign = await emu.call('POST', `/v1.0/users/${IT_TEAM}/sendMail`, mail([IT_TEAM]), bearer(own));
      assert.equal(foreign.status, 403);
      assert.equal(graphError(foreign).code, 'ErrorAccessDenied');

      const withoutShared = await emu.call('POST', `/v1.0/users/${SHARED}/sendMail`, mail([IT_TEAM]), bearer(await delegatedToken(emu, DELEGATE)));
      assert.equal(withoutShared.status, 403);

      const shared = await emu.call('POST', `/v1.0/users/${SHARED}/sendMail`, mail([IT_TEAM]), bearer(await delegatedToken(emu, DELEGATE, ['Mail.Send.Shared'])));
      assert.equal(shared.status, 202, shared.text);
      assert.equal((await messagesOf(emu, IT_TEAM))[0].from.address, SHARED);
      assert.equal((await messagesOf(emu, SHARED, '?folder=sentitems')).length, 1, 'saved in the shared mailbox\'s Sent Items');

      const self = await emu.call('POST', `/v1.0/users/${ALERTS}/sendMail`, mail([IT_TEAM]), bearer(own));
      assert.equal(self.status, 202, 'a user may name their own mailbox');
    });
  });

  describe('mailboxes', () => {
    it('a user without an Exchange mailbox gets MailboxNotEnabledForRESTAPI (404), but /me works', async () => {
      const token = await delegatedToken(emu, NO_MAILBOX);
      const res = await emu.call('POST', '/v1.0/me/sendMail', mail([IT_TEAM]), bearer(token));
      assert.equal(res.status, 404);
      assert.deepEqual([graphError(res).code, graphError(res).message], [
        'MailboxNotEnabledForRESTAPI',
        'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
      ]);
      const me = await emu.call('GET', '/v1.0/me', undefined, bearer(token));
      assert.equal(me.status, 200);
      assert.equal(me.json().mail, null);
      const appOnly = await emu.call('POST', `/v1.0/users/${NO_MAILBOX}/sendMail`, mail([IT_TEAM]), bearer(await appToken(emu)));
      assert.equal(graphError(appOnly).code, 'MailboxNotEnabledForRESTAPI');
    });

    it('an unknown user, or one of another tenant, is ErrorInvalidUser (404)', async () => {
      const token = await appToken(emu);
      for (const user of ['ghost@contoso.onmicrosoft.com', OTHER_TENANT_USER]) {
        const res = await emu.call('POST', `/v1.0/users/${user}/sendMail`, mail([IT_TEAM]), bearer(token));
        assert.equal(res.status, 404, user);
        assert.deepEqual([graphError(res).code, graphError(res).message], ['ErrorInvalidUser', `The requested user '${user}' is invalid.`]);
      }
    });
  });
});
