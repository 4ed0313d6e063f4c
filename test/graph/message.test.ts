import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressProblem, parseAddress } from '../../src/graph/addresses.js';
import { GraphSendError } from '../../src/graph/errors.js';
import { escapeHtml } from '../../src/shared/html.js';
import { NOTIFY_ID_HEADER, prepareMessage, sanitiseSubject, type MailMessage } from '../../src/graph/message.js';
import { graphMessage } from '../../src/graph/payload.js';

function rejects(message: MailMessage): GraphSendError {
  try {
    prepareMessage(message);
  } catch (err) {
    assert.ok(err instanceof GraphSendError, 'a GraphSendError');
    assert.equal(err.code, 'InvalidMessage');
    assert.equal(err.attempts, 0);
    assert.equal(err.retryable, false);
    return err;
  }
  assert.fail('the message was accepted');
}

const base: MailMessage = { to: 'it-team@contoso.com', subject: 'Verification failed', text: 'Details' };

describe('addresses', () => {
  it('accepts ordinary addresses and the Name <address> form', () => {
    for (const a of ['it-team@contoso.com', 'first.last+alerts@sub.contoso.co.uk', "o'brien@contoso.com", 'a@xn--bcher-kva.example']) {
      assert.equal(addressProblem(a), undefined, a);
    }
    assert.deepEqual(parseAddress('IT Team <it-team@contoso.com>'), { mailbox: { address: 'it-team@contoso.com', name: 'IT Team' } });
    assert.deepEqual(parseAddress('"Ops, Night" <ops@contoso.com>'), { mailbox: { address: 'ops@contoso.com', name: 'Ops, Night' } });
    assert.deepEqual(parseAddress({ address: 'ops@contoso.com', name: 'Ops\r\nBcc: evil@x.com' }), {
      mailbox: { address: 'ops@contoso.com', name: 'Ops Bcc: evil@x.com' },
    });
  });

  it('rejects malformed addresses with a reason', () => {
    const bad = ['', 'plainaddress', '@contoso.com', 'user@', 'user@localhost', 'user@contoso', 'a b@contoso.com', 'a@b@contoso.com',
      'user@-contoso.com', 'user@contoso..com', 'user.@contoso.com', '.user@contoso.com', 'a,b@contoso.com', 'x@contoso.c0m',
      `${'a'.repeat(65)}@contoso.com`, 'user@[127.0.0.1]', '"quoted"@contoso.com'];
    for (const a of bad) assert.ok(addressProblem(a), `${JSON.stringify(a)} should be rejected`);
    const parsed = parseAddress('ops@contoso.com\r\nBcc: victim@evil.com');
    assert.ok('problem' in parsed && /line break/.test(parsed.problem));
  });
});

describe('prepareMessage', () => {
  it('cleans the subject: CR/LF and control characters removed, length bounded', () => {
    assert.equal(sanitiseSubject('Alert\r\nBcc: victim@evil.com'), 'Alert Bcc: victim@evil.com');
    assert.equal(sanitiseSubject('a\u0000b\u0007c\td\u2028e'), 'abc d e');
    const long = sanitiseSubject('x'.repeat(1000));
    assert.equal([...long].length, 255);
    assert.ok(long.endsWith('\u2026'));
    // Surrogate pairs are not split when cutting.
    const emoji = sanitiseSubject('\u{1F600}'.repeat(300));
    assert.equal([...emoji].length, 255);
    assert.ok(!/[\uD800-\uDBFF]$/.test(emoji.slice(0, -1)));
    assert.equal(prepareMessage({ ...base, subject: 'Disk full\nX-Injected: yes' }).subject, 'Disk full X-Injected: yes');
  });

  it('adds x-o365-notify-id: the caller\'s stable id, else a generated one', () => {
    const given = prepareMessage({ ...base, id: 'evt-42:verification' });
    assert.deepEqual(given.headers[0], { name: NOTIFY_ID_HEADER, value: 'evt-42:verification' });
    const a = prepareMessage(base);
    const b = prepareMessage(base);
    assert.match(a.id, /^[0-9a-f-]{36}$/);
    assert.notEqual(a.id, b.id);
    assert.equal(a.headers[0]!.value, a.id);
  });

  it('keeps x- headers, removes line breaks from their values, rejects other names', () => {
    const msg = prepareMessage({ ...base, headers: { 'X-ImageManager-Agent': 'srv01', 'x-folder': 'D:\\Backups\r\nBcc: x@y.com' } });
    assert.deepEqual(msg.headers.slice(1), [
      { name: 'X-ImageManager-Agent', value: 'srv01' },
      { name: 'x-folder', value: 'D:\\Backups Bcc: x@y.com' },
    ]);
    const err = rejects({ ...base, headers: { 'Reply-To': 'a@b.com', 'x-bad name': 'v', 'x-o365-notify-id': 'mine', 'Bcc\r\nX': 'v' } });
    assert.equal(err.problems!.length, 4);
    assert.match(err.problems![0]!, /"Reply-To" is not allowed.*x-/);
    assert.match(err.problems![2]!, /pass the message id as "id"/);
  });

  it('refuses more custom headers than Graph accepts', () => {
    const headers = Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((n) => [`x-${n}`, n]));
    const err = rejects({ ...base, headers });
    assert.match(err.problems!.join(), /at most 5 custom headers/);
    assert.equal(prepareMessage({ ...base, headers: { 'x-a': '1', 'x-b': '2', 'x-c': '3', 'x-d': '4' } }).headers.length, 5);
  });

  it('lists every invalid address before anything is sent', () => {
    const err = rejects({ to: ['ok@contoso.com', 'not-an-address'], cc: 'x@', bcc: [{ address: 'b@@c.com' }], replyTo: 'r@contoso', subject: 's', text: 't' });
    assert.deepEqual(err.problems!.map((p) => p.split(':')[0]), ['to', 'cc', 'bcc', 'replyTo']);
    assert.match(err.message, /not-an-address/);
    assert.match(err.message, /not sent/);
  });

  it('requires a recipient and a body, and checks importance and the id', () => {
    const err = rejects({ subject: 's', importance: 'urgent' as never, id: 'has space' } as MailMessage);
    assert.equal(err.problems!.length, 4);
    assert.match(err.problems!.join('\n'), /at least one recipient/);
    assert.match(err.problems!.join('\n'), /a body is required/);
    assert.match(err.problems!.join('\n'), /importance/);
    assert.match(err.problems!.join('\n'), /^id:/m);
    assert.equal(prepareMessage({ bcc: 'hidden@contoso.com', subject: '', text: '' }).bcc.length, 1);
  });

  it('sends text as text and the caller\'s HTML as given', () => {
    const text = prepareMessage({ ...base, text: '<b>not bold</b> & <script>x</script>' });
    assert.deepEqual(text.body, { contentType: 'text', content: '<b>not bold</b> & <script>x</script>' });
    assert.deepEqual((graphMessage(text, []) as { body: unknown }).body, { contentType: 'Text', content: '<b>not bold</b> & <script>x</script>' });
    const html = prepareMessage({ ...base, text: 'plain', html: '<p>Hello</p>' });
    assert.deepEqual(html.body, { contentType: 'html', content: '<p>Hello</p>' });
    assert.equal(escapeHtml(`<img src=x onerror="alert('1')">&`), '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;');
  });

  it('checks attachments: name, MIME type, Buffer content, 150 MB', () => {
    const ok = prepareMessage({ ...base, attachments: [{ name: '../../etc/passwd\r\n.txt', content: Buffer.from('x') }, { name: 'r.pdf', contentType: 'application/pdf', content: new Uint8Array([1, 2]) }] });
    assert.equal(ok.attachments[0]!.name, '.._.._etc_passwd .txt');
    assert.equal(ok.attachments[0]!.contentType, 'text/plain' /* from the .txt/.log extension */);
    assert.ok(Buffer.isBuffer(ok.attachments[1]!.content));
    const err = rejects({
      ...base,
      attachments: [
        { name: '', content: Buffer.alloc(1) },
        { name: 'a.txt', contentType: 'text/plain\r\nX-Evil: 1', content: Buffer.alloc(1) },
        { name: 'b.txt', content: 'text' as unknown as Buffer },
      ],
    });
    assert.equal(err.problems!.length, 3);
  });

  it('maps recipients, reply-to, from and importance into Graph\'s message resource', () => {
    const msg = prepareMessage({ to: ['A <a@contoso.com>'], cc: 'c@contoso.com', replyTo: 'r@contoso.com', from: 'Alerts <alerts@contoso.com>', subject: 's', text: 't', importance: 'high' });
    const json = graphMessage(msg, []);
    assert.deepEqual(json.toRecipients, [{ emailAddress: { address: 'a@contoso.com', name: 'A' } }]);
    assert.deepEqual(json.ccRecipients, [{ emailAddress: { address: 'c@contoso.com' } }]);
    assert.equal(json.bccRecipients, undefined);
    assert.deepEqual(json.replyTo, [{ emailAddress: { address: 'r@contoso.com' } }]);
    assert.deepEqual(json.from, { emailAddress: { address: 'alerts@contoso.com', name: 'Alerts' } });
    assert.equal(json.importance, 'high');
    assert.deepEqual(json.internetMessageHeaders, [{ name: NOTIFY_ID_HEADER, value: msg.id }]);
  });
});
