import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../src/emulator/index.js';
import { signedInHome, testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

const exec = promisify(execFile);
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
    assert.equal(out.checks.length, 5);
  });

  it('serve answers /healthz', async () => {
    const { home, cleanup } = await signedInHome(emu, { clientId: DEMO_APPS.singleTenant, tenantId: DEMO_TENANT_ID, upn: `alerts@${DEMO_DOMAIN}`, to: `it-team@${DEMO_DOMAIN}` });
    cleanups.push(cleanup);
    const child = spawn(bin, ['--home', home, 'serve', '--port', '0'], { env: testEnv(home), stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = '';
        const timer = setTimeout(() => reject(new Error(`serve did not start within 30 s:\n${output}`)), 30_000);
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const m = /listening on (http\S+)/.exec(output);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
      });
      const health = await fetch(new URL('/healthz', url));
      assert.equal(health.status, 200);
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0, 'serve stops cleanly on SIGTERM');
    }
  });
});
