import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import type { RunningService } from '../../src/server/index.js';
import type { TestEmulator } from '../support/emulator.js';
import { runCli, tempHome } from '../support/cli.js';
import { ADMIN, SENDER, TEAM, startTestService, waitFor } from '../server/helpers.js';
import { failedRow, mailer, queuedId, receivedBy, startRelayService } from './support.js';
import { RawSmtp } from './smtp-session.js';

const MAX_RECIPIENTS = 3;

describe('SMTP relay session rules: ESMTP extensions, smtp.maxRecipients, fromPolicy send-as, not signed in yet', () => {
  let emu: TestEmulator;
  let svc: RunningService;
  let close: (() => Promise<void>) | undefined;

  before(async () => {
    ({ emu, svc, close } = await startRelayService({ smtp: { maxRecipients: MAX_RECIPIENTS, fromPolicy: 'send-as' } }));
  });
  after(() => close?.());

  it('EHLO offers PIPELINING, 8BITMIME, SMTPUTF8, SIZE (35 MB), ENHANCEDSTATUSCODES, STARTTLS and AUTH PLAIN LOGIN', async () => {
    const s = await RawSmtp.connect(svc.relay!.port);
    assert.match(await s.reply(), /^220 .*o365-notify SMTP relay/);
    const ehlo = (await s.command('EHLO device.local')).split(/\r?\n/).map((l) => l.slice(4));
    for (const ext of ['PIPELINING', '8BITMIME', 'SMTPUTF8', `SIZE ${35 * 1024 * 1024}`, 'ENHANCEDSTATUSCODES', 'STARTTLS', 'AUTH PLAIN LOGIN']) {
      assert.ok(ehlo.includes(ext), `EHLO lists ${ext}: ${ehlo.join(' | ')}`);
    }
    s.close();
  });

  it(`RCPT ${MAX_RECIPIENTS + 1} gets 452 4.5.3 naming smtp.maxRecipients; the accepted recipients get the message`, async () => {
    const t = await mailer(svc.relay!.port, svc.relay!.certificatePath);
    const subject = `max recipients ${Date.now()}`;
    const extra = `fourth@${DEMO_DOMAIN}`;
    const info = await t.sendMail({ from: SENDER, to: [TEAM, ADMIN, `third@${DEMO_DOMAIN}`, extra], subject, text: 'x' });
    t.close();
    assert.deepEqual(info.rejected, [extra]);
    const rcpt = (info.rejectedErrors?.[0] as { response?: string } | undefined)?.response ?? '';
    assert.match(rcpt, new RegExp(`^452 4\\.5\\.3 Too many recipients: at most ${MAX_RECIPIENTS} per message \\(smtp\\.maxRecipients; Exchange Online's limit is 500\\): send the rest in another message`));
    const got = await waitFor(async () => {
      const r = await receivedBy(emu, subject);
      return r.has(TEAM) && r.has(ADMIN) ? r : undefined;
    }, 'the accepted recipients got it');
    assert.ok(!got.has(extra));
  });

  it('fromPolicy send-as keeps another From; without Send As rights the row fails with ErrorSendAsDenied and the Exchange admin center path', async () => {
    const t = await mailer(svc.relay!.port, svc.relay!.certificatePath);
    const subject = `send-as ${Date.now()}`;
    const info = await t.sendMail({ from: `Administrator <${ADMIN}>`, to: TEAM, subject, text: 'x' });
    t.close();
    const row = await failedRow(svc, queuedId(info.response), 'the send-as row failed');
    assert.equal(row.diagnosis?.code, 'ErrorSendAsDenied');
    assert.match(row.diagnosis?.fix ?? '', /Exchange admin center: Recipients > Mailboxes > \(the From mailbox\) > Delegation > Send as/);
    assert.equal((await receivedBy(emu, subject)).size, 0, 'nobody received it');
  });

  it('before anyone signed in, MAIL FROM gets 451 4.7.0 (temporary: the sender retries) naming `o365-notify login`', async () => {
    const fresh = await tempHome();
    try {
      const setup = await runCli(
        ['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, '--account-type', 'single-tenant', '--client-id', DEMO_APPS.singleTenant,
          '--tenant-id', DEMO_TENANT_ID, '--auth', 'device-code', '--to', TEAM],
        { home: fresh.home },
      );
      assert.equal(setup.code, 0, setup.stderr);
      const { svc: unsigned } = await startTestService(fresh.home, { smtpPort: 0 });
      try {
        const s = await RawSmtp.connect(unsigned.relay!.port);
        await s.reply();
        await s.command('EHLO x');
        const mail = await s.command(`MAIL FROM:<${SENDER}>`);
        assert.match(mail, /^451 4\.7\.0 o365-notify cannot send through Microsoft 365 yet \(nobody has signed in yet\): messages are taken again once it can; run `o365-notify login`/);
        s.close();
      } finally {
        await unsigned.close();
      }
    } finally {
      await fresh.cleanup();
    }
  });
});
