import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID, defaultSeed } from '../../src/emulator/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { runCli, tempHome } from '../support/cli.js';
import { SENDER, TEAM, configureHome, startTestService, unthrottle, waitFor } from '../server/helpers.js';
import type { RunningService } from '../../src/server/index.js';
import { mailer, receivedBy } from './support.js';

describe('SMTP relay: a message over Graph\'s 4 MB request limit (app-only with Mail.ReadWrite)', () => {
  let emu: TestEmulator;
  let home: { home: string; cleanup: () => Promise<void> };
  let svc: RunningService;

  before(async () => {
    const seed = defaultSeed();
    const app = seed.apps!.find((a) => a.clientId === DEMO_APPS.appOnly)!;
    app.applicationPermissions = ['Mail.Send', 'Mail.ReadWrite'];
    app.consent = [{ tenant: DEMO_DOMAIN, application: ['Mail.Send', 'Mail.ReadWrite'] }];
    emu = await startTestEmulator({ seed });
    await unthrottle(emu);
    home = await tempHome();
    const secret = emu.seededSecrets.find((s) => s.clientId === DEMO_APPS.appOnly)!;
    const setup = await runCli(
      ['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, '--account-type', 'single-tenant', '--client-id', DEMO_APPS.appOnly,
        '--tenant-id', DEMO_TENANT_ID, '--auth', 'app-only', '--sender', SENDER, '--to', TEAM, '--client-secret-stdin'],
      { home: home.home, stdin: secret.value },
    );
    assert.equal(setup.code, 0, setup.stderr);
    await configureHome(home.home);
    ({ svc } = await startTestService(home.home, { smtpPort: 0 }));
  });
  after(async () => {
    await svc?.close();
    await home?.cleanup();
    await emu?.stop();
  });

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
});
