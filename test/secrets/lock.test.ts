import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { LockTimeoutError, withFileLock } from '../../src/infra/index.js';
import { openSecretStore } from '../../src/secrets/index.js';
import { isolatedEnv } from './helpers.js';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

function runTs(script: string, args: string[], env: NodeJS.ProcessEnv) {
  return spawn(process.execPath, ['--import', 'tsx', path.join(fixtures, script), ...args], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function finish(child: ReturnType<typeof runTs>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'o365-lock-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('withFileLock', () => {
  it('two processes doing read-modify-write on the token cache lose no update', async () => {
    const home = path.join(root, 'contention');
    const rounds = 25;
    // No key exists yet: both processes also race to create it on first use.
    const env = isolatedEnv();
    const results = await Promise.all([finish(runTs('token-cache-worker.ts', [home, String(rounds)], env)), finish(runTs('token-cache-worker.ts', [home, String(rounds)], env))]);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const store = await openSecretStore(home, env);
    const cache = JSON.parse((await store.readTokenCache())!) as { count: number; writers: number[] };
    assert.equal(cache.count, 2 * rounds);
    assert.equal(new Set(cache.writers).size, 2, 'both processes wrote');
    const leftovers = (await fs.readdir(path.join(home, 'secrets'))).filter((f) => f !== 'token-cache.enc');
    assert.deepEqual(leftovers, [], 'no lock or temp files remain');
  });

  it('serialises callers in one process too', async () => {
    const target = path.join(root, 'in-process');
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        withFileLock(target, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await new Promise((r) => setTimeout(r, 5));
          inside--;
        }),
      ),
    );
    assert.equal(maxInside, 1);
  });

  it('returns the function\'s value and releases the lock when it throws', async () => {
    const target = path.join(root, 'release');
    assert.equal(await withFileLock(target, () => 42), 42);
    await assert.rejects(withFileLock(target, () => Promise.reject(new Error('boom'))), /boom/);
    await assert.rejects(fs.stat(`${target}.lock`), { code: 'ENOENT' });
    assert.equal(await withFileLock(target, () => 'again', { timeoutMs: 500 }), 'again');
  });

  it('times out with a clear error while a live process holds the lock, then gets it when that process dies', async () => {
    const target = path.join(root, 'held');
    const holder = runTs('hold-lock.ts', [target], isolatedEnv());
    let out = '';
    holder.stdout!.on('data', (d) => (out += d));
    while (!out.includes('locked')) await once(holder.stdout!, 'data');
    await assert.rejects(withFileLock(target, () => undefined, { timeoutMs: 300 }), (err: unknown) => {
      assert.ok(err instanceof LockTimeoutError);
      assert.match(err.message, new RegExp(`process ${holder.pid} .*has held it since`));
      assert.match(err.message, /If no o365-notify process is running, delete .*held\.lock/);
      return true;
    });
    holder.kill('SIGKILL');
    await once(holder, 'close');
    // The dead holder's lock is stale at once (same host, process gone).
    assert.equal(await withFileLock(target, () => 'taken over', { timeoutMs: 5_000 }), 'taken over');
  });

  it('takes over a lock left without an owner once it is old', async () => {
    const target = path.join(root, 'abandoned');
    await fs.writeFile(`${target}.lock`, ''); // a crash between create and write
    const old = new Date(Date.now() - 60 * 60 * 1000);
    await fs.utimes(`${target}.lock`, old, old);
    assert.equal(await withFileLock(target, () => 'ok', { timeoutMs: 2_000 }), 'ok');
  });

  it('does not take over a fresh lock without an owner', async () => {
    const target = path.join(root, 'fresh');
    await fs.writeFile(`${target}.lock`, '');
    await assert.rejects(withFileLock(target, () => 'no', { timeoutMs: 200 }), LockTimeoutError);
  });
});
