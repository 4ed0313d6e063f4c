import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { ADMIN, ALERTS, appToken, bearer, delegatedToken, graphError, IT_TEAM, messagesOf } from './graph-support.js';

/**
 * Graph's MIME forms (https://learn.microsoft.com/en-us/graph/outlook-send-mime-message,
 * user-sendmail example 4, user-post-messages "JSON or MIME format"): Content-Type text/plain, the
 * body the base64 of an RFC 5322 message; and the control API's "who received this message".
 */

function mimeMessage(headers: Record<string, string>, body = 'Image chain failed verification.\r\n'): string {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return [...lines, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body].join('\r\n');
}

function withAttachment(headers: Record<string, string>): string {
  const boundary = 'b1_emulator_test';
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return [
    ...lines,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    'See the attached log.',
    `--${boundary}`,
    'Content-Type: text/plain; name="verify.log"',
    'Content-Disposition: attachment; filename="verify.log"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('line 1\nline 2\n').toString('base64'),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('Graph emulator: MIME sendMail, MIME drafts and the recipients lookup', () => {
  let emu: TestEmulator;
  let alertsToken: string;
  before(async () => {
    emu = await startTestEmulator();
    alertsToken = await delegatedToken(emu, ALERTS, ['Mail.Send', 'Mail.ReadWrite', 'User.Read']);
  });
  after(async () => {
    await emu.stop();
  });
  beforeEach(async () => {
    assert.equal((await emu.call('DELETE', '/_emulator/mailboxes')).status, 204);
  });

  const sendMime = (path: string, text: string, token = alertsToken) =>
    emu.call('POST', path, text, bearer(token, { 'content-type': 'text/plain' }));

  it('delivers a MIME sendMail to To, Cc and Bcc, keeps its Message-ID, and the lookup names every mailbox', async () => {
    const mime = mimeMessage({
      From: `ImageManager Alerts <${ALERTS}>`,
      To: IT_TEAM,
      Cc: 'auditor@example.org',
      Bcc: ADMIN,
      Subject: 'Backup failed',
      'Message-ID': '<relay-1@imagemanager.local>',
      'X-O365-Notify-Id': 'n-123',
    });
    const res = await sendMime('/v1.0/me/sendMail', b64(mime));
    assert.equal(res.status, 202, res.text);
    assert.equal(res.text, '');

    const byId = (await emu.call('GET', '/_emulator/messages?internetMessageId=' + encodeURIComponent('<relay-1@imagemanager.local>'))).json();
    assert.deepEqual(byId.receivedBy.sort(), [ADMIN, 'auditor@example.org', IT_TEAM].sort());
    assert.deepEqual(byId.sentBy, [ALERTS]);
    const byNotify = (await emu.call('GET', '/_emulator/messages?notifyId=n-123')).json();
    assert.equal(byNotify.count, 4);
    // Bcc: only on the sender's Sent Items copy, never on a recipient's.
    for (const copy of byNotify.copies) {
      assert.deepEqual(copy.bccRecipients.map((r: { address: string }) => r.address), copy.folder === 'sentitems' ? [ADMIN] : []);
      assert.ok(copy.internetMessageHeaders.some((h: { name: string; value: string }) => h.name.toLowerCase() === 'x-o365-notify-id' && h.value === 'n-123'));
    }
    const nobody = (await emu.call('GET', '/_emulator/messages?notifyId=n-999')).json();
    assert.deepEqual([nobody.count, nobody.receivedBy], [0, []]);
    assert.equal((await emu.call('GET', '/_emulator/messages')).status, 400);
  });

  it('sends MIME as the app through /users/{upn}/sendMail, attachments included', async () => {
    const mime = withAttachment({ From: ALERTS, To: IT_TEAM, Subject: 'With log', 'Message-ID': '<relay-2@imagemanager.local>' });
    const res = await sendMime(`/v1.0/users/${ALERTS}/sendMail`, b64(mime), await appToken(emu));
    assert.equal(res.status, 202, res.text);
    const [copy] = await messagesOf(emu, IT_TEAM, '?includeContent=1');
    assert.equal(copy.subject, 'With log');
    assert.equal(copy.attachments.length, 1);
    assert.equal(copy.attachments[0].name, 'verify.log');
    assert.equal(Buffer.from(copy.attachments[0].contentBytes, 'base64').toString(), 'line 1\nline 2\n');
    const page = await emu.call('GET', `/_emulator/?mailbox=${encodeURIComponent(IT_TEAM)}`);
    assert.match(page.text, /Message-ID &lt;relay-2@imagemanager\.local&gt;/);
    assert.match(page.text, /verify\.log/);
  });

  it('creates a draft from MIME (createMessage), which then sends with its attachment', async () => {
    const mime = withAttachment({ From: ALERTS, To: IT_TEAM, Subject: 'Draft from MIME' });
    const res = await sendMime('/v1.0/me/messages', b64(mime));
    assert.equal(res.status, 201, res.text);
    const draft = res.json();
    assert.equal(draft.isDraft, true);
    assert.equal(draft.subject, 'Draft from MIME');
    assert.equal((await messagesOf(emu, ALERTS, '?folder=drafts')).length, 1);
    const sent = await emu.call('POST', `/v1.0/me/messages/${draft.id}/send`, undefined, bearer(alertsToken));
    assert.equal(sent.status, 202, sent.text);
    const [copy] = await messagesOf(emu, IT_TEAM);
    assert.deepEqual([copy.subject, copy.attachments.map((a: { name: string }) => a.name)], ['Draft from MIME', ['verify.log']]);
  });

  it('answers Graph errors for bad MIME and the 4 MB request limit, delivering nothing', async () => {
    const notBase64 = await sendMime('/v1.0/me/sendMail', 'this is *not* base64!');
    assert.equal(notBase64.status, 400);
    assert.equal(graphError(notBase64).code, 'ErrorMimeContentInvalidBase64String');
    const notMessage = await sendMime('/v1.0/me/sendMail', b64('just some words without any header\r\n'));
    assert.equal(notMessage.status, 400);
    assert.equal(graphError(notMessage).code, 'ErrorMimeContentInvalid');
    const huge = await sendMime('/v1.0/me/sendMail', b64(mimeMessage({ From: ALERTS, To: IT_TEAM, Subject: 'big' }, 'x'.repeat(3_200_000))));
    assert.equal(huge.status, 413);
    const longLine = await sendMime('/v1.0/me/sendMail', b64(mimeMessage({ From: ALERTS, To: IT_TEAM, Subject: 'long line' }, `${'y'.repeat(999)}\r\n`)));
    assert.equal(longLine.status, 400);
    assert.deepEqual([graphError(longLine).code, graphError(longLine).message], ['ErrorMimeContentInvalid', 'The MIME content is not a valid message: line 7 is longer than 998 characters.']);
    const atLimit = await sendMime('/v1.0/me/sendMail', b64(mimeMessage({ From: ALERTS, To: IT_TEAM, Subject: 'at the limit' }, `${'y'.repeat(998)}\r\n`)));
    assert.equal(atLimit.status, 202, atLimit.text);
    assert.equal((await emu.call('DELETE', '/_emulator/mailboxes')).status, 204);
    const draftBad = await sendMime('/v1.0/me/messages', '%%%');
    assert.equal(graphError(draftBad).code, 'ErrorMimeContentInvalidBase64String');
    assert.deepEqual(await messagesOf(emu, IT_TEAM).catch(() => []), []);
  });
});
