import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { serviceStorePath } from '../../src/server/index.js';
import type { TestEmulator } from '../support/emulator.js';
import { SENDER, TEAM, waitFor } from '../server/helpers.js';
import { seededRandom, type ServiceProcess } from '../reliability/support.js';
import { receivedBy, startRelayProcess, type TempHome } from './support.js';
import { RawSmtp } from './smtp-session.js';

/** Hostile SMTP sessions against the real service process: none may crash it or corrupt the store. */
describe('hostile SMTP sessions', () => {
  let emu: TestEmulator;
  let home: TempHome;
  let svc: ServiceProcess;
  let port: number;
  let close: (() => Promise<void>) | undefined;

  before(async () => {
    ({ emu, home, svc, port, close } = await startRelayProcess({
      users: [{ name: 'imagemanager', password: 'the-real-password' }],
      env: { O365_NOTIFY_SMTP_MAX_CONNECTIONS_PER_CLIENT: '50' },
    }));
  });
  after(() => close?.());

  const session = async () => {
    const s = await RawSmtp.connect(port);
    assert.match(await s.reply(), /^220 /);
    return s;
  };

  it('bad commands, bad order and NUL bytes get 5xx replies with enhanced codes', async () => {
    const s = await session();
    assert.match(await s.command('FOO bar'), /^500 5\.5\.2/);
    assert.match(await s.command('RCPT TO:<a@contoso.com>'), /^503 5\.5\.1/);
    assert.match(await s.command(Buffer.from('EHL\0O x\r\n')), /^5\d\d /);
    assert.match(await s.command('EHLO fuzz'), /^250/);
    assert.match(await s.command('MAIL FROM:<a@contoso.com> SIZE=60000000'), /^552 5\.3\.4/);
    s.close();
  });

  it('a 1 MB line without CRLF is refused and the connection dropped; the service lives on', async () => {
    const s = await session();
    s.socket.write('X'.repeat(1024 * 1024));
    const answer = await s.reply(20_000).catch(() => '');
    assert.ok(answer === '' || /^(421 4\.4\.2|5\d\d) /.test(answer), answer);
    s.close();
  });

  it('a 50 MB body is drained and refused with 552 5.3.4; nothing of it stays in the spool', async () => {
    const s = await session();
    await s.command('EHLO big');
    assert.match(await s.command(`MAIL FROM:<${SENDER}>`), /^250/);
    assert.match(await s.command(`RCPT TO:<${TEAM}>`), /^250/);
    assert.match(await s.command('DATA'), /^354/);
    s.socket.write(`Subject: big\r\nFrom: ${SENDER}\r\n\r\n`);
    const chunk = Buffer.from(('y'.repeat(998) + '\r\n').repeat(1000));
    for (let sent = 0; sent < 50 * 1024 * 1024; sent += chunk.length) {
      if (!s.socket.write(chunk)) await new Promise((r) => s.socket.once('drain', r));
    }
    assert.match(await s.command('.'), /^552 5\.3\.4/);
    s.close();
    const spool = await readdir(join(home.home, 'relay-spool'));
    assert.deepEqual(spool, []);
  });

  it('AUTH guessing locks the client out after 5 failures (454 4.7.0 naming the settings), even for the right password', async () => {
    const s = await session();
    await s.command('EHLO guess');
    for (let i = 0; i < 5; i++) {
      const plain = Buffer.from(`\0imagemanager\0guess-${i}`).toString('base64');
      assert.match(await s.command(`AUTH PLAIN ${plain}`), /^535 5\.7\.8/);
    }
    const right = Buffer.from('\0imagemanager\0the-real-password').toString('base64');
    const locked = await s.command(`AUTH PLAIN ${right}`);
    assert.match(locked, /^454 4\.7\.0 Too many failed AUTH attempts from 127\.0\.0\.1 \(5, smtp\.authFailuresBeforeLockout\): locked out until \d\d:\d\d UTC \(smtp\.lockoutMinutes\)/);
    s.close();
  });

  it('a slow client within the timeouts is served; 300 seeded random sessions crash nothing', async () => {
    const slow = await session();
    await slow.command('EHLO slow');
    await slow.command(`MAIL FROM:<${SENDER}>`);
    await slow.command(`RCPT TO:<${TEAM}>`);
    await slow.command('DATA');
    const text = `From: ${SENDER}\r\nSubject: hostile slow\r\n\r\nslowly\r\n.\r\n`;
    for (const ch of text) {
      slow.socket.write(ch);
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.match(await slow.reply(), /^250 /);
    slow.close();

    const random = seededRandom(11);
    const verbs = ['EHLO', 'HELO', 'MAIL FROM:', 'RCPT TO:', 'DATA', 'RSET', 'NOOP', 'AUTH', 'STARTTLS', 'VRFY', 'QUIT', 'BDAT'];
    for (let i = 0; i < 300; i++) {
      const s = await RawSmtp.connect(port);
      const lines = 1 + Math.floor(random() * 6);
      for (let j = 0; j < lines; j++) {
        const verb = verbs[Math.floor(random() * verbs.length)]!;
        const junk = Buffer.from(Array.from({ length: Math.floor(random() * 80) }, () => Math.floor(random() * 256)));
        s.socket.write(Buffer.concat([Buffer.from(verb + ' '), junk, Buffer.from('\r\n')]));
      }
      s.close();
    }
    await waitFor(async () => (await receivedBy(emu, 'hostile slow')).get(TEAM), 'the slow message arrived');
    const health = await fetch(`${svc.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(svc.child.exitCode, null, 'the service is still running');
    const store = openStore(serviceStorePath(home.home));
    try {
      assert.deepEqual(store.integrityCheck(), { ok: true, problems: [] });
    } finally {
      store.close();
    }
  });
});
