import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { TestEmulator } from '../support/emulator.js';
import { runCli } from '../support/cli.js';
import { ADMIN, SENDER, TEAM, waitFor } from '../server/helpers.js';
import { mailer, receivedBy, startRelayProcess, type TempHome } from './support.js';
import { RawSmtp } from './smtp-session.js';
import { DEVICE_CORPUS } from './corpus.js';

const run = promisify(execFile);
const PASSWORD = 'imagemanager-relay-pass';

describe('real SMTP clients against the real `serve` process (STARTTLS, AUTH), delivered by Graph', () => {
  let emu: TestEmulator;
  let home: TempHome;
  let port: number;
  let cert: string;
  let close: (() => Promise<void>) | undefined;

  before(async () => {
    ({ emu, home, port, cert, close } = await startRelayProcess({ users: [{ name: 'imagemanager', password: PASSWORD }] }));
  });
  after(() => close?.());

  it('nodemailer: STARTTLS + AUTH LOGIN/PLAIN, text + HTML + attachment', async () => {
    const t = await mailer(port, cert, { user: 'imagemanager', pass: PASSWORD });
    const subject = `nodemailer ${Date.now()}`;
    const info = await t.sendMail({ from: SENDER, to: TEAM, subject, text: 'plain', html: '<p>html</p>', attachments: [{ filename: 'a.bin', content: Buffer.alloc(50_000, 7) }] });
    t.close();
    assert.match(info.response, /^250 /);
    const got = await waitFor(async () => (await receivedBy(emu, subject)).get(TEAM), 'it-team@ received it');
    assert.equal(got.attachments[0].size, 50_000);
  });

  it("Python's smtplib: starttls (certificate verified) + login, only-Bcc message", async () => {
    const subject = `smtplib ${Date.now()}`;
    const script = `
import smtplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20)
s.ehlo(); s.starttls(context=ctx); s.ehlo(); s.login('imagemanager', sys.argv[3])
msg = "From: %s\\r\\nTo: undisclosed-recipients:;\\r\\nSubject: %s\\r\\n\\r\\nonly bcc\\r\\n" % (sys.argv[4], sys.argv[5])
print(s.sendmail(sys.argv[4], [sys.argv[6], sys.argv[7]], msg)); s.quit()
`;
    const out = await run('/usr/bin/python3', ['-c', script, String(port), cert, PASSWORD, SENDER, subject, TEAM, ADMIN]);
    assert.equal(out.stdout.trim(), '{}');
    const got = await waitFor(async () => {
      const r = await receivedBy(emu, subject);
      return r.size === 2 ? r : undefined;
    }, 'both Bcc recipients got it');
    for (const m of got.values()) assert.deepEqual(m.bccRecipients, []);
  });

  it('swaks: STARTTLS + AUTH PLAIN, and a wrong password gets 535 5.7.8', async () => {
    const subject = `swaks ${Date.now()}`;
    const ok = await run('swaks', ['--server', `127.0.0.1:${port}`, '--tls', '--auth', 'PLAIN', '--auth-user', 'imagemanager', '--auth-password', PASSWORD,
      '--from', SENDER, '--to', TEAM, '--header', `Subject: ${subject}`, '--body', 'from swaks', '--timeout', '20']);
    assert.match(ok.stdout, /<~ +250 /);
    await waitFor(async () => (await receivedBy(emu, subject)).get(TEAM), 'it-team@ received the swaks message');
    const bad = await run('swaks', ['--server', `127.0.0.1:${port}`, '--tls', '--auth', 'LOGIN', '--auth-user', 'imagemanager', '--auth-password', 'wrong',
      '--from', SENDER, '--to', TEAM, '--timeout', '20']).catch((e: { stdout: string }) => e);
    assert.match(bad.stdout, /535 5\.7\.8 Authentication failed: the user name or password is wrong/);
  });

  it('device-style corpus: every sample is accepted, repaired where needed, and arrives', async () => {
    for (const sample of DEVICE_CORPUS) {
      const s = await RawSmtp.connect(port);
      assert.match(await s.reply(), /^220 /);
      assert.match(await s.command('EHLO device.local'), /^250/);
      const answer = await s.send(sample.envelopeFrom ?? SENDER, [TEAM], sample.raw);
      s.close();
      assert.match(answer, /^250 /, `${sample.name}: ${answer}`);
      const got = await waitFor(async () => (await receivedBy(emu, sample.expectSubject)).get(TEAM), `${sample.name} arrived`);
      sample.check?.(got);
    }
  });

  it('`smtp test` sends through the running relay; `status` shows the relay', async () => {
    const env = { PATH: process.env.PATH, HOME: home.home, O365_NOTIFY_KEYRING: 'off', O365_NOTIFY_SMTP_PORT: String(port) };
    const t = await runCli(['smtp', 'test', '--to', ADMIN], { home: home.home, env });
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /accepted the test message/);
    await waitFor(async () => (await receivedBy(emu, 'o365-notify SMTP relay test')).get(ADMIN), 'the test message arrived');
    const st = await runCli(['status'], { home: home.home, env: { ...env, O365_NOTIFY_SMTP_ENABLED: 'true' } });
    assert.match(st.stdout, new RegExp(`SMTP relay +on, 127\\.0\\.0\\.1 port ${port}`));
    assert.match(st.stdout, /Relayed messages/);
    assert.ok(!st.stdout.includes(PASSWORD));
  });

  it('refusals name the fix: a sender address without a domain is 553 5.1.7', async () => {
    const s = await RawSmtp.connect(port);
    await s.reply();
    await s.command('EHLO x');
    assert.match(await s.command('MAIL FROM:<printer@localhost>'), /^553 5\.1\.7 Sender address printer@localhost is not a valid e-mail address: set a full address/);
    s.close();
  });
});
