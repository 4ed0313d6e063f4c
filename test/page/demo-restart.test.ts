/**
 * The demo started twice in one directory (issue 10.6): recipients saved on the settings page
 * survive the second start (before, every start wrote mail.to back to the demo recipient without
 * a word), the output says what was kept, and that the API token is new at each start.
 * The real `o365-notify demo` in a child process, stopped with SIGINT as Ctrl+C does.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { call } from './helpers.js';

const BIN = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url));
const SAVED = 'ops@contoso.onmicrosoft.com';

interface Demo {
  child: ChildProcess;
  output: () => string;
}

/** A port nothing listens on now (the demo writes its port to settings.yaml, where 0 is not allowed). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts the demo on free ports and waits until it says it runs. */
async function startDemo(dir: string): Promise<Demo> {
  const port = String(await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, 'demo', '--dir', dir, '--emulator-port', '0', '--port', port, '--smtp-port', '0'], {
    env: { PATH: process.env.PATH, HOME: dir, O365_NOTIFY_KEYRING: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start within 60 s:\n${text}`)), 60_000);
    const check = () => {
      if (/Press Ctrl\+C to stop\./.test(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code}):\n${text}`));
    });
  });
  return { child, output: () => text };
}

async function stopDemo(demo: Demo): Promise<void> {
  // A child ended by a signal has exitCode null and signalCode set: waiting for its 'exit' again
  // would wait forever (nothing left to keep the event loop alive, and node:test cancels the file).
  if (demo.child.exitCode !== null || demo.child.signalCode !== null) return;
  const exited = new Promise((resolve) => demo.child.once('exit', resolve));
  demo.child.kill('SIGINT');
  await exited;
}

/** Saves Recipients through the settings page's own API, with the session the printed link gives. */
async function saveRecipientsOnPage(output: string, recipients: string): Promise<void> {
  const link = new URL(/Settings page:\s+(\S+)/.exec(output)![1]!);
  const base = `http://127.0.0.1:${link.port}`;
  const exchange = await call(`${base}${link.pathname}${link.search}`, { headers: { host: link.host } });
  assert.equal(exchange.status, 303, exchange.text);
  const cookie = String(exchange.headers['set-cookie'] ?? '').split(';')[0]!;
  const page = await call(`${base}/`, { headers: { host: link.host, cookie } });
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page.text)![1]!;
  const saved = await call(`${base}/ui/api/notifications`, {
    method: 'POST',
    headers: { host: link.host, cookie, origin: `http://${link.host}`, 'x-csrf-token': csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ recipients, groupWait: '5s', groupInterval: '30s', repeatInterval: '10m', dailyReportEnabled: 'on' }),
  });
  assert.equal(saved.status, 200, saved.text);
}

describe('the demo started again in the same directory', () => {
  const demos: Demo[] = [];
  let dir = '';

  after(async () => {
    for (const d of demos) await stopDemo(d);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps the recipients saved on the page, and says what it kept and that the token is new', async () => {
    dir = await mkdtemp(join(tmpdir(), 'o365-demo-'));
    const first = await startDemo(dir);
    demos.push(first);
    assert.match(first.output(), /API token:\s+o365n_\S+\s+\(new at each demo start/);
    assert.doesNotMatch(first.output(), /Kept from before/, 'nothing to keep at the first start');
    const firstToken = /API token:\s+(o365n_\S+)/.exec(first.output())![1];
    await saveRecipientsOnPage(first.output(), SAVED);
    await stopDemo(first);

    const second = await startDemo(dir);
    demos.push(second);
    const settings = await readFile(join(dir, 'settings.yaml'), 'utf8');
    assert.match(settings, new RegExp(`- ${SAVED.replace(/\./g, '\\.')}`), settings);
    assert.doesNotMatch(settings, /- it-team@contoso\.onmicrosoft\.com/, 'the demo recipient did not come back');
    assert.match(second.output(), new RegExp(`Kept from before:\\s+recipients \\(${SAVED.replace(/\./g, '\\.')}\\)`));
    const secondToken = /API token:\s+(o365n_\S+)/.exec(second.output())![1];
    assert.notEqual(secondToken, firstToken, 'as the output says, the token is new');
    await stopDemo(second);
  });
});
