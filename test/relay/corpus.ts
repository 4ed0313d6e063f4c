import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DEMO_DOMAIN } from '../../packages/emulator/src/index.js';

/** Messages the way devices (printers, NAS boxes, old backup tools) really send them. */
export interface CorpusSample {
  name: string;
  raw: Buffer;
  envelopeFrom?: string;
  expectSubject: string;
  check?: (received: any) => void;
}

const from = `alerts@${DEMO_DOMAIN}`;
const to = `it-team@${DEMO_DOMAIN}`;

// Lines over 998 octets (RFC 5322 section 2.1.1): what tools that write a report on one line send.
const LONG_TEXT = 'A'.repeat(4990) + ' =end= ' + 'tab\tend';
const LONG_HTML = `<html><body><table>${Array.from({ length: 120 }, (_, i) => `<tr><td>Überprüfung ${i}</td><td>OK €</td></tr>`).join('')}</table></body></html>`;
const LONG_ATTACHMENT = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));

/** Equal text, with a short failure message (these bodies are thousands of characters). */
function sameText(actual: string, expected: string): void {
  if (actual === expected) return;
  let at = 0;
  while (at < actual.length && actual[at] === expected[at]) at++;
  assert.fail(`the delivered body differs from the sent one at character ${at} of ${expected.length}: got ${JSON.stringify(actual.slice(at, at + 40))}, sent ${JSON.stringify(expected.slice(at, at + 40))}`);
}

export const DEVICE_CORPUS: CorpusSample[] = [
  {
    name: 'LF-only line endings, no Date, no Message-ID',
    raw: Buffer.from(`From: ${from}\nTo: ${to}\nSubject: corpus lf-only\n\nline one\nline two\n`),
    expectSubject: 'corpus lf-only',
    check: (m) => assert.match(m.body.content, /line one\r?\nline two/),
  },
  {
    name: '8-bit UTF-8 header without encoding',
    raw: Buffer.from(`From: Sicherung <${from}>\r\nTo: ${to}\r\nSubject: corpus Sicherung fehlgeschlagen – Überprüfung\r\n\r\nbody\r\n`, 'utf8'),
    expectSubject: 'corpus Sicherung fehlgeschlagen – Überprüfung',
  },
  {
    name: '8-bit Windows-1252 header (a NAS in its code page)',
    raw: Buffer.concat([Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: corpus `), Buffer.from([0x44, 0xe9, 0x70, 0xf4, 0x74, 0x20, 0x80]), Buffer.from('\r\n\r\nbody\r\n')]),
    expectSubject: 'corpus Dépôt €',
  },
  {
    name: 'ISO-8859-1 encoded word and a folded Subject',
    raw: Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: corpus =?ISO-8859-1?Q?V=E9rification_?=\r\n  =?windows-1252?Q?=E9chou=E9e?=\r\nDate: Thu, 3 Dec 2026 10:00:00 +0100\r\n\r\nbody\r\n`),
    expectSubject: 'corpus Vérification échouée',
  },
  {
    name: 'no From in the headers (only inside a MIME part)',
    raw: Buffer.from(`To: ${to}\r\nSubject: corpus no from\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\nFrom: printer@device.local\r\nSubject: inner\r\n\r\ninner body\r\n--b1--\r\n`),
    expectSubject: 'corpus no from',
    check: (m) => assert.equal(m.from.address, from),
  },
  {
    name: 'a very long body line (no line breaks for 5,000 characters), no MIME headers',
    raw: Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: corpus long line\r\n\r\n${LONG_TEXT}\r\nsecond line  \r\n`),
    expectSubject: 'corpus long line',
    check: (m) => sameText(m.body.content, `${LONG_TEXT}\nsecond line  \n`),
  },
  {
    name: 'an HTML report on one 8-bit UTF-8 line of 6,000 octets (Content-Transfer-Encoding: 8bit)',
    raw: Buffer.from(
      `From: ${from}\r\nTo: ${to}\r\nSubject: corpus long html\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${LONG_HTML}\r\n`,
      'utf8',
    ),
    expectSubject: 'corpus long html',
    check: (m) => {
      assert.equal(m.body.contentType, 'html');
      sameText(m.body.content, `${LONG_HTML}\n`);
    },
  },
  {
    name: 'text/HTML alternatives and a base64 attachment, each on one long line',
    raw: Buffer.from(
      `From: ${from}\r\nTo: ${to}\r\nSubject: corpus long parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="m"\r\n\r\n` +
        `--m\r\nContent-Type: multipart/alternative; boundary="a"\r\n\r\n--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${LONG_TEXT}\r\n` +
        `--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${LONG_HTML}\r\n--a--\r\n` +
        `--m\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="report.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${LONG_ATTACHMENT.toString('base64')}\r\n--m--\r\n`,
      'utf8',
    ),
    expectSubject: 'corpus long parts',
    check: (m) => {
      sameText(m.body.content, LONG_HTML);
      assert.deepEqual(m.attachments.map((a: any) => [a.name, a.size, a.sha256]), [['report.bin', LONG_ATTACHMENT.length, createHash('sha256').update(LONG_ATTACHMENT).digest('hex')]]);
    },
  },
  {
    name: 'no headers at all (a script that pipes only a body)',
    raw: Buffer.from('corpus body only\r\nsecond line\r\n'),
    expectSubject: '',
    check: (m) => assert.match(m.body.content, /corpus body only/),
  },
  {
    name: 'HTML with an inline image (cid:) and a text alternative',
    raw: Buffer.from(
      `From: ${from}\r\nTo: ${to}\r\nSubject: corpus inline image\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="r"\r\n\r\n` +
        `--r\r\nContent-Type: multipart/alternative; boundary="a"\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\nchart below\r\n--a\r\nContent-Type: text/html\r\n\r\n<p>chart <img src="cid:chart@x"></p>\r\n--a--\r\n` +
        `--r\r\nContent-Type: image/png\r\nContent-ID: <chart@x>\r\nContent-Disposition: inline; filename="chart.png"\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--r--\r\n`,
    ),
    expectSubject: 'corpus inline image',
    check: (m) => {
      assert.equal(m.body.contentType, 'html');
      assert.ok(m.body.content.includes('cid:chart@x'));
      assert.equal(m.attachments[0].isInline, true);
      assert.equal(m.attachments[0].contentId, 'chart@x');
    },
  },
];
