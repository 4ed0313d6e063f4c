import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { ADMIN, ALERTS, bearer, delegatedToken, IT_TEAM, mail, messagesOf, NO_MAILBOX } from './graph-support.js';

describe('Emulator control API: mailboxes and the /_emulator/ page', () => {
  let emu: TestEmulator;
  let token: string;
  before(async () => {
    emu = await startTestEmulator();
    token = await delegatedToken(emu, ALERTS);
  });
  after(async () => {
    await emu.stop();
  });
  beforeEach(async () => {
    await emu.call('DELETE', '/_emulator/mailboxes');
  });

  it('lists every mailbox with its counts, including external addresses that received mail', async () => {
    await emu.call('POST', '/v1.0/me/sendMail', mail([IT_TEAM, 'ops@example.org']), bearer(token));
    const res = await emu.call('GET', '/_emulator/mailboxes');
    assert.equal(res.status, 200);
    const boxes = res.json() as { address: string; external: boolean; counts: Record<string, number>; userId: string | null }[];
    const byAddress = new Map(boxes.map((b) => [b.address, b]));
    assert.deepEqual(byAddress.get(IT_TEAM)?.counts, { inbox: 1, sentitems: 0, drafts: 0 });
    assert.deepEqual(byAddress.get(ALERTS)?.counts, { inbox: 0, sentitems: 1, drafts: 0 });
    assert.equal(byAddress.get('ops@example.org')?.external, true);
    assert.ok(byAddress.has(ADMIN), 'empty mailboxes are listed too');
    assert.ok(!byAddress.has(NO_MAILBOX), 'a user without a mailbox has none');
  });

  it('returns messages as JSON with attachment hashes, and their bytes only on request', async () => {
    const content = randomBytes(300);
    await emu.call(
      'POST',
      '/v1.0/me/sendMail',
      mail([IT_TEAM], {
        attachments: [{ '@odata.type': '#microsoft.graph.fileAttachment', name: 'status.csv', contentType: 'text/csv', contentBytes: content.toString('base64') }],
      }),
      bearer(token),
    );
    const [m] = await messagesOf(emu, IT_TEAM.toUpperCase());
    assert.deepEqual(Object.keys(m).sort(), [
      'appId', 'attachments', 'bccRecipients', 'body', 'ccRecipients', 'folder', 'from', 'hasAttachments', 'id', 'importance',
      'internetMessageHeaders', 'internetMessageId', 'isDraft', 'mailbox', 'receivedDateTime', 'replyTo', 'sender', 'sentDateTime',
      'subject', 'toRecipients', 'via',
    ]);
    assert.deepEqual(m.toRecipients, [{ name: null, address: IT_TEAM }]);
    assert.equal(m.attachments[0].name, 'status.csv');
    assert.equal(m.attachments[0].size, 300);
    assert.match(m.attachments[0].sha256, /^[0-9a-f]{64}$/);
    assert.equal(m.attachments[0].contentBytes, undefined);
    const [withContent] = await messagesOf(emu, IT_TEAM, '?includeContent=1');
    assert.equal(withContent.attachments[0].contentBytes, content.toString('base64'));
  });

  it('filters by folder, answers 404 for an unknown mailbox and 400 for an unknown folder', async () => {
    await emu.call('POST', '/v1.0/me/sendMail', mail([ALERTS]), bearer(token));
    assert.deepEqual((await messagesOf(emu, ALERTS)).map((m) => m.folder).sort(), ['inbox', 'sentitems']);
    assert.deepEqual((await messagesOf(emu, ALERTS, '?folder=inbox')).map((m) => m.folder), ['inbox']);
    assert.equal((await emu.call('GET', '/_emulator/mailboxes/nobody@example.org/messages')).status, 404);
    const noMailbox = await emu.call('GET', `/_emulator/mailboxes/${NO_MAILBOX}/messages`);
    assert.equal(noMailbox.status, 404);
    assert.match(noMailbox.json().error, /has no mailbox/);
    assert.equal((await emu.call('GET', `/_emulator/mailboxes/${ALERTS}/messages?folder=junk`)).status, 400);
  });

  it('empties one mailbox or all of them', async () => {
    await emu.call('POST', '/v1.0/me/sendMail', mail([IT_TEAM, ADMIN]), bearer(token));
    assert.equal((await emu.call('DELETE', `/_emulator/mailboxes/${IT_TEAM}`)).status, 204);
    assert.equal((await messagesOf(emu, IT_TEAM)).length, 0);
    assert.equal((await messagesOf(emu, ADMIN)).length, 1);
    assert.equal((await emu.call('DELETE', '/_emulator/mailboxes')).status, 204);
    assert.equal((await messagesOf(emu, ADMIN)).length, 0);
  });

  it('shows messages on /_emulator/ with every sender-controlled value escaped', async () => {
    const subject = '<script>alert("pwned")</script> & "quotes"';
    const html = '<p onclick="steal()">Hi</p><script>document.cookie</script>';
    await emu.call(
      'POST',
      '/v1.0/me/sendMail',
      mail([IT_TEAM], {
        subject,
        body: { contentType: 'html', content: html },
        toRecipients: [{ emailAddress: { name: '<img src=x onerror=alert(1)>', address: IT_TEAM } }],
        internetMessageHeaders: [{ name: 'x-note', value: '<b>bold</b>' }],
      }),
      bearer(token),
    );
    const page = await emu.call('GET', '/_emulator/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    assert.ok(!page.text.includes('<script>'), 'no raw <script> in the page');
    assert.ok(!page.text.includes('<img src=x'), 'no raw markup from a display name');
    assert.ok(!page.text.includes('<b>bold</b>'));
    assert.ok(page.text.includes('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;'));
    // Sandboxed without allow-scripts: the handler never runs (same-origin only lets the page measure it).
    assert.match(page.text, /<iframe class="html" sandbox="allow-same-origin" [^>]*srcdoc="&lt;p onclick=&quot;steal\(\)&quot;&gt;Hi&lt;\/p&gt;/);
    assert.match(page.text, /<script src="\/_emulator\/mailbox\.js" defer><\/script>/, 'new messages come in by the page\'s own script');
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.match(page.text, /<meta name="viewport"/);
    assert.ok(!/(src|href)="https?:/.test(page.text), 'no external assets');

    const one = await emu.call('GET', `/_emulator/?mailbox=${encodeURIComponent(IT_TEAM)}`);
    assert.ok(one.text.includes('aria-current="page"'));
    const redirect = await emu.call('GET', '/_emulator');
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.location, '/_emulator/');
  });
});
