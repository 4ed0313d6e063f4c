import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { signedInHome, tempHome, testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

const exec = promisify(execFile);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
const ROOT = new URL('../../', import.meta.url).pathname;

interface PackedFile {
  path: string;
}

/**
 * The README's install: `npm pack` the checkout, `npm install -g` the tarball into a throwaway
 * prefix (its dependencies from the npm cache `npm ci` filled), then run the installed command.
 */
describe('package: the tarball installs a working o365-notify', () => {
  let work: string;
  let bin: string;
  let files: string[];
  let emu: TestEmulator;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'o365-pkg-'));
    const packed = await exec('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: PackedFile[] }[];
    files = info!.files.map((f) => f.path);
    const prefix = join(work, 'prefix');
    await exec('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund',
      '--allow-scripts=better-sqlite3', join(work, info!.filename)], { cwd: work, maxBuffer: 16 * 1024 * 1024 });
    bin = join(prefix, 'bin', 'o365-notify');
    emu = await startTestEmulator();
  });
  after(async () => {
    for (const c of cleanups) await c();
    await emu?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('holds the built program and its docs, not the tests, the sources or source maps', () => {
    assert.ok(files.includes('dist/cli/bin.js'));
    assert.ok(files.includes('package.json') && files.includes('README.md') && files.includes('CHANGELOG.md'));
    const unwanted = files.filter((f) => f.startsWith('test/') || f.startsWith('src/') || f.endsWith('.map') || f.endsWith('.ts'));
    assert.deepEqual(unwanted, []);
  });

  it('ships the emulator as its built package (issue 12.5): no sources, no declarations, none of its dependencies twice', () => {
    const emulator = files.filter((f) => f.startsWith('node_modules/'));
    assert.ok(emulator.includes('node_modules/o365-notify-emulator/dist/index.js'), 'the built emulator is bundled');
    assert.deepEqual(emulator.filter((f) => !f.startsWith('node_modules/o365-notify-emulator/dist/') && f !== 'node_modules/o365-notify-emulator/package.json'), []);
    assert.deepEqual(emulator.filter((f) => !f.endsWith('.js') && !f.endsWith('package.json')), []);
    assert.deepEqual(files.filter((f) => f.startsWith('dist/emulator/')), [], 'the product\'s own dist/ has no emulator');
  });

  it('the installed `emulator` command runs the bundled emulator', async () => {
    const { home, cleanup } = await tempHome();
    cleanups.push(cleanup);
    const child = spawn(bin, ['--home', home, '--json', 'emulator', '--port', '0', '--data', join(home, 'emulator')], { env: testEnv(home), stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let out = '';
    try {
      const first = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        });
        child.stderr.on('data', (c: Buffer) => (out += c.toString()));
        void exited.then((code) => reject(new Error(`emulator exited ${code}: ${out}`)));
      });
      const { url } = JSON.parse(first) as { url: string };
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('--version prints the version in package.json', async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await exec(bin, ['--version']);
    assert.equal(r.stdout.trim(), manifest.version);
  });

  it('doctor passes every check against the emulator', async () => {
    const { home, cleanup } = await signedInHome(emu, { clientId: DEMO_APPS.singleTenant, tenantId: DEMO_TENANT_ID, upn: `alerts@${DEMO_DOMAIN}`, to: `it-team@${DEMO_DOMAIN}` });
    cleanups.push(cleanup);
    const r = await exec(bin, ['--home', home, '--json', 'doctor'], { env: testEnv(home) });
    const out = JSON.parse(r.stdout) as { checks: { name: string; ok: boolean }[] };
    assert.deepEqual(out.checks.filter((c) => !c.ok), []);
    // Every check ran, through to the test e-mail accepted by Graph (the last one).
    assert.equal(out.checks.at(-1)?.name, 'test send');
  });

  it('service install --dry-run shows a unit that runs the installed program, and changes nothing', async () => {
    const unitDir = join(work, 'units');
    const r = await exec(bin, ['service', 'install', '--dry-run', '--unit-dir', unitDir]);
    assert.match(r.stdout, /Would do, in this order \(home: \/var\/lib\/o365-notify\)/);
    const execStart = /^ExecStart=(\S+) (\S+) /m.exec(r.stdout);
    assert.ok(execStart, r.stdout);
    assert.equal(execStart[2], await realpath(join(work, 'prefix', 'lib', 'node_modules', 'o365-notify', 'dist', 'cli', 'bin.js')));
    assert.equal(existsSync(unitDir), false);
  });

  it('serve answers /healthz, and `service wait-ready` (the unit\'s readiness check) sees it ready', async () => {
    const { home, cleanup } = await signedInHome(emu, { clientId: DEMO_APPS.singleTenant, tenantId: DEMO_TENANT_ID, upn: `alerts@${DEMO_DOMAIN}`, to: `it-team@${DEMO_DOMAIN}` });
    cleanups.push(cleanup);
    const port = await freePort();
    const env = testEnv(home, { O365_NOTIFY_SERVICE_PORT: String(port) });
    const child = spawn(bin, ['--home', home, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const ready = await exec(bin, ['--home', home, 'service', 'wait-ready', '--timeout', '30s'], { env });
      assert.match(ready.stdout, new RegExp(`The service answers http://127\\.0\\.0\\.1:${port}/readyz`));
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(health.status, 200);
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0, 'serve stops cleanly on SIGTERM');
    }
  });

  it('`service wait-ready` fails with where to look when nothing answers', async () => {
    const { home, cleanup } = await tempHome();
    cleanups.push(cleanup);
    const port = await freePort();
    const r = await exec(bin, ['--home', home, 'service', 'wait-ready', '--timeout', '1s'], { env: testEnv(home, { O365_NOTIFY_SERVICE_PORT: String(port) }) }).catch(
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal('code' in r ? r.code : 0, 1);
    assert.match(r.stderr, /did not answer .*readyz within 1s .*journalctl -u o365-notify/);
  });
});
