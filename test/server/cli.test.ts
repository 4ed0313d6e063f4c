import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { readSettingsFile, saveSettings } from '../../src/config/index.js';
import { apiTokenPath, serviceRecordPath } from '../../src/server/paths.js';
import { runCli, testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { TEAM, inbox, request, serviceHome, startTestService, waitFor } from './helpers.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

interface ServeProcess {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

/** The real CLI in its own process: `node --import tsx src/cli/bin.ts --home HOME serve ...`. */
function spawnServe(home: string, args: string[]): ServeProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', '--home', home, 'serve', ...args], { cwd: REPO, env: testEnv(home), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor: (pattern, timeoutMs = 30_000) =>
      waitFor(() => out.match(pattern), `${pattern} in the serve output:\n${out}`, timeoutMs),
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('CLI: serve, event, silence, token, preview, status', () => {
  let emu: TestEmulator;
  let home: string;
  let cleanup: () => Promise<void>;
  let settingsPort: number;

  before(async () => {
    emu = await startTestEmulator();
    ({ home, cleanup } = await serviceHome(emu));
    // Nothing listens on the port in the settings: `event` and `silence` without --url find no service there.
    settingsPort = await freePort();
    const env = testEnv(home);
    const { settings } = await readSettingsFile(home, env);
    settings.service.port = settingsPort;
    await saveSettings(home, settings, env);
  });
  after(async () => {
    await emu.stop();
    await cleanup();
  });

  it('the real `serve --port 0` process: prints its URL and the token once, takes `event` and `silence` through the API, rotates tokens, stops on SIGTERM', async () => {
    // `setup` made a token already (and printed it); without one, the first `serve` makes and shows it.
    await rm(apiTokenPath(home), { force: true });
    const serve = spawnServe(home, ['--port', '0']);
    try {
      const [, url] = await serve.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      const [, token] = await serve.waitFor(/^\s+(o365n_\S+)$/m);
      await waitFor(() => existsSync(serviceRecordPath(home)), 'the address record in the home (issue 9.4)');
      // The settings page is mounted, with a one-time sign-in link printed for it.
      await serve.waitFor(/^\s+http:\/\/localhost:\d+\/\?login=\S+$/m);
      const page = await request(url!, 'GET', '/');
      assert.equal(page.status, 401);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      const withToken = (t: string) => ({ home, env: testEnv(home, { O365_NOTIFY_API_TOKEN: t }) });

      const ok = await runCli(['event', '--url', url!, '--type', 'imagemanager.retention_failed', '--severity', 'warning', '--agent', 'SRV-CLI',
        '--folder', 'D:\\Backups\\SRV-CLI', '--summary', 'Retention failed: access denied', '--details', '{"job": "Nightly retention"}'], withToken(token!));
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, new RegExp(`accepted by the service at ${url}`));
      const [mail] = await waitFor(() => inbox(emu, TEAM).then((m) => m.filter((x) => x.subject.includes('SRV-CLI'))).then((m) => m.length > 0 && m), 'the e-mail');
      assert.match(mail.body.content, /Retention failed: access denied/);
      assert.match(mail.body.content, /Nightly retention/);

      const noToken = await runCli(['event', '--url', url!, '--type', 'custom.x', '--summary', 'x'], { home });
      assert.equal(noToken.code, 1);
      assert.match(noToken.stderr, /O365_NOTIFY_API_TOKEN/);
      const invalid = await runCli(['event', '--url', url!, '--type', 'custom.x', '--severity', 'loud', '--summary', 'x'], withToken(token!));
      assert.equal(invalid.code, 1);
      assert.match(invalid.stderr, /severity: must be one of info, warning, critical/);
      const resolved = await runCli(['--json', 'event', '--url', url!, '--token', token!, '--type', 'imagemanager.retention_failed', '--agent', 'SRV-CLI',
        '--folder', 'D:\\Backups\\SRV-CLI', '--summary', 'Retention succeeded', '--resolved'], { home });
      assert.equal(resolved.code, 0, resolved.stderr);
      assert.equal(JSON.parse(resolved.stdout).via, 'service');
      await waitFor(() => inbox(emu, TEAM).then((m) => m.some((x) => /RESOLVED/.test(x.subject) && x.subject.includes('SRV-CLI'))), 'the recovery e-mail');

      const add = await runCli(['--json', 'silence', 'add', '--url', url!, '--match', 'type=imagemanager.*', '--match', 'agent=SRV1', '--until', '2099-12-01T00:00Z', '--comment', 'decommissioning'], withToken(token!));
      assert.equal(add.code, 0, add.stderr);
      const silence = JSON.parse(add.stdout);
      assert.deepEqual(silence.matchers, { type: 'imagemanager.*', agent: 'SRV1' });
      const list = await runCli(['silence', 'list', '--url', url!], withToken(token!));
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, new RegExp(`${silence.id}  type=imagemanager\\.\\*, agent=SRV1  until 2099-12-01T00:00:00.000Z  \\(decommissioning\\)`));
      const remove = await runCli(['silence', 'remove', '--url', url!, silence.id], withToken(token!));
      assert.equal(remove.code, 0, remove.stderr);
      assert.equal((await runCli(['silence', 'remove', '--url', url!, silence.id], withToken(token!))).code, 1);

      // token rotate (another process) ends the old token for the running service at once.
      const rotate = await runCli(['token', 'rotate'], { home });
      assert.equal(rotate.code, 0);
      const [, fresh] = rotate.stdout.match(/^\s+(o365n_\S+)$/m)!;
      assert.notEqual(fresh, token);
      assert.equal((await request(url!, 'GET', '/api/v1/status', { token: token! })).status, 401);
      assert.equal((await request(url!, 'GET', '/api/v1/status', { token: fresh! })).status, 200);
      const stale = await runCli(['event', '--url', url!, '--type', 'custom.x', '--summary', 'x'], withToken(token!));
      assert.equal(stale.code, 1);
      assert.match(stale.stderr, /not valid/);

      serve.child.kill('SIGTERM');
      assert.equal(await serve.exited, 0, serve.output());
      assert.match(serve.output(), /o365-notify service stopped\./);
      assert.equal(existsSync(serviceRecordPath(home)), false, 'the address record is removed at shutdown');
      const logLines = serve.output().split('\n').filter((l) => l.startsWith('{'));
      assert.ok(logLines.length > 0 && logLines.every((l) => JSON.parse(l).level !== undefined), 'logs are JSON lines');
      assert.ok(!logLines.some((l) => l.includes(token!) || l.includes(fresh!)), 'tokens never logged');
      assert.equal(serve.output().split(token!).length, 2, 'the token was printed once');

      // A second start does not show any token again.
      const again = spawnServe(home, ['--port', '0']);
      try {
        await again.waitFor(/listening on/);
        await again.waitFor(/Stop with Ctrl\+C/);
        assert.doesNotMatch(again.output(), /o365n_/);
      } finally {
        again.child.kill('SIGINT');
        assert.equal(await again.exited, 0);
      }
    } finally {
      if (serve.child.exitCode === null) serve.child.kill('SIGKILL');
    }
  });

  it('with no service running: `event` and `silence` use the store directly; the service sends the stored event when it starts', async () => {
    const ev = await runCli(['event', '--type', 'imagemanager.folder_conflict', '--agent', 'SRV-OFFLINE', '--summary', 'Two agents write to the same folder'], { home });
    assert.equal(ev.code, 0, ev.stderr);
    assert.match(ev.stdout, new RegExp(`No o365-notify service answers at http://127\\.0\\.0\\.1:${settingsPort}: the event was written to the store directly`));
    const wrongUrl = await runCli(['event', '--url', `http://127.0.0.1:${settingsPort}`, '--type', 'custom.x', '--summary', 'x'], { home });
    assert.equal(wrongUrl.code, 1, 'an explicit --url must answer');
    assert.match(wrongUrl.stderr, /No o365-notify service answers at/);
    const bad = await runCli(['event', '--type', 'imagemanager.nope', '--summary', 'x'], { home });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not an ImageManager event type/);

    const add = await runCli(['--json', 'silence', 'add', '--match', 'agent=SRV-MAINT', '--for', '2h'], { home });
    assert.equal(add.code, 0, add.stderr);
    const { id } = JSON.parse(add.stdout);
    const list = await runCli(['silence', 'list'], { home });
    assert.match(list.stdout, new RegExp(`${id}  agent=SRV-MAINT`));
    assert.equal((await runCli(['silence', 'remove', id], { home })).code, 0);
    assert.match((await runCli(['silence', 'list'], { home })).stdout, /No silences/);
    const badMatch = await runCli(['silence', 'add', '--match', 'host=x', '--for', '1h'], { home });
    assert.equal(badMatch.code, 2);

    const status = await runCli(['status'], { home });
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.match(status.stdout, /Undelivered events\s+1 \(oldest received /);
    assert.match(status.stdout, /Last delivery\s+\S+ "/);

    const { svc } = await startTestService(home);
    try {
      await waitFor(() => inbox(emu, TEAM).then((m) => m.some((x) => x.subject.includes('SRV-OFFLINE'))), 'the stored event\'s e-mail');
    } finally {
      await svc.close();
    }
  });

  it('preview renders a sample e-mail; usage errors exit 2', async () => {
    const text = await runCli(['preview', '--type', 'imagemanager.verification_failed'], { home });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Subject: \[CRITICAL\] /);
    assert.match(text.stdout, /SRV-FS01/);
    const html = await runCli(['preview', '--type', 'group', '--html'], { home });
    assert.equal(html.code, 0);
    assert.match(html.stdout, /<html/i);
    const unknown = await runCli(['preview', '--type', 'imagemanager.nope'], { home });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Nothing to preview/);
    assert.equal((await runCli(['preview'], { home })).code, 2);
    assert.equal((await runCli(['serve', '--port', 'abc'], { home })).code, 2);
    assert.equal((await runCli(['event', '--summary', 'x'], { home })).code, 2);
    assert.equal((await runCli(['event', '--type', 'custom.x', '--summary', 'x', '--details', '{nope'], { home })).code, 2);
    assert.equal((await runCli(['silence', 'add', '--for', '1h'], { home })).code, 2);
    assert.equal((await runCli(['token'], { home })).code, 2);
  });
});
