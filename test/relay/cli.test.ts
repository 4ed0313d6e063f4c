import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { DEMO_DOMAIN } from '../../packages/emulator/src/index.js';
import type { TestEmulator } from '../support/emulator.js';
import { allFiles, runCli, tempHome } from '../support/cli.js';
import { ADMIN, SENDER, TEAM, waitFor } from '../server/helpers.js';
import { mailer, receivedBy, startRelayProcess, type TempHome } from './support.js';
import { freePort } from './smtp-session.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

describe('`smtp user add|list|remove` and `serve --smtp-port` (real processes)', () => {
  let emu: TestEmulator;
  let home: TempHome;
  let port: number;
  let close: (() => Promise<void>) | undefined;
  let generated: string;
  const chosen = 'a-chosen-relay-password';

  before(async () => {
    // smtp.enabled is not set: --smtp-port alone runs the relay.
    ({ emu, home, port, close } = await startRelayProcess({ portFlag: true }));
  });
  after(() => close?.());

  it('add shows a generated password once, or takes one from stdin; list never shows a password or hash; only a scrypt hash is on disk', async () => {
    const added = await runCli(['smtp', 'user', 'add', 'imagemanager'], { home: home.home });
    assert.equal(added.code, 0, added.stderr);
    generated = /Password \(shown only now; only its hash is stored\):\n {2}(\S+)/.exec(added.stdout)?.[1] ?? '';
    assert.ok(generated.length >= 16, added.stdout);
    assert.match(added.stdout, /User name = imagemanager, Password = the one above, Security = STARTTLS/);
    const piped = await runCli(['smtp', 'user', 'add', 'nas', '--password-stdin', '--allow-from', SENDER, '--allow-to', `${DEMO_DOMAIN}`], { home: home.home, stdin: `${chosen}\n` });
    assert.equal(piped.code, 0, piped.stderr);
    assert.ok(!piped.stdout.includes(chosen), 'a password from stdin is not echoed');
    const list = await runCli(['smtp', 'user', 'list'], { home: home.home });
    assert.match(list.stdout, /^imagemanager {2}created \d{4}-\d\d-\d\d {2}last used never$/m);
    assert.match(list.stdout, new RegExp(`^nas .* from: ${SENDER} {2}to: ${DEMO_DOMAIN}$`, 'm'));
    const json = await runCli(['--json', 'smtp', 'user', 'list'], { home: home.home });
    assert.ok(!/passwordHash|scrypt/i.test(json.stdout), json.stdout);
    for (const file of await allFiles(home.home)) {
      const bytes = await readFile(file);
      for (const secret of [generated, chosen]) assert.ok(!bytes.includes(secret), `${file} holds a password in clear`);
    }
  });

  it('the running relay (serve --smtp-port) takes the generated password; after `smtp user remove` AUTH fails with 535 5.7.8', async () => {
    const cert = join(home.home, 'relay-tls', 'relay-cert.pem');
    const t = await mailer(port, cert, { user: 'imagemanager', pass: generated });
    const subject = `cli user ${Date.now()}`;
    await t.sendMail({ from: SENDER, to: ADMIN, subject, text: 'x' });
    t.close();
    await waitFor(async () => (await receivedBy(emu, subject)).get(ADMIN), 'the message of the CLI-made user arrived');
    const used = await runCli(['smtp', 'user', 'list'], { home: home.home });
    assert.match(used.stdout, /^imagemanager {2}created \S+ {2}last used \d{4}-/m);

    const removed = await runCli(['smtp', 'user', 'remove', 'imagemanager'], { home: home.home });
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /Removed the SMTP user imagemanager: it can no longer send\./);
    const again = await mailer(port, cert, { user: 'imagemanager', pass: generated });
    await assert.rejects(again.sendMail({ from: SENDER, to: TEAM, subject: 'x', text: 'x' }), (err: { response?: string }) => {
      assert.match(err.response ?? '', /^535 5\.7\.8 Authentication failed/);
      return true;
    });
    again.close();
    const missing = await runCli(['smtp', 'user', 'remove', 'imagemanager'], { home: home.home });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /There is no SMTP user imagemanager \(`o365-notify smtp user list` shows them\)/);
  });
});

describe('`demo` runs the relay and prints a swaks line that works', () => {
  it('the printed swaks command delivers to the demo mailbox', async (t) => {
    const swaks = await run('swaks', ['--version']).catch(() => undefined);
    if (!swaks) return t.skip('swaks is not installed');
    const dir = await tempHome();
    const [emulatorPort, servicePort, smtpPort] = [await freePort(), await freePort(), await freePort()];
    const ports = ['--emulator-port', String(emulatorPort), '--port', String(servicePort), '--smtp-port', String(smtpPort)];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'demo', '--dir', dir.home, ...ports], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: dir.home, O365_NOTIFY_KEYRING: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    // For failure messages: the demo prints its API token, which stays out of test output.
    const shown = () => out.replace(/(API token: +)\S+/, '$1<redacted>');
    try {
      await waitFor(() => out.includes('Press Ctrl+C to stop.') || child.exitCode !== null, 'the demo is up', 60_000);
      assert.match(out, new RegExp(`SMTP relay: +127\\.0\\.0\\.1 port ${smtpPort} \\(STARTTLS; no AUTH needed from this machine\\)`), shown());
      const line = /^ {2}(swaks .*)$/m.exec(out)?.[1];
      assert.ok(line, shown());
      const sent = await run('bash', ['-c', `${line} --timeout 20`]);
      assert.match(sent.stdout, /<~ +250 /);
      const mailboxes = /Mailboxes: +(https:\/\/\S+)\/_emulator\/ +\(the emulator's CA: (.+)\)$/m.exec(out)!;
      const ca = await readFile(mailboxes[2]!, 'utf8');
      const inbox = () =>
        new Promise<any[]>((done, fail) => {
          https.get(`${mailboxes[1]}/_emulator/mailboxes/${TEAM}/messages?folder=inbox`, { ca }, (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => done(JSON.parse(body)));
          }).on('error', fail);
        });
      await waitFor(async () => (await inbox()).some((m) => m.subject === 'ImageManager relay test'), 'the swaks message is in the demo mailbox', 30_000);
    } finally {
      child.kill('SIGINT');
      await exited;
      await dir.cleanup();
    }
  });
});
