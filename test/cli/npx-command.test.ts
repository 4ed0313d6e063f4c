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
 * nothing, `npx o365-notify` is "not found" until `npm run build && npm link`, then it runs the
 * checkout's build. The link goes into a throwaway npm prefix, never the machine's global one.
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

  it('without the link: "not found", even with the build; after `npm link`: it runs the build', async () => {
    const before_ = await exec('npx', ['--no-install', 'o365-notify', '--version'], { cwd: ROOT, env: envWith() }).then(
      () => 'ran',
      (err: { stderr?: string; stdout?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
    );
    assert.match(before_, /o365-notify: not found|could not determine executable|npm error/);
    await exec('npm', ['link', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: ROOT, env: envWith() });
    const { stdout } = await exec('npx', ['--no-install', 'o365-notify', '--version'], { cwd: ROOT, env: envWith(join(prefix, 'bin')) });
    const version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(stdout.trim(), version);
  });
});
