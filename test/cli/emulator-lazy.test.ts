import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testEnv } from '../support/cli.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A module-resolution hook (run in Node's hooks thread) that appends every resolved URL of the
 * emulator package to a log file: through the workspace link (packages/emulator) or installed
 * (node_modules/o365-notify-emulator). It sees static and dynamic imports alike, which a
 * require-cache probe would not (the CLI is ESM).
 */
const HOOK = `
import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (/\\/packages\\/emulator\\/|\\/node_modules\\/o365-notify-emulator\\//.test(result.url)) appendFileSync(log, result.url + '\\n');
  return result;
}`;

function registration(log: string): string {
  const hook = `data:text/javascript,${encodeURIComponent(HOOK)}`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(hook)}, { data: { log: ${JSON.stringify(log)} } });`;
  return `data:text/javascript,${encodeURIComponent(register)}`;
}

interface Run { code: number | null; out: string; loaded: string[] }

/**
 * Runs the CLI (`src/cli/bin.ts` through tsx) with the hook; `until`: stop it with SIGTERM once
 * its output matches (for a command that keeps running), else wait for it to exit.
 */
async function runCli(dir: string, args: string[], until?: RegExp): Promise<Run> {
  const log = join(dir, `loads-${args.join('-').replace(/[^a-z0-9-]/gi, '')}.log`);
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', registration(log), 'src/cli/bin.ts', '--home', dir, ...args], {
    cwd: REPO,
    env: testEnv(dir),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const onData = (c: Buffer) => {
    out += c.toString();
    if (until?.test(out)) child.kill('SIGTERM');
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const deadline = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(deadline);
  const loaded = await readFile(log, 'utf8').then((t) => t.split('\n').filter(Boolean), () => []);
  return { code, out, loaded };
}

describe('the emulator package is loaded lazily (issue 12.5)', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  async function home(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'o365-emu-lazy-'));
    dirs.push(dir);
    return dir;
  }

  it('`--version` loads no module of the emulator', async () => {
    const run = await runCli(await home(), ['--version']);
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /^\d+\.\d+\.\d+/);
    assert.deepEqual(run.loaded, []);
  });

  it('`config check` loads no module of the emulator', async () => {
    const run = await runCli(await home(), ['config', 'check']);
    // No settings in a fresh home: check answers (and says what to do) without the emulator.
    assert.ok(run.code === 0 || run.code === 1, `config check ran: ${run.code} ${run.out}`);
    assert.ok(run.out.length > 0, 'config check said something');
    assert.deepEqual(run.loaded, []);
  });

  it('the `emulator` command loads it, from its TypeScript source under tsx (the probe sees a load)', async () => {
    const dir = await home();
    const run = await runCli(dir, ['--json', 'emulator', '--port', '0', '--data', join(dir, 'emulator')], /"url":"https:/);
    assert.match(run.out, /"url":"https:\/\/127\.0\.0\.1:\d+"/);
    assert.ok(run.loaded.some((url) => url.endsWith('/packages/emulator/src/index.ts')), `loaded: ${run.loaded.join(', ')}`);
    assert.ok(run.loaded.every((url) => !url.includes('/dist/')), `no built file under tsx: ${run.loaded.join(', ')}`);
  });
});
