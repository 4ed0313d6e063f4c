/**
 * Serving the page to another machine (issue 10.9) and stopping promptly (10.12), with the real
 * `serve` process: --tls serves HTTPS with a generated self-signed certificate whose fingerprint
 * is printed, the sign-in link works in Chromium over HTTPS (the cookie is Secure); plain HTTP
 * beyond loopback prints a warning. (Prompt Ctrl-C under `| tee`, issue 10.12, is not covered here yet.)
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { chromiumAvailable, launchBrowser, spkiFingerprint } from '../support/browser.js';
import { testEnv } from '../support/cli.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI = `${JSON.stringify(process.execPath)} --import tsx src/cli/bin.ts`;

interface Serve {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<void>;
}

/** `serve` through a shell (`| tee` when asked), in its own process group (killed at the end). */
function serve(home: string, args: string, pipeline = ''): Serve {
  const child = spawn('sh', ['-c', `${CLI} --home ${JSON.stringify(home)} serve ${args} 2>&1 ${pipeline}`], { cwd: REPO, env: testEnv(home), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    child,
    output: () => out,
    exited,
    waitFor(pattern, timeoutMs = 40_000) {
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) return resolve(m);
          if (Date.now() > deadline) return reject(new Error(`no ${pattern} in:\n${out}`));
          setTimeout(check, 50);
        };
        check();
      });
    },
  };
}

describe('serve over HTTPS and the plain-HTTP warning', () => {
  const homes: string[] = [];
  const running: Serve[] = [];
  async function home(): Promise<string> {
    const h = await mkdtemp(join(tmpdir(), 'o365-serve-tls-'));
    homes.push(h);
    return h;
  }
  after(async () => {
    for (const s of running) if (s.child.exitCode === null) process.kill(-s.child.pid!, 'SIGKILL');
    for (const h of homes) await rm(h, { recursive: true, force: true });
  });

  test('--tls: HTTPS with a generated certificate, its fingerprint printed; the sign-in link works in Chromium', async () => {
    const h = await home();
    const s = serve(h, '--tls --host 0.0.0.0 --port 0', `| tee ${JSON.stringify(join(h, 'serve.log'))}`);
    running.push(s);
    const [, port] = await s.waitFor(/listening on https:\/\/0\.0\.0\.0:(\d+)/);
    const [, certPath, fingerprint] = await s.waitFor(/HTTPS certificate: (\S+) \(self-signed, generated here\); SHA-256 fingerprint ([0-9A-F:]+)/);
    const certPem = await readFile(certPath!, 'utf8');
    assert.equal(new X509Certificate(certPem).fingerprint256, fingerprint);
    assert.match(s.output(), new RegExp(`From other machines: https://[^\\s/]+:${port}/`));
    assert.doesNotMatch(s.output(), /WARNING: .*plain HTTP/);
    const [link] = await s.waitFor(/https:\/\/localhost:\d+\/\?login=[\w-]+/);

    const health = await new Promise<string>((resolve, reject) => {
      const req = get(`https://localhost:${port}/healthz`, { ca: certPem, timeout: 10_000 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      });
      req.on('timeout', () => req.destroy(new Error('no answer from /healthz within 10 s')));
      req.on('error', reject);
    });
    assert.match(health, /"service":"o365-notify"/);

    if (chromiumAvailable()) {
      const browser = await launchBrowser({ trustSpki: [spkiFingerprint(certPem)] });
      try {
        const page = await browser.newPage();
        await page.goto(link!);
        await page.locator('#checklist').waitFor();
        const cookies = await page.context().cookies();
        assert.ok(cookies.length > 0 && cookies.every((c) => c.secure), `session cookie is Secure over HTTPS: ${JSON.stringify(cookies.map((c) => c.secure))}`);
      } finally {
        await browser.close();
      }
    }

  });

  test('plain HTTP beyond loopback: a warning that names what crosses the network and the fix', async () => {
    const h = await home();
    const s = serve(h, '--host 0.0.0.0 --port 0', '| cat');
    running.push(s);
    await s.waitFor(/Stop with Ctrl\+C/);
    assert.match(s.output(), /WARNING: the service listens on 0\.0\.0\.0 over plain HTTP\. The API token, the admin password and the settings page's session cookie cross the network/);
    assert.match(s.output(), /o365-notify serve --tls/);
  });
});
