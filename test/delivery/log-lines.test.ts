import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { GraphChannel, type GraphConnection } from '../../src/delivery/index.js';
import { maskAddress } from '../../src/shared/index.js';
import { runCli, tempHome } from '../support/cli.js';

describe('delivery log lines name the subject and the (masked) recipients (issue 9, small ones)', () => {
  it('accepted and failed sends', async () => {
    const lines: any[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write(c, _e, cb) { lines.push(JSON.parse(String(c))); cb(); } }));
    let fail = false;
    const mailer = {
      tokens: { tokenEndpointCalls: 0 },
      close() {},
      client: {
        async send() {
          if (fail) throw new Error('boom');
          return { messageId: 'm1', attempts: 1, path: 'sendMail', requestIds: [], droppedAttachments: [], requests: 1 };
        },
      },
    } as unknown as GraphConnection;
    const sender = new GraphChannel(mailer, logger);
    const signal = new AbortController().signal;
    const email = { to: ['it-team@contoso.com'], cc: [], bcc: ['boss@contoso.com'], subject: '[CRITICAL] Verification failed on SRV-FS01', html: '<p>x</p>', text: 'x', importance: 'high' as const, headers: {} };
    assert.equal((await sender.send(email, { signal })).kind, 'sent');
    fail = true;
    assert.equal((await sender.send(email, { signal })).kind, 'retry');
    for (const line of lines) {
      assert.equal(line.subject, email.subject);
      assert.deepEqual(line.to, ['i***@contoso.com', 'b***@contoso.com']);
      assert.ok(!JSON.stringify(line).includes('it-team@'), 'no whole address in the log');
    }
    assert.equal(lines.length, 2);
    assert.equal(maskAddress('x'), '***');
  });
});

describe('preview says plainly which part is sent (issue 9.6)', () => {
  it('notes that only the HTML part goes out', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const r = await runCli(['preview', '--type', 'imagemanager.verification_failed'], { home });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /sent with the HTML part only .* the text part above is not sent/);
    } finally {
      await cleanup();
    }
  });
});
