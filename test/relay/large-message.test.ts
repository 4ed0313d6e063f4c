import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DEMO_DOMAIN } from '../../packages/emulator/src/index.js';
import type { TestEmulator } from '../support/emulator.js';
import { appOnlyHome, mailReadWriteSeed } from '../support/app-only.js';
import { SENDER, TEAM, configureHome, unthrottle, waitFor } from '../server/helpers.js';
import type { RunningService } from '../../src/server/index.js';
import { mailer, receivedBy, startRelayService } from './support.js';

describe('SMTP relay: a message over Graph\'s 4 MB request limit (app-only with Mail.ReadWrite)', () => {
  let emu: TestEmulator;
  let svc: RunningService;
  let close: (() => Promise<void>) | undefined;

  before(async () => {
    ({ emu, svc, close } = await startRelayService({
      emulator: { seed: mailReadWriteSeed() },
      home: async (emulator) => {
        await unthrottle(emulator);
        const home = await appOnlyHome(emulator, { sender: SENDER, to: TEAM });
        await configureHome(home.home);
        return home;
      },
    }));
  });
  after(() => close?.());

  it('goes through a draft and an upload session with its attachment, both bodies and the envelope rule', async () => {
    const t = await mailer(svc.relay!.port, svc.relay!.certificatePath);
    const subject = `large ${Date.now()}`;
    const big = Buffer.alloc(6 * 1024 * 1024, 3);
    await t.sendMail({
      envelope: { from: SENDER, to: [TEAM] },
      from: `Backup Box <nas@${DEMO_DOMAIN}>`,
      to: TEAM,
      cc: `header-only@${DEMO_DOMAIN}`,
      subject,
      text: 'see the log',
      html: '<p>see the <b>log</b></p>',
      attachments: [{ filename: 'big.bin', content: big }],
    });
    t.close();
    const m = await waitFor(async () => (await receivedBy(emu, subject)).get(TEAM), 'the large message arrived', 60_000).catch((err) => {
      const rows = svc.store.outbox.page({ limit: 3 }).map((r) => [r.subject, r.status, r.lastError]);
      throw new Error(`${(err as Error).message}: ${JSON.stringify(rows)}`);
    });
    assert.equal(m.via, 'draft');
    assert.deepEqual(m.attachments.map((a: any) => [a.name, a.size]), [['big.bin', big.length]]);
    assert.equal(m.body.contentType, 'html');
    assert.deepEqual(m.ccRecipients, [], 'the header-only Cc was dropped');
    assert.equal(m.from.address, SENDER, 'fromPolicy rewrite');
    assert.deepEqual(m.replyTo.map((r: any) => r.address), [`nas@${DEMO_DOMAIN}`]);
  });

  it('keeps inline cid: images (a small one in the MIME draft, a 3.5 MB one through an upload session) and the text/HTML alternatives', async () => {
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const t = await mailer(svc.relay!.port, svc.relay!.certificatePath);
    const subject = `large inline ${Date.now()}`;
    const chart = Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 31) % 256));
    const photo = Buffer.from(Array.from({ length: 3_500_000 }, (_, i) => (i * 13) % 251));
    const log = Buffer.alloc(5 * 1024 * 1024, 'backup log line\n');
    const html = '<p>Verification failed on <b>SERVER01</b></p><img src="cid:chart@relay.test"><img src="cid:photo@relay.test">';
    await t.sendMail({
      from: SENDER,
      to: TEAM,
      subject,
      text: 'Verification failed on SERVER01 (the charts are in the HTML version)',
      html,
      attachments: [
        { filename: 'chart.png', content: chart, contentType: 'image/png', cid: 'chart@relay.test' },
        { filename: 'photo.jpg', content: photo, contentType: 'image/jpeg', cid: 'photo@relay.test' },
        { filename: 'verify.log', content: log, contentType: 'text/plain' },
      ],
    });
    t.close();
    const m = await waitFor(async () => (await receivedBy(emu, subject)).get(TEAM), 'the large message with inline images arrived', 60_000);
    assert.equal(m.via, 'draft');
    assert.deepEqual(m.body, { contentType: 'html', content: html }, 'the HTML alternative arrived as sent');
    const byName = new Map(m.attachments.map((a: any) => [a.name, a]));
    assert.deepEqual([...byName.keys()].sort(), ['chart.png', 'photo.jpg', 'verify.log'], 'nothing else (the text alternative did not turn into an attachment)');
    const summary = (a: any) => ({ isInline: a.isInline, contentId: a.contentId, contentType: a.contentType, size: a.size, sha256: a.sha256 });
    assert.deepEqual(summary(byName.get('chart.png')), { isInline: true, contentId: 'chart@relay.test', contentType: 'image/png', size: chart.length, sha256: sha(chart) });
    assert.deepEqual(summary(byName.get('photo.jpg')), { isInline: true, contentId: 'photo@relay.test', contentType: 'image/jpeg', size: photo.length, sha256: sha(photo) });
    assert.deepEqual(summary(byName.get('verify.log')), { isInline: false, contentId: null, contentType: 'text/plain', size: log.length, sha256: sha(log) });
  });
});
