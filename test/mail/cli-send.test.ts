import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { runCli, signedInHome } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

const SENDER = `alerts@${DEMO_DOMAIN}`;
const TEAM = `it-team@${DEMO_DOMAIN}`;

describe('test and send through the configured path (CLI, against the emulator)', () => {
  let emu: TestEmulator;
  let home: string;
  let cleanup: () => Promise<void>;

  before(async () => {
    emu = await startTestEmulator();
    ({ home, cleanup } = await signedInHome(emu, { clientId: DEMO_APPS.singleTenant, tenantId: DEMO_TENANT_ID, upn: SENDER, to: TEAM }));
  });
  after(async () => {
    await emu.stop();
    await cleanup();
  });

  async function inbox(upn: string): Promise<any[]> {
    return (await emu.call('GET', `/_emulator/mailboxes/${upn}/messages?folder=inbox`)).json();
  }

  it('`test` sends a real e-mail saying what was checked, to the configured recipients', async () => {
    const r = await runCli(['test'], { home });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Accepted by Microsoft Graph/);
    const [mail] = (await inbox(TEAM)).filter((m) => /test e-mail/.test(m.subject));
    assert.ok(mail, 'the test e-mail is in the recipient mailbox');
    assert.equal(mail.from.address, SENDER);
    assert.match(mail.body.content, /Mail\.Send/);
    assert.match(mail.body.content, new RegExp(DEMO_TENANT_ID));
    assert.ok(mail.internetMessageHeaders.some((h: { name: string }) => h.name.toLowerCase() === 'x-o365-notify-id'));
  });

  it('`send` delivers text, cc and a small attachment byte-identical', async () => {
    const dir = home;
    const file = join(dir, 'report.csv');
    const content = randomBytes(200_000);
    await writeFile(file, content);
    const r = await runCli(['--json', 'send', '--to', TEAM, '--cc', `admin@${DEMO_DOMAIN}`, '--subject', 'Nightly report', '--text', 'See attached.', '--attach', file], { home });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const [mail] = (await inbox(TEAM)).filter((m) => m.subject === 'Nightly report');
    assert.equal(mail.attachments[0].name, 'report.csv');
    assert.equal(mail.attachments[0].sha256, createHash('sha256').update(content).digest('hex'));
    assert.ok(mail.internetMessageHeaders.some((h: { value: string }) => h.value === out.id));
    assert.equal((await inbox(`admin@${DEMO_DOMAIN}`)).filter((m) => m.subject === 'Nightly report').length, 1);
  });

  it('`send` of a 3.5 MB attachment (over 4 MB as base64) without Mail.ReadWrite fails before anything is sent, naming the permission', async () => {
    const file = join(home, 'big.bin');
    await writeFile(file, randomBytes(3_500_000));
    const r = await runCli(['send', '--to', TEAM, '--subject', 'Big one', '--text', 'x', '--attach', file], { home });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Mail\.ReadWrite/);
    // Issue 9.15: the advice can work: an administrator grants it; `login` alone never adds it.
    assert.match(r.stderr, /an administrator must click "Grant admin consent/);
    assert.doesNotMatch(r.stderr, /so the token carries it/);
    // Issue 9 small ones: "Not sent:" once, and the option that sends without the large file named.
    assert.equal(r.stderr.match(/Not sent:/g)?.length, 1, r.stderr);
    assert.match(r.stderr, /--drop-large-attachments/);
    assert.equal((await inbox(TEAM)).filter((m) => m.subject === 'Big one').length, 0);
    const dropped = await runCli(['send', '--to', TEAM, '--subject', 'Big one', '--text', 'x', '--attach', file, '--drop-large-attachments'], { home });
    assert.equal(dropped.code, 0, dropped.stderr);
    assert.match(dropped.stdout, /big\.bin/);
    const [mail] = (await inbox(TEAM)).filter((m) => m.subject === 'Big one');
    assert.equal(mail.attachments.length, 0);
    assert.match(mail.body.content, /big\.bin/);
  });

  it('rejects invalid addresses and header injection before sending', async () => {
    const bad = await runCli(['send', '--to', 'not-an-address', '--subject', 'x', '--text', 'y'], { home });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not-an-address/);
    const injected = await runCli(['send', '--to', TEAM, '--subject', 'Hello\r\nBcc: victim@example.com', '--text', 'y'], { home });
    assert.equal(injected.code, 0, injected.stderr);
    const [mail] = (await inbox(TEAM)).filter((m) => m.subject.startsWith('Hello'));
    assert.doesNotMatch(mail.subject, /[\r\n]/);
    assert.equal(mail.bccRecipients?.length ?? 0, 0);
    assert.equal((await emu.call('GET', '/_emulator/mailboxes/victim@example.com/messages')).status, 404);
  });

  it('usage errors exit 2', async () => {
    assert.equal((await runCli(['send', '--subject', 'x', '--text', 'y'], { home })).code, 2);
    assert.equal((await runCli(['send', '--to', TEAM, '--subject', 'x'], { home })).code, 2);
  });

  it('never reports success with an unusable sign-in: revoked + expired access token -> exit 1, sign in again, nothing sent', async () => {
    await emu.call('POST', '/_emulator/faults', { action: 'revoke-refresh-tokens', user: SENDER });
    await emu.call('POST', '/_emulator/clock', { advanceSeconds: 2 * 3600 });
    const before_ = (await inbox(TEAM)).length;
    const r = await runCli(['test'], { home });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /o365-notify login/);
    assert.equal((await inbox(TEAM)).length, before_);
    const status = JSON.parse((await runCli(['--json', 'status'], { home })).stdout);
    assert.equal(status.signInRequired, true);
    assert.equal(status.problem.diagnosis.guideStep, 'sign-in-again');
  });
});
