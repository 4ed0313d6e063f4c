import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { smtpOptions } from '../../src/config/index.js';
import { MAX_OPEN_MESSAGES } from '../../src/relay/index.js';
import { relayCertificate } from '../../src/relay/certificate.js';
import { startRelayListener, type RelayListener } from '../../src/relay/listener.js';
import { openStore, type Store } from '../../src/store/index.js';
import { tempHome } from '../support/cli.js';
import { SENDER, TEAM, waitFor } from '../server/helpers.js';
import { mailer } from './support.js';

/**
 * The temporary refusals (4xx: the sender keeps the message and tries again) that need a full
 * outbox or a failing store: the listener alone on a real socket with a real store, nodemailer
 * as the client.
 */
describe('SMTP relay: a full outbox and a failing store are 4xx, and leave nothing behind', () => {
  let home: { home: string; cleanup: () => Promise<void> };
  let store: Store;
  let listener: RelayListener;
  let open = 0;
  let failAccept = false;

  before(async () => {
    home = await tempHome();
    store = openStore(join(home.home, 'store.db'));
    const relay = store.relay;
    const failing = Object.create(relay) as typeof relay;
    failing.accept = async (m) => {
      if (failAccept) throw new Error('SQLITE_FULL: database or disk is full');
      return relay.accept(m);
    };
    listener = await startRelayListener({
      home: home.home,
      smtp: smtpOptions({ port: 0 }),
      relay: failing,
      certificate: await relayCertificate(home.home),
      identity: async () => ({ mailbox: SENDER, canSend: true }),
      openMessages: async () => open,
      fsync: false,
    });
  });
  after(async () => {
    await listener?.close();
    store?.close();
    await home?.cleanup();
  });

  const send = async (size: number) => {
    const t = await mailer(listener.port, join(home.home, 'relay-tls', 'relay-cert.pem'));
    try {
      return await t.sendMail({ from: SENDER, to: TEAM, subject: 'temporary', text: 'x'.repeat(size) });
    } finally {
      t.close();
    }
  };

  it(`${MAX_OPEN_MESSAGES} open messages: 452 4.3.1 at the end of DATA, naming \`o365-notify status\``, async () => {
    open = MAX_OPEN_MESSAGES;
    await assert.rejects(send(10), (err: { response?: string }) => {
      assert.match(err.response ?? '', new RegExp(`^452 4\\.3\\.1 The relay's outbox is full \\(${MAX_OPEN_MESSAGES} messages waiting to be sent\\): try again later; \`o365-notify status\` says why they are waiting`));
      return true;
    });
    open = 0;
    assert.match((await send(10)).response, /^250 2\.6\.0 Queued as/);
  });

  it('the store refuses the commit: 451 4.3.0, and the spool file of a large message is removed', async () => {
    failAccept = true;
    await assert.rejects(send(600 * 1024), (err: { response?: string }) => {
      assert.match(err.response ?? '', /^451 4\.3\.0 The message could not be stored \(local error\): try again later; the relay's log says why/);
      return true;
    });
    failAccept = false;
    const spool = join(home.home, 'relay-spool');
    // The clean-up runs right after the reply.
    await waitFor(async () => (await readdir(spool)).length === 0, 'the uncommitted spool file is removed');
    assert.equal(store.outbox.page({ limit: 10 }).filter((r) => r.kind === 'relay').length, 1, 'only the message of the first test was stored');
  });
});
