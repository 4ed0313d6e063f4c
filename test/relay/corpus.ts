import assert from 'node:assert/strict';
import { DEMO_DOMAIN } from '../../src/emulator/index.js';

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
    name: 'a very long body line (no line breaks for 5,000 characters)',
    raw: Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: corpus long line\r\n\r\n${'A'.repeat(5000)}\r\n`),
    expectSubject: 'corpus long line',
    check: (m) => assert.ok(m.body.content.includes('A'.repeat(5000))),
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
