import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { issueGraphAccessToken } from '../../packages/emulator/src/access-token.js';
import { runCli } from '../support/cli.js';
import { appOnlyHome, mailReadWriteSeed } from '../support/app-only.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

/**
 * Issue 13.14: Graph's "4 MB" request limit is reported both as 4,000,000 and as 4,194,304 bytes; the
 * emulator refuses above 4,000,000 and the product plans against it. An attachment of 2.95 MiB is
 * 4,124,000 bytes as base64: one sendMail under 4 MiB, over 4,000,000. The product must send it
 * through a draft and an upload session (Outlook takes sessions from 2 MiB as measured,
 * msgraph-sdk-java#52), not as one request Graph answers 413.
 */

const SENDER = `alerts@${DEMO_DOMAIN}`;
const TEAM = `it-team@${DEMO_DOMAIN}`;
const MiB = 1024 * 1024;

describe('the 4 MB request limit read as 4,000,000 bytes (issue 13.14)', () => {
  let emu: TestEmulator;
  let home: { home: string; cleanup: () => Promise<void> };
  before(async () => {
    emu = await startTestEmulator({ seed: mailReadWriteSeed() });
    home = await appOnlyHome(emu, { sender: SENDER, to: TEAM });
  });
  after(async () => {
    await home?.cleanup();
    await emu?.stop();
  });

  it('emulator: a sendMail of 4,000,000 bytes is taken, one byte more is 413 "The maximum request length supported is 4MB."', async () => {
    const { token } = await issueGraphAccessToken(emu.context, { app: emu.context.directory.findApp(DEMO_APPS.appOnly)!, tenantId: DEMO_TENANT_ID, roles: ['Mail.Send'] });
    const bodyOf = (bytes: number) => {
      const shell = JSON.stringify({ message: { subject: 'limit', body: { contentType: 'Text', content: '' }, toRecipients: [{ emailAddress: { address: TEAM } }] } });
      const body = shell.replace('"content":""', `"content":"${'x'.repeat(bytes - shell.length)}"`);
      assert.equal(Buffer.byteLength(body), bytes);
      return body;
    };
    const send = (bytes: number) => emu.call('POST', `/v1.0/users/${SENDER}/sendMail`, bodyOf(bytes), { authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    assert.equal((await send(4_000_000)).status, 202);
    const over = await send(4_000_001);
    assert.equal(over.status, 413, over.text);
    assert.deepEqual([over.json().error.code, over.json().error.message], ['BadRequest', 'The maximum request length supported is 4MB.']);
  });

  it('product: `send` of a 2.95 MiB attachment (under 4 MiB as one sendMail, over 4,000,000) goes through an upload session and arrives whole', async () => {
    const file = join(home.home, 'verify.log');
    const content = randomBytes(Math.round(2.95 * MiB));
    await writeFile(file, content);
    const r = await runCli(['--json', 'send', '--to', TEAM, '--subject', 'Verification log', '--text', 'Attached.', '--attach', file], { home: home.home });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(JSON.parse(r.stdout).path, 'draft');
    const inbox = (await emu.call('GET', `/_emulator/mailboxes/${TEAM}/messages?folder=inbox`)).json() as { subject: string; attachments: { name: string; sha256: string }[] }[];
    const [mail] = inbox.filter((m) => m.subject === 'Verification log');
    assert.ok(mail, 'delivered');
    assert.deepEqual(mail.attachments.map((a) => [a.name, a.sha256]), [['verify.log', createHash('sha256').update(content).digest('hex')]]);
    const stats = (await emu.call('GET', '/_emulator/stats')).json();
    assert.ok((stats.requestsByEndpoint['graph.createUploadSession'] ?? 0) >= 1, 'an upload session was used');
  });
});
