import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildOutgoingMime } from '../../src/relay/index.js';
import { receiveMessage } from '../../src/relay/receive.js';

const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'utf8');

function headerOf(mime: Buffer, name: string): string[] {
  const head = mime.toString('latin1').split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ');
  return head.split('\r\n').filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`)).map((l) => l.slice(name.length + 1).trim());
}

const base = { envelopeFrom: 'scanner@contoso.com', mailbox: 'alerts@contoso.com', fromPolicy: 'rewrite' as const, id: 'row-1' };

describe('the envelope decides delivery (headers rewritten for Graph)', () => {
  it('keeps To/Cc only for envelope recipients, adds envelope-only ones as Bcc and drops the Bcc header', () => {
    const raw = crlf('From: Scanner <alerts@contoso.com>\nTo: a@contoso.com, header-only@contoso.com\nCc: c@contoso.com\nBcc: secret@contoso.com\nSubject: s\n\nbody\n');
    const out = buildOutgoingMime({ ...base, raw, recipients: ['a@contoso.com', 'C@contoso.com', 'env-only@contoso.com'] });
    assert.deepEqual(out.to, ['a@contoso.com']);
    assert.deepEqual(out.cc, ['c@contoso.com']);
    assert.deepEqual(out.bcc, ['env-only@contoso.com']);
    assert.deepEqual(headerOf(out.mime, 'To'), ['<a@contoso.com>']);
    assert.deepEqual(headerOf(out.mime, 'Bcc'), ['<env-only@contoso.com>']);
    assert.ok(!out.mime.toString().includes('secret@contoso.com'), 'the Bcc header of the sender is gone');
    assert.ok(!out.mime.toString().includes('header-only@'), 'a header-only address gets nothing');
    assert.deepEqual(headerOf(out.mime, 'X-O365-Notify-Id'), ['row-1']);
    assert.ok(out.mime.toString().endsWith('\r\n\r\nbody\r\n'));
  });

  it('an only-Bcc message gets To: undisclosed-recipients:;', () => {
    const raw = crlf('From: alerts@contoso.com\nTo: undisclosed-recipients:;\nSubject: s\n\nx\n');
    const out = buildOutgoingMime({ ...base, raw, recipients: ['x@contoso.com', 'y@contoso.com'] });
    assert.deepEqual(headerOf(out.mime, 'To'), ['undisclosed-recipients:;']);
    assert.deepEqual(out.bcc, ['x@contoso.com', 'y@contoso.com']);
  });

  it('fromPolicy rewrite: From becomes the mailbox with the display name kept, the original goes to Reply-To', () => {
    const raw = crlf('From: "NAS Box" <nas@other.com>\nSender: nas@other.com\nTo: a@contoso.com\n\nx\n');
    const out = buildOutgoingMime({ ...base, raw, recipients: ['a@contoso.com'] });
    assert.deepEqual(headerOf(out.mime, 'From'), ['NAS Box <alerts@contoso.com>']);
    assert.deepEqual(headerOf(out.mime, 'Reply-To'), ['NAS Box <nas@other.com>']);
    assert.deepEqual(headerOf(out.mime, 'Sender'), []);
    assert.equal(out.from, 'alerts@contoso.com');
  });

  it('fromPolicy send-as keeps the From; a missing From becomes the mailbox', () => {
    const kept = buildOutgoingMime({ ...base, fromPolicy: 'send-as', raw: crlf('From: ceo@contoso.com\nTo: a@contoso.com\n\nx\n'), recipients: ['a@contoso.com'] });
    assert.deepEqual(headerOf(kept.mime, 'From'), ['ceo@contoso.com']);
    const added = buildOutgoingMime({ ...base, raw: crlf('To: a@contoso.com\n\nx\n'), recipients: ['a@contoso.com'] });
    assert.deepEqual(headerOf(added.mime, 'From'), ['<alerts@contoso.com>']);
  });
});

describe('receiving a message (line endings, repairs, spooling)', () => {
  const options = (spoolDir: string, inlineLimit = 1024 * 1024) => ({ spoolDir, inlineLimit, maxBytes: 5 * 1024 * 1024, hostname: 'relay.test', fsync: false, now: () => new Date('2026-12-03T10:00:00Z') });

  it('turns bare LF into CRLF, adds Date and Message-ID, encodes 8-bit headers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relay-rx-'));
    try {
      const raw = Buffer.concat([Buffer.from('From: Dr\u00fccker <printer@contoso.com>\nSubject: '), Buffer.from([0x54, 0xf6, 0x6e, 0x65, 0x72]), Buffer.from(' leer\n\nline1\nline2\n')]);
      const r = await receiveMessage(Readable.from([raw.subarray(0, 7), raw.subarray(7)]), 'id1', options(dir));
      assert.equal(r.header.subject, 'Töner leer', 'Windows-1252 bytes read as such');
      assert.ok(r.header.repairs.includes('added Date') && r.header.repairs.includes('added Message-ID'));
      const text = r.raw!.toString('latin1');
      assert.ok(!/[^\r]\n/.test(text), 'only CRLF line endings');
      assert.ok(/^Subject: =\?UTF-8\?B\?/m.test(text), text);
      assert.ok(/^From: =\?UTF-8\?Q\?Dr=C3=BCcker\?= <printer@contoso.com>/m.test(text), text);
      assert.match(text, /^Message-ID: <[0-9a-f-]+@relay\.test>/m);
      assert.ok(text.endsWith('\r\n\r\nline1\r\nline2\r\n'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('streams a large body to a spool file and refuses one over the limit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relay-rx-'));
    try {
      const line = Buffer.from('x'.repeat(76) + '\n');
      const chunks = [Buffer.from('Subject: big\nFrom: a@contoso.com\n\n'), ...Array.from({ length: 20_000 }, () => line)];
      const r = await receiveMessage(Readable.from(chunks), 'id2', options(dir, 64 * 1024));
      assert.equal(r.raw, null);
      assert.ok(r.spoolFile);
      const stored = await readFile(r.spoolFile!);
      assert.equal(stored.length, r.size);
      assert.equal(stored.toString().split('x'.repeat(76) + '\r\n').length - 1, 20_000);
      const big = await receiveMessage(Readable.from(Array.from({ length: 80_000 }, () => line)), 'id3', options(dir, 64 * 1024));
      assert.equal(big.tooBig, true);
      await assert.rejects(readFile(join(dir, 'id3.eml')), /ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('body lines over 998 octets are re-encoded, content unchanged', () => {
  const long = 'Z'.repeat(1500);
  it('a long text part becomes quoted-printable, a long base64 line is re-wrapped; other parts keep their bytes', async () => {
    const { repairLongLines } = await import('../../src/relay/long-lines.js');
    const short = '--m\r\nContent-Type: text/plain\r\n\r\nshort line\r\n';
    const bin = Buffer.from(Array.from({ length: 1200 }, (_, i) => i % 256));
    const raw = Buffer.from(
      'From: a@contoso.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="m"\r\n\r\npreamble\r\n' +
        short +
        `--m\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n<p>${long} \u00fc</p>\r\n` +
        `--m\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${bin.toString('base64')}\r\n--m--\r\nepilogue\r\n`,
      'utf8',
    );
    const { mime, reencoded } = repairLongLines(raw);
    assert.deepEqual(reencoded, ['text/html as quoted-printable', 'application/octet-stream as base64']);
    const text = mime.toString('latin1');
    assert.ok(text.split('\r\n').every((l) => l.length <= 998), 'no line over 998 octets');
    assert.ok(text.includes(`preamble\r\n${short}--m\r\n`), 'the preamble and the short part are byte for byte the same');
    assert.ok(text.endsWith('\r\n--m--\r\nepilogue\r\n'));
    const { simpleParser } = await import('mailparser');
    const [before, after] = await Promise.all([simpleParser(raw), simpleParser(mime)]);
    assert.equal(after.html, before.html);
    assert.ok(typeof after.html === 'string' && after.html.includes(`<p>${long} \u00fc</p>`));
    assert.ok(after.attachments[0]!.content.equals(bin));
    assert.match(text, /Content-Type: text\/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>Z{70}/);
  });

  it('a message without MIME headers gets MIME-Version with its Content-Transfer-Encoding; a message without long lines is the same Buffer', async () => {
    const { repairLongLines } = await import('../../src/relay/long-lines.js');
    const { mime } = repairLongLines(crlf(`From: a@contoso.com\nSubject: s\n\n${long}\n`));
    assert.deepEqual(headerOf(mime, 'MIME-Version'), ['1.0']);
    assert.deepEqual(headerOf(mime, 'Content-Transfer-Encoding'), ['quoted-printable']);
    const plain = crlf('From: a@contoso.com\n\nshort\n');
    assert.equal(repairLongLines(plain).mime, plain);
  });
});

describe('splitting a large message for a MIME draft', () => {
  const fits = (limit: number) => (bytes: number) => bytes <= limit;
  it('takes out the largest parts until the rest fits; a multipart left empty goes too; names and inline flags come from the part headers', async () => {
    const { splitForDraft } = await import('../../src/relay/large-message.js');
    const big = Buffer.alloc(3000, 1).toString('base64');
    const raw = crlf(
      'From: a@contoso.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="m"\n\n' +
        '--m\nContent-Type: multipart/related; boundary="r"\n\n--r\nContent-Type: text/html\n\n<img src="cid:i@x">\n' +
        `--r\nContent-Type: image/png\nContent-ID: <i@x>\nContent-Transfer-Encoding: base64\n\n${big}\n--r--\n` +
        `--m\nContent-Type: multipart/mixed; boundary="n"\n\n--n\nContent-Type: application/pdf; name="=?UTF-8?Q?Bericht_=C3=9C.pdf?="\nContent-Transfer-Encoding: base64\n\n${big}\n--n--\n--m--\n`,
    );
    const parts = splitForDraft(raw, fits(1000))!;
    // Largest first: the PDF part (its header is longer), then the image.
    assert.deepEqual(parts.attachments.map((a) => [a.name, a.contentType, a.content.length, a.isInline ?? false, a.contentId ?? null]), [
      ['Bericht Ü.pdf', 'application/pdf', 3000, false, null],
      ['attachment-2', 'image/png', 3000, true, 'i@x'],
    ]);
    const rest = parts.mime.toString('latin1');
    assert.ok(rest.includes('<img src="cid:i@x">') && !rest.includes('boundary="n"') && !rest.includes('image/png'), rest);
    assert.ok(rest.endsWith('--r--\r\n--m--\r\n'), rest);
  });

  it('a message that is one big part, or whose body alone is too big, is left to the converting path', async () => {
    const { splitForDraft } = await import('../../src/relay/large-message.js');
    assert.equal(splitForDraft(crlf(`From: a@contoso.com\nContent-Type: application/pdf\n\n${'A'.repeat(5000)}\n`), fits(1000)), undefined);
    const bodyTooBig = crlf(`From: a@contoso.com\nContent-Type: multipart/mixed; boundary="m"\n\n--m\nContent-Type: text/plain\n\n${'t'.repeat(900)}\n${'t'.repeat(900)}\n--m--\n`);
    assert.equal(splitForDraft(bodyTooBig, fits(1000)), undefined);
  });
});
