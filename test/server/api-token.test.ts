import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { ApiTokenVerifier, apiTokenPath, bearerToken, ensureApiToken, rotateApiToken } from '../../src/server/index.js';
import { tempHome } from '../support/cli.js';

const run = promisify(execFile);

async function until(condition: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('API token', () => {
  it('checks a token with no file system call per request; a rotation by another process takes effect', async () => {
    const { home, cleanup } = await tempHome();
    const verifier = new ApiTokenVerifier(home, { recheckMs: 60_000 });
    const original = { statSync: fs.statSync, readFileSync: fs.readFileSync };
    try {
      const { token } = await rotateApiToken(home);
      assert.equal(verifier.verify(token), true);
      let calls = 0;
      Object.assign(fs, {
        statSync: (...args: Parameters<typeof fs.statSync>) => (calls++, original.statSync(...args)),
        readFileSync: (...args: Parameters<typeof fs.readFileSync>) => (calls++, original.readFileSync(...args)),
      });
      for (let i = 0; i < 1000; i++) assert.equal(verifier.verify(token), true);
      assert.equal(calls, 0, 'no statSync or readFileSync while the file is unchanged');

      // `token rotate` in another process: seen through the watch (the periodic check is a minute away here).
      const script = `import { rotateApiToken } from ${JSON.stringify(new URL('../../src/server/api-token.ts', import.meta.url).href)}; const r = await rotateApiToken(${JSON.stringify(home)}); process.stdout.write(r.token);`;
      const { stdout: rotated } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
      assert.match(rotated, /^o365n_/);
      await until(() => verifier.verify(rotated), 'the new token works');
      assert.equal(verifier.verify(token), false, 'the old one no longer does');
      assert.ok(calls <= 4, `the change was read once (${calls} calls)`);
    } finally {
      Object.assign(fs, original);
      verifier.close();
      await cleanup();
    }
  });

  it('is made once, stored only as a salted hash in a private file, and rotation ends the old one at once', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const verifier = new ApiTokenVerifier(home);
      assert.equal(verifier.configured, false);
      assert.equal(verifier.verify('anything'), false);

      const first = await ensureApiToken(home);
      assert.equal(first.created, true);
      assert.match(first.token!, /^o365n_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(await ensureApiToken(home), { created: false }, 'an existing token is never shown again');

      const file = apiTokenPath(home);
      const text = await readFile(file, 'utf8');
      assert.ok(!text.includes(first.token!), 'the token itself is not stored');
      assert.ok(!text.includes(first.token!.slice(6, 30)));
      assert.equal((await stat(file)).mode & 0o777, 0o600);

      assert.equal(verifier.verify(first.token), true);
      assert.equal(verifier.verify(first.token!.slice(0, -1)), false);
      assert.equal(verifier.verify(first.token + 'x'), false);
      assert.equal(verifier.verify(undefined), false);
      assert.equal(verifier.verify('x'.repeat(10_000)), false);

      const second = await rotateApiToken(home);
      assert.notEqual(second.token, first.token);
      assert.equal(verifier.verify(first.token), false, 'the old token stops working without a restart');
      assert.equal(verifier.verify(second.token), true);

      await writeFile(file, 'not json');
      // An edit from outside is seen through the watch (or the periodic check), not at once.
      await until(() => !verifier.verify(second.token), 'a damaged file lets nobody in');
      verifier.close();
    } finally {
      await cleanup();
    }
  });

  it('reads only "Authorization: Bearer <token>"', () => {
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.equal(bearerToken('bearer  abc '), 'abc');
    assert.equal(bearerToken('Basic abc'), undefined);
    assert.equal(bearerToken('Bearer a b'), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });
});
