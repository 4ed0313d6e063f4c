import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningService } from '../../src/server/index.js';
import type { TestEmulator } from '../support/emulator.js';
import { ADMIN, SENDER, TEAM, waitFor } from '../server/helpers.js';
import { mailer, receivedBy, startRelayService } from './support.js';
import { RawSmtp } from './smtp-session.js';

const PASSWORD = 'relay-user-password';
const PER_MINUTE = 3;
const MAX_CONNECTIONS = 3;

/** What nodemailer reports for a refused message: the server's reply line. */
const refusal = (pattern: RegExp) => (err: { response?: string }) => {
  assert.match(err.response ?? '', pattern);
  return true;
};

/**
 * Per-user allow lists, smtp.fromPolicy reject and the limits, through nodemailer and raw
 * sessions against the service's listener: every refusal is an SMTP reply with an enhanced
 * status code and names the setting (or command) that changes it.
 */
describe('SMTP relay policy: per-user allow lists, fromPolicy reject, rate and connection limits', () => {
  let emu: TestEmulator;
  let svc: RunningService;
  let close: (() => Promise<void>) | undefined;

  before(async () => {
    ({ emu, svc, close } = await startRelayService({
      users: [
        { name: 'nas', password: PASSWORD, allowedFrom: [SENDER], allowedRecipients: [TEAM] },
        ...['printer', 'burst', 'other'].map((name) => ({ name, password: PASSWORD })),
      ],
      smtp: { fromPolicy: 'reject', messagesPerMinute: PER_MINUTE, maxConnectionsPerClient: MAX_CONNECTIONS },
    }));
  });
  after(() => close?.());

  const as = (user: string) => mailer(svc.relay!.port, svc.relay!.certificatePath, { user, pass: PASSWORD });
  /** Refused before the commit: no outbox row carries the subject. */
  const stored = (subject: string) => svc.store.outbox.page({ limit: 500 }).some((r) => r.subject === subject);

  it("a user's allowed recipients: the listed one gets it, another is refused at RCPT naming the user's list", async () => {
    const t = await as('nas');
    const subject = `nas allowed ${Date.now()}`;
    const info = await t.sendMail({ from: SENDER, to: [TEAM, ADMIN], subject, text: 'backup verified' });
    assert.deepEqual(info.accepted, [TEAM]);
    assert.deepEqual(info.rejected, [ADMIN]);
    const rcpt = (info.rejectedErrors?.[0] as { response?: string } | undefined)?.response ?? '';
    assert.match(rcpt, new RegExp(`^550 5\\.7\\.1 Recipient ${ADMIN} is not allowed for SMTP user nas, which may send to ${TEAM}: change the user's list with \`o365-notify smtp user add nas --allow-to`));
    const got = await waitFor(async () => {
      const r = await receivedBy(emu, subject);
      return r.has(TEAM) ? r : undefined;
    }, 'the allowed recipient got it');
    assert.deepEqual([...got.keys()], [TEAM], 'the refused recipient got nothing');
    t.close();
  });

  it("a user's allowed senders: another envelope sender is refused at MAIL FROM naming --allow-from", async () => {
    const t = await as('nas');
    const subject = `nas sender ${Date.now()}`;
    await assert.rejects(
      t.sendMail({ from: ADMIN, to: TEAM, subject, text: 'x' }),
      refusal(new RegExp(`^550 5\\.7\\.1 Sender ${ADMIN} is not allowed for SMTP user nas, which may send from ${SENDER}: .*--allow-from`)),
    );
    t.close();
    assert.equal(stored(subject), false);
  });

  it('a user without lists may send to anyone (the lists are per user)', async () => {
    const t = await as('printer');
    const subject = `printer any ${Date.now()}`;
    await t.sendMail({ from: SENDER, to: ADMIN, subject, text: 'toner low' });
    t.close();
    await waitFor(async () => (await receivedBy(emu, subject)).get(ADMIN), 'admin@ got the unrestricted user\'s message');
  });

  it('fromPolicy reject: another envelope sender gets 550 5.7.1 at MAIL FROM, another header From at the end of DATA', async () => {
    const t = await as('printer');
    const subject = `reject ${Date.now()}`;
    await assert.rejects(
      t.sendMail({ from: ADMIN, to: TEAM, subject, text: 'x' }),
      refusal(new RegExp(`^550 5\\.7\\.1 Sender ${ADMIN} is not ${SENDER}, and smtp\\.fromPolicy is reject: send as ${SENDER}, or set smtp\\.fromPolicy to rewrite \\(or send-as, after giving ${SENDER} "Send As" rights in the Exchange admin center > Recipients > Mailboxes > Delegation\\)`)),
    );
    // The envelope is the mailbox, the header From is not: refused once the header is read.
    await assert.rejects(
      t.sendMail({ envelope: { from: SENDER, to: [TEAM] }, from: `Boss <${ADMIN}>`, to: TEAM, subject, text: 'x' }),
      (err: { response?: string; command?: string }) => {
        assert.match(err.response ?? '', new RegExp(`^550 5\\.7\\.1 Sender ${ADMIN} is not ${SENDER}, and smtp\\.fromPolicy is reject`));
        assert.equal(err.command, 'DATA');
        return true;
      },
    );
    t.close();
    assert.equal(stored(subject), false, 'neither refused message was stored');
  });

  it(`smtp.messagesPerMinute per user: message ${PER_MINUTE + 1} in a minute gets 451 4.7.1 naming the setting; another user is not held up`, async () => {
    const t = await as('burst');
    for (let i = 0; i < PER_MINUTE; i++) await t.sendMail({ from: SENDER, to: TEAM, subject: `burst ${i}`, text: 'x' });
    await assert.rejects(
      t.sendMail({ from: SENDER, to: TEAM, subject: 'burst over', text: 'x' }),
      refusal(new RegExp(`^451 4\\.7\\.1 SMTP user burst sent more than ${PER_MINUTE} messages in the last minute: try again shortly, or raise smtp\\.messagesPerMinute`)),
    );
    t.close();
    const other = await as('other');
    const info = await other.sendMail({ from: SENDER, to: TEAM, subject: 'other user', text: 'x' });
    assert.match(info.response, /^250 /);
    other.close();
  });

  it(`smtp.maxConnectionsPerClient: connection ${MAX_CONNECTIONS + 1} from one address gets 421 4.7.0 naming the setting, and a freed slot is usable again`, async () => {
    await waitFor(() => svc.relay!.connections() === 0, 'earlier connections closed');
    const open: RawSmtp[] = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++) {
      const s = await RawSmtp.connect(svc.relay!.port);
      assert.match(await s.reply(), /^220 /);
      open.push(s);
    }
    const extra = await RawSmtp.connect(svc.relay!.port);
    assert.match(await extra.reply(), new RegExp(`^421 4\\.7\\.0 Too many connections from 127\\.0\\.0\\.1 \\(more than ${MAX_CONNECTIONS} at once\\): try again later, or raise smtp\\.maxConnectionsPerClient`));
    assert.equal(await extra.reply(), '', 'the server closed the extra connection');
    // The refused connection took no slot, so its end frees none: the next one is refused too.
    const second = await RawSmtp.connect(svc.relay!.port);
    assert.match(await second.reply(), /^421 4\.7\.0 Too many connections/);
    assert.equal(await second.reply(), '');
    assert.equal(svc.relay!.connections(), MAX_CONNECTIONS);
    open.pop()!.close();
    await waitFor(() => svc.relay!.connections() < MAX_CONNECTIONS, 'the closed connection is counted out');
    const again = await RawSmtp.connect(svc.relay!.port);
    assert.match(await again.reply(), /^220 /);
    for (const s of [...open, again]) s.close();
  });

  it('without AUTH the limit is per client address (loopback needs no AUTH by default)', async () => {
    const t = await mailer(svc.relay!.port, svc.relay!.certificatePath);
    for (let i = 0; i < PER_MINUTE; i++) await t.sendMail({ from: SENDER, to: TEAM, subject: `anonymous ${i}`, text: 'x' });
    await assert.rejects(
      t.sendMail({ from: SENDER, to: TEAM, subject: 'anonymous over', text: 'x' }),
      refusal(new RegExp(`^451 4\\.7\\.1 Client 127\\.0\\.0\\.1 sent more than ${PER_MINUTE} messages in the last minute: .*smtp\\.messagesPerMinute`)),
    );
    t.close();
  });
});
