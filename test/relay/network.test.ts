import assert from 'node:assert/strict';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import type { SmtpSettings } from '../../src/config/index.js';
import type { RunningService } from '../../src/server/index.js';
import type { TestEmulator } from '../support/emulator.js';
import { SENDER, TEAM, startTestService, waitFor } from '../server/helpers.js';
import { queuedId, receivedBy, relayHome, saveSmtpSettings, type TempHome } from './support.js';
import { RawSmtp } from './smtp-session.js';

const PASSWORD = 'relay-user-password';

/** A non-loopback IPv4 address of this machine: connecting from it is a client "from the network". */
function localNetworkAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

const lanIp = localNetworkAddress();

/** A raw SMTP session from `lanIp` to the relay listening on 0.0.0.0. */
async function fromLan(port: number): Promise<RawSmtp> {
  const socket = net.connect({ host: lanIp!, port, localAddress: lanIp! });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return RawSmtp.wrap(socket);
}

describe('SMTP relay from a non-loopback address (the listener on 0.0.0.0)', { skip: lanIp ? false : 'this machine has no non-loopback IPv4 address to connect from' }, () => {
  let emu: TestEmulator;
  let home: TempHome;
  let close: (() => Promise<void>) | undefined;
  let svc: RunningService | undefined;

  const restart = async (smtp: SmtpSettings) => {
    await svc?.close();
    await saveSmtpSettings(home.home, { host: '0.0.0.0', ...smtp });
    ({ svc } = await startTestService(home.home, { smtpPort: 0 }));
    return svc!;
  };

  before(async () => {
    ({ emu, home, close } = await relayHome({ users: [{ name: 'imagemanager', password: PASSWORD }] }));
  });
  after(async () => {
    await svc?.close();
    await close?.();
  });

  it('a client outside smtp.allowedClients (default: loopback only) is refused at connect with 554 5.7.1 naming the setting', async () => {
    const s = await restart({});
    const c = await fromLan(s.relay!.port);
    assert.match(await c.reply(), new RegExp(`^554 5\\.7\\.1 Client ${lanIp!.replace(/\./g, '\\.')} is not allowed to use this relay: add it \\(or its network, e\\.g\\. 192\\.168\\.1\\.0/24\\) to smtp\\.allowedClients`));
    assert.equal(await c.reply(), '', 'the connection is closed');
    c.close();
    // Loopback is always allowed.
    const local = await RawSmtp.connect(s.relay!.port);
    assert.match(await local.reply(), /^220 /);
    local.close();
  });

  it('an allowed network client: AUTH and MAIL before STARTTLS get 530 5.7.0; after STARTTLS, MAIL without AUTH gets 530 5.7.0', async () => {
    const s = await restart({ allowedClients: [`${lanIp}/32`] });
    const c = await fromLan(s.relay!.port);
    assert.match(await c.reply(), /^220 /);
    assert.match(await c.command('EHLO imagemanager'), /STARTTLS/);
    const plain = Buffer.from(`\0imagemanager\0${PASSWORD}`).toString('base64');
    const auth = await c.command(`AUTH PLAIN ${plain}`);
    assert.match(auth, /^530 5\.7\.0 Must issue a STARTTLS command first: AUTH would send the password in clear text\. Set the sender's SMTP security to STARTTLS .*smtp\.plainClients/);
    assert.match(await c.command(`MAIL FROM:<${SENDER}>`), /^530 5\.7\.0 Must issue a STARTTLS command first: .*smtp\.plainClients/);
    c.close();

    const ca = await readFile(s.relay!.certificatePath, 'utf8');
    const anonymous = nodemailer.createTransport({ host: lanIp, port: s.relay!.port, localAddress: lanIp, requireTLS: true, tls: { ca, servername: 'localhost' } });
    await assert.rejects(anonymous.sendMail({ from: SENDER, to: TEAM, subject: 'no auth', text: 'x' }), (err: { response?: string }) => {
      assert.match(err.response ?? '', /^530 5\.7\.0 Authentication required: enter an SMTP user name and password in the sender's settings \(create one with `o365-notify smtp user add NAME`\)/);
      return true;
    });
    anonymous.close();
  });

  it('an allowed network client with STARTTLS and AUTH is relayed through Graph', async () => {
    const s = svc!;
    const ca = await readFile(s.relay!.certificatePath, 'utf8');
    const t = nodemailer.createTransport({ host: lanIp, port: s.relay!.port, localAddress: lanIp, requireTLS: true, auth: { user: 'imagemanager', pass: PASSWORD }, tls: { ca, servername: 'localhost' } });
    const subject = `from the network ${Date.now()}`;
    const info = await t.sendMail({ from: SENDER, to: TEAM, subject, text: 'ImageManager on another host' });
    t.close();
    assert.match(info.response, /^250 2\.6\.0 Queued as/);
    await waitFor(async () => (await receivedBy(emu, subject)).get(TEAM), 'the network client\'s message arrived');
    assert.equal((await s.store.relay.get(queuedId(info.response)))?.clientAddress, lanIp);
  });
});
