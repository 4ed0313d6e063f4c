import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * The README's "after `npm ci`" paragraph, made true (issue 9, small ones): npm ci builds
 * nothing; after `npm run build && npm link` the command runs the checkout's build. The link goes into a throwaway npm prefix, never the machine's global one.
 */
describe('`npx o365-notify` in the checkout (README: npm run build && npm link)', () => {
  let prefix: string;
  const envWith = (bin?: string): NodeJS.ProcessEnv => ({
    ...process.env,
    npm_config_prefix: prefix,
    npm_config_yes: 'false',
    PATH: bin ? `${bin}:${process.env.PATH}` : process.env.PATH,
  });

  before(async () => {
    prefix = await mkdtemp(join(tmpdir(), 'o365-npx-'));
    // The build the README asks for (the package test's `npm pack` may have made it already).
    if (!existsSync(join(ROOT, 'dist/cli/bin.js'))) await exec('npm', ['run', 'build'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  });
  after(async () => {
    await rm(prefix, { recursive: true, force: true });
  });

  it('package.json: the bin is the build, and no install script builds (so the README must say to build)', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
    assert.equal(pkg.bin['o365-notify'], 'dist/cli/bin.js');
    for (const hook of ['prepare', 'postinstall', 'install']) assert.equal(pkg.scripts[hook], undefined, `a ${hook} script would change what the README says`);
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const firstNpx = readme.search(/^npx o365-notify /m);
    const build = readme.indexOf('`npm run build && npm link`');
    assert.ok(build >= 0 && build < firstNpx, 'the README says to build and link before its first `npx o365-notify` example');
  });

  // Without the link, whether `npx` finds the project's own bin after a build depends on npm's
  // hidden lockfile in node_modules (seen both ways on one machine), so only the link is asserted.
  it('after `npm link` (into a throwaway prefix): `npx o365-notify` and `o365-notify` run the build', async () => {
    await exec('npm', ['link', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: ROOT, env: envWith() });
    const { stdout } = await exec('npx', ['--no-install', 'o365-notify', '--version'], { cwd: ROOT, env: envWith(join(prefix, 'bin')) });
    const version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(stdout.trim(), version);
    const linked = await exec(join(prefix, 'bin', 'o365-notify'), ['--version'], { cwd: tmpdir(), env: envWith(join(prefix, 'bin')) });
    assert.equal(linked.stdout.trim(), version);
  });
});
