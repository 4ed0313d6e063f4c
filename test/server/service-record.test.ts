import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import { readSettingsFile, saveSettings } from '../../src/config/index.js';
import { rotateApiToken, serviceRecordPath, serviceStorePath } from '../../src/server/index.js';
import { openStore } from '../../src/store/index.js';
import { runCli, testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { serviceHome, startTestService, waitFor } from './helpers.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function eventCount(home: string): number {
  if (!existsSync(serviceStorePath(home))) return 0;
  const store = openStore(serviceStorePath(home));
  try {
    return (store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    store.close();
  }
}

describe('the running service records its address; the CLI never writes the store beside it (issue 9.4)', () => {
  let emu: TestEmulator;
  let home: string;
  let cleanup: () => Promise<void>;
  let settingsPort: number;
  let token: string;

  before(async () => {
    emu = await startTestEmulator();
    ({ home, cleanup } = await serviceHome(emu));
    // The settings name a port where nothing listens: the service runs elsewhere (serve --port 28025).
    settingsPort = await freePort();
    const env = testEnv(home);
    const { settings } = await readSettingsFile(home, env);
    settings.service.port = settingsPort;
    await saveSettings(home, settings, env);
    ({ token } = await rotateApiToken(home));
  });
  after(async () => {
    await emu.stop();
    await cleanup();
  });

  it('a service on another port than the settings: `event` and `silence` reach it through its record; the record goes at shutdown', async () => {
    const { svc } = await startTestService(home);
    const env = testEnv(home, { O365_NOTIFY_API_TOKEN: token });
    try {
      assert.notEqual(svc.port, settingsPort);
      const record = JSON.parse(readFileSync(serviceRecordPath(home), 'utf8'));
      assert.equal(record.url, svc.url);
      assert.equal(record.pid, process.pid);
      const before = eventCount(home);

      // Before the fix: "No o365-notify service answers at <settings port>", written to the store beside the service.
      const ev = await runCli(['--json', 'event', '--type', 'custom.disk_check', '--agent', 'SRV-PORT', '--summary', 'Disk check failed'], { home, env });
      assert.equal(ev.code, 0, ev.stderr);
      const answer = JSON.parse(ev.stdout);
      assert.equal(answer.via, 'service');
      assert.equal(answer.url, svc.url);
      await waitFor(() => eventCount(home) === before + 1, 'the service stored the event');

      const add = await runCli(['--json', 'silence', 'add', '--match', 'agent=SRV-PORT', '--for', '1h'], { home, env });
      assert.equal(add.code, 0, add.stderr);
      const { id } = JSON.parse(add.stdout);
      assert.ok((await svc.service.listSilences()).store.some((s) => s.id === id), 'the running service holds the silence');
      assert.equal((await runCli(['silence', 'remove', id], { home, env })).code, 0);
    } finally {
      await svc.close();
    }
    assert.equal(existsSync(serviceRecordPath(home)), false, 'removed at shutdown');
  });

  it('a live service that does not answer: the CLI says so and writes nothing; a record of a dead process is ignored', async () => {
    // A live process (this one) recorded at an address where nothing answers: a hung or stopping service.
    const silentUrl = `http://127.0.0.1:${await freePort()}`;
    await writeFile(serviceRecordPath(home), JSON.stringify({ url: silentUrl, pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() }));
    const before = eventCount(home);
    const ev = await runCli(['event', '--type', 'custom.disk_check', '--agent', 'SRV-OWNED', '--summary', 'x'], { home });
    assert.equal(ev.code, 1, ev.stdout);
    assert.match(ev.stderr, new RegExp(`service owns this home's store \\(process ${process.pid} .*recorded at ${silentUrl}\\) but does not answer there`));
    assert.match(ev.stderr, /never writes the store while a service runs/);
    for (const args of [['silence', 'add', '--match', 'agent=SRV-OWNED', '--for', '1h'], ['silence', 'remove', 'abc'], ['silence', 'list']]) {
      const r = await runCli(args, { home });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, /owns this home's store/);
    }
    assert.equal(eventCount(home), before, 'nothing written');

    // The process that wrote the record is gone (killed with -9): the record is stale, the store is free.
    const gone = spawn(process.execPath, ['-e', '']);
    const deadPid = gone.pid!;
    await new Promise((resolve) => gone.on('exit', resolve));
    await writeFile(serviceRecordPath(home), JSON.stringify({ url: silentUrl, pid: deadPid, hostname: os.hostname(), startedAt: new Date().toISOString() }));
    const stale = await runCli(['--json', 'event', '--type', 'custom.disk_check', '--agent', 'SRV-STALE', '--summary', 'x'], { home });
    assert.equal(stale.code, 0, stale.stderr);
    assert.equal(JSON.parse(stale.stdout).via, 'store');
    assert.equal(eventCount(home), before + 1);
  });
});
