import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DEMO_APPS } from '../../packages/emulator/src/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { ADMIN, ALERTS, appToken, bearer, delegatedToken, graphError, IT_TEAM, mail, messagesOf, NO_MAILBOX, to } from './graph-support.js';

describe('Graph emulator: GET /me and sendMail', () => {
  let emu: TestEmulator;
  let alertsToken: string;
  before(async () => {
    emu = await startTestEmulator();
    alertsToken = await delegatedToken(emu, ALERTS);
  });
  after(async () => {
    await emu.stop();
  });
  beforeEach(async () => {
    assert.equal((await emu.call('DELETE', '/_emulator/mailboxes')).status, 204);
  });

  it('answers GET /me with the signed-in user, and Graph ids on the response', async () => {
    const res = await emu.call('GET', '/v1.0/me', undefined, bearer(alertsToken, { 'client-request-id': 'my-trace-1' }));
    assert.equal(res.status, 200);
    const me = res.json();
    assert.equal(me.userPrincipalName, ALERTS);
    assert.equal(me.mail, ALERTS);
    assert.equal(me.displayName, 'ImageManager Alerts');
    assert.equal(me.id, emu.context.directory.findUser(ALERTS)!.id);
    assert.match(me['@odata.context'], /\/v1\.0\/\$metadata#users\/\$entity$/);
    assert.match(String(res.headers['request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(res.headers['client-request-id'], 'my-trace-1');
  });

  it('refuses /me for an app-only token and for a token without a User.* permission', async () => {
    const appOnly = await emu.call('GET', '/v1.0/me', undefined, bearer(await appToken(emu)));
    assert.equal(appOnly.status, 400);
    assert.deepEqual([graphError(appOnly).code, graphError(appOnly).message], ['BadRequest', '/me request is only valid with delegated authentication flow.']);
    const mailOnly = await emu.call('GET', '/v1.0/me', undefined, bearer(await delegatedToken(emu, ALERTS, ['Mail.Send', 'openid', 'profile'])));
    assert.equal(mailOnly.status, 403);
    assert.equal(graphError(mailOnly).code, 'Authorization_RequestDenied');
  });

  it('delivers a delegated sendMail to the recipient and to Sent Items, answering 202 with no body', async () => {
    const res = await emu.call(
      'POST',
      '/v1.0/me/sendMail',
      mail([IT_TEAM], {
        importance: 'High',
        ccRecipients: to('auditor@example.org'),
        bccRecipients: to(ADMIN),
        replyTo: to('helpdesk@example.org'),
        internetMessageHeaders: [{ name: 'x-o365-notify-id', value: 'evt-42' }],
      }),
      bearer(alertsToken),
    );
    assert.equal(res.status, 202);
    assert.equal(res.text, '');
    assert.ok(res.headers['request-id']);

    const [inbox] = await messagesOf(emu, IT_TEAM);
    assert.equal(inbox.folder, 'inbox');
    assert.equal(inbox.subject, 'Backup verification failed');
    assert.deepEqual(inbox.from, { name: 'ImageManager Alerts', address: ALERTS });
    assert.deepEqual(inbox.sender, inbox.from);
    assert.deepEqual(inbox.body, { contentType: 'text', content: 'Image chain C:\\backups\\srv01 failed verification.' });
    assert.equal(inbox.importance, 'high');
    assert.deepEqual(inbox.bccRecipients, [], 'Bcc is not visible to recipients');
    assert.deepEqual(inbox.replyTo, [{ name: null, address: 'helpdesk@example.org' }]);
    assert.deepEqual(inbox.internetMessageHeaders, [{ name: 'x-o365-notify-id', value: 'evt-42' }]);
    assert.equal(inbox.appId, DEMO_APPS.singleTenant);
    assert.ok(Date.parse(inbox.receivedDateTime) > 0);

    assert.equal((await messagesOf(emu, ADMIN)).length, 1, 'the Bcc recipient receives a copy');
    const external = await messagesOf(emu, 'auditor@example.org');
    assert.equal(external.length, 1, 'outside addresses land in an external mailbox');
    assert.equal(external[0].internetMessageId, inbox.internetMessageId);

    const sent = await messagesOf(emu, ALERTS, '?folder=sentitems');
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0].bccRecipients, [{ name: null, address: ADMIN }], 'the sender keeps the Bcc list');
    assert.equal(emu.context.stats.messagesDelivered >= 1, true);
  });

  it('sends app-only through /users/{upn}/sendMail, and skips Sent Items when asked', async () => {
    const res = await emu.call('POST', `/v1.0/users/${ALERTS}/sendMail`, { ...mail([IT_TEAM]), saveToSentItems: false }, bearer(await appToken(emu)));
    assert.equal(res.status, 202, res.text);
    const [received] = await messagesOf(emu, IT_TEAM);
    assert.equal(received.from.address, ALERTS);
    assert.equal(received.appId, DEMO_APPS.appOnly);
    assert.equal((await messagesOf(emu, ALERTS, '?folder=sentitems')).length, 0);
  });

  it('accepts the user object id and path segments in any case, as Graph does', async () => {
    const id = emu.context.directory.findUser(ALERTS)!.id;
    const res = await emu.call('POST', `/v1.0/users/${id}/sendmail`, mail([IT_TEAM]), bearer(await appToken(emu)));
    assert.equal(res.status, 202, res.text);
    assert.equal((await messagesOf(emu, IT_TEAM)).length, 1);
  });

  it('keeps an HTML body as HTML', async () => {
    const html = '<p>Consolidation <b>failed</b></p>';
    await emu.call('POST', '/v1.0/me/sendMail', mail([IT_TEAM], { body: { contentType: 'html', content: html } }), bearer(alertsToken));
    const [m] = await messagesOf(emu, IT_TEAM);
    assert.deepEqual(m.body, { contentType: 'html', content: html });
  });

  it('rejects messages without recipients or with an unresolvable address (ErrorInvalidRecipients)', async () => {
    const none = await emu.call('POST', '/v1.0/me/sendMail', mail([]), bearer(alertsToken));
    assert.equal(none.status, 400);
    assert.equal(graphError(none).code, 'ErrorInvalidRecipients');
    assert.match(graphError(none).message, /no recipients/);
    for (const bad of ['not-an-address', 'a@b', 'Bob <bob@example.org>', 'two@@example.org', 'sp ace@example.org']) {
      const res = await emu.call('POST', '/v1.0/me/sendMail', mail([IT_TEAM, bad]), bearer(alertsToken));
      assert.equal(res.status, 400, bad);
      assert.equal(graphError(res).code, 'ErrorInvalidRecipients', bad);
      assert.ok(graphError(res).message.includes(bad), bad);
    }
    assert.equal((await messagesOf(emu, IT_TEAM)).length, 0, 'nothing was delivered');
  });

  it('accepts custom x- headers only, with Graph\'s error for any other name', async () => {
    const res = await emu.call(
      'POST',
      '/v1.0/me/sendMail',
      mail([IT_TEAM], { internetMessageHeaders: [{ name: 'In-Reply-To', value: '<a@b>' }] }),
      bearer(alertsToken),
    );
    assert.equal(res.status, 400);
    assert.deepEqual(graphError(res), {
      ...graphError(res),
      code: 'InvalidInternetMessageHeader',
      message: "The internet message header name 'In-Reply-To' should start with 'x-' or 'X-'.",
    });
    const injected = await emu.call(
      'POST',
      '/v1.0/me/sendMail',
      mail([IT_TEAM], { internetMessageHeaders: [{ name: 'X-Evil', value: 'a\r\nBcc: victim@example.org' }] }),
      bearer(alertsToken),
    );
    assert.equal(injected.status, 400);
    assert.equal(graphError(injected).code, 'InvalidInternetMessageHeader');
  });

  it('answers malformed or empty JSON and unknown properties in Graph\'s envelope, not Fastify\'s', async () => {
    const malformed = await emu.call('POST', '/v1.0/me/sendMail', '{"message": {', { ...bearer(alertsToken), 'content-type': 'application/json' });
    assert.equal(malformed.status, 400);
    assert.equal(graphError(malformed).code, 'BadRequest');
    assert.match(graphError(malformed).message, /Unable to read JSON request payload/);
    assert.equal(malformed.json().statusCode, undefined, 'no Fastify error shape');

    const empty = await emu.call('POST', '/v1.0/me/sendMail', '', { ...bearer(alertsToken), 'content-type': 'application/json' });
    assert.equal(empty.status, 400);
    assert.equal(graphError(empty).message, 'Empty Payload. JSON content expected.');

    const unknown = await emu.call('POST', '/v1.0/me/sendMail', mail([IT_TEAM], { subjekt: 'typo' }), bearer(alertsToken));
    assert.equal(unknown.status, 400);
    assert.equal(graphError(unknown).code, 'RequestBodyRead');
    assert.match(graphError(unknown).message, /The property 'subjekt' does not exist/);

    const badType = await emu.call('POST', '/v1.0/me/sendMail', mail([IT_TEAM], { body: { contentType: 'markdown', content: 'x' } }), bearer(alertsToken));
    assert.equal(badType.status, 400);
    assert.equal(graphError(badType).code, 'RequestBodyRead');
  });

  it('says an action needs POST, and names an unknown segment', async () => {
    const get = await emu.call('GET', '/v1.0/me/sendMail', undefined, bearer(alertsToken));
    assert.equal(get.status, 400);
    assert.match(graphError(get).message, /refers to an action, the only supported HTTP method is POST/);
    const unknown = await emu.call('GET', '/v1.0/me/mailboxSettingz', undefined, bearer(alertsToken));
    assert.equal(unknown.status, 400);
    assert.equal(graphError(unknown).message, "Resource not found for the segment 'mailboxSettingz'.");
  });

  it('bounces mail to a directory user without a mailbox back to the sender (non-delivery report)', async () => {
    const res = await emu.call('POST', '/v1.0/me/sendMail', mail([NO_MAILBOX, IT_TEAM]), bearer(alertsToken));
    assert.equal(res.status, 202);
    assert.equal((await messagesOf(emu, IT_TEAM)).length, 1);
    const [ndr] = await messagesOf(emu, ALERTS, '?folder=inbox');
    assert.match(ndr.subject, /^Undeliverable: /);
    assert.match(ndr.body.content, /nomailbox@contoso\.onmicrosoft\.com[\s\S]*5\.1\.10/);
  });
});
