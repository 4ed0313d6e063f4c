import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_DOMAIN } from '../../packages/emulator/src/index.js';
import type { TestEmulator } from '../support/emulator.js';
import { ADMIN, SENDER, TEAM, waitFor } from '../server/helpers.js';
import type { RunningService } from '../../src/server/index.js';
import { failedRow, mailer, queuedId, receivedBy, startRelayService } from './support.js';
import { freePort } from './smtp-session.js';
import { readFile } from 'node:fs/promises';
import nodemailer from 'nodemailer';

describe('SMTP relay in the service: nodemailer over STARTTLS + AUTH, delivered through Graph', () => {
  let emu: TestEmulator;
  let svc: RunningService;
  let close: (() => Promise<void>) | undefined;
  let tlsPort: number;

  before(async () => {
    tlsPort = await freePort();
    ({ emu, svc, close } = await startRelayService({
      users: [{ name: 'imagemanager', password: 'correct horse battery' }],
      smtp: { tlsPort, allowedRecipients: [DEMO_DOMAIN] },
    }));
  });
  after(() => close?.());

  it('delivers to exactly the envelope: header-only gets nothing, envelope-only is Bcc, Bcc never shown', async () => {
    const t = await mailer(svc.relay!.port, svc.relay!.certificatePath, { user: 'imagemanager', pass: 'correct horse battery' });
    const subject = `envelope ${Date.now()}`;
    const info = await t.sendMail({
      envelope: { from: SENDER, to: [TEAM, ADMIN] },
      from: `ImageManager <${SENDER}>`,
      to: [TEAM, `nobody@${DEMO_DOMAIN}`],
      bcc: `secret@${DEMO_DOMAIN}`,
      subject,
      text: 'Verification failed on SERVER01',
      html: '<p>Verification failed on <b>SERVER01</b></p>',
      attachments: [{ filename: 'log.txt', content: 'line 1\n' }],
    });
    assert.match(info.response, /^250 2\.6\.0 Queued as/);
    const got = await waitFor(async () => {
      const r = await receivedBy(emu, subject);
      return r.size >= 2 ? r : undefined;
    }, 'both envelope recipients got it');
    assert.deepEqual([...got.keys()].sort(), [ADMIN, TEAM].sort());
    const m = got.get(TEAM);
    assert.deepEqual(m.toRecipients.map((r: any) => r.address), [TEAM]);
    assert.deepEqual(m.bccRecipients ?? [], [], 'no Bcc shown to a recipient');
    assert.deepEqual(m.attachments.map((a: any) => a.name), ['log.txt']);
    assert.equal(m.body.contentType, 'html');
    assert.ok(m.internetMessageHeaders.some((h: any) => /^x-o365-notify-id$/i.test(h.name)));
    assert.ok(!JSON.stringify([...got.values()]).includes('secret@'), 'the Bcc header address appears nowhere');
    assert.ok(!got.has(`nobody@${DEMO_DOMAIN}`));
    const row = svc.store.outbox.get(queuedId(info.response))!;
    assert.equal(row.kind, 'relay');
    await waitFor(() => svc.store.outbox.get(row.id)!.status === 'sent', 'the outbox row is sent');
    assert.match(await svc.service.metricsText(), /o365_notify_emails_sent_total\{kind="relay"\} 1/);
    t.close();
  });

  it('implicit TLS on smtp.tlsPort; a recipient outside smtp.allowedRecipients gets 550 5.7.1 naming the setting', async () => {
    const ca = await readFile(svc.relay!.certificatePath, 'utf8');
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: tlsPort, secure: true, tls: { ca, servername: 'localhost' } });
    const subject = `implicit tls ${Date.now()}`;
    await t.sendMail({ from: SENDER, to: TEAM, subject, text: 'over SMTPS' });
    await waitFor(async () => (await receivedBy(emu, subject)).get(TEAM), 'the SMTPS message arrived');
    await assert.rejects(t.sendMail({ from: SENDER, to: 'someone@fabrikam.com', subject: 'x', text: 'x' }), (err: { response?: string }) => {
      assert.match(err.response ?? '', /^550 5\.7\.1 Recipient someone@fabrikam\.com is not allowed: add it \(or its domain\) to smtp\.allowedRecipients/);
      return true;
    });
    t.close();
  });

  it('a 6 MB message without Mail.ReadWrite (delegated Mail.Send only) fails visibly, naming the permission', async () => {
    const t = await mailer(svc.relay!.port, svc.relay!.certificatePath, { user: 'imagemanager', pass: 'correct horse battery' });
    const info = await t.sendMail({ from: SENDER, to: TEAM, subject: `large ${Date.now()}`, text: 'x', attachments: [{ filename: 'big.bin', content: Buffer.alloc(6 * 1024 * 1024, 3) }] });
    t.close();
    const row = await failedRow(svc, queuedId(info.response), 'the row failed');
    assert.match(row.lastError ?? '', /needs the Microsoft Graph permission Mail\.ReadWrite/);
    assert.equal(row.diagnosis?.code, 'MailReadWriteRequired');
  });
});
