import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensurePrivateDir, writeFileAtomic } from '../../src/infra/index.js';
import { modeOf } from './helpers.js';

const posix = process.platform !== 'win32';
let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'o365-atomic-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces the content whole, mode 0600, leaving no temp file', async () => {
    const file = path.join(root, 'a.json');
    await fs.writeFile(file, 'old', { mode: 0o644 });
    await writeFileAtomic(file, 'new content');
    assert.equal(await fs.readFile(file, 'utf8'), 'new content');
    if (posix) assert.equal(await modeOf(file), 0o600);
    assert.deepEqual(await fs.readdir(root), ['a.json']);
  });

  it('sets the mode exactly, whatever the umask', { skip: !posix }, async () => {
    const previous = process.umask(0o077);
    try {
      const file = path.join(root, 'umask.json');
      await writeFileAtomic(file, 'x', 0o640);
      assert.equal(await modeOf(file), 0o640);
    } finally {
      process.umask(previous);
    }
  });

  it('readers never see a partial file while writers keep replacing it', async () => {
    const file = path.join(root, 'busy.json');
    const big = (n: number) => JSON.stringify({ n, pad: 'x'.repeat(200_000) });
    await writeFileAtomic(file, big(0));
    let done = false;
    const writers = (async () => {
      for (let i = 1; i <= 20; i++) await writeFileAtomic(file, big(i));
      done = true;
    })();
    let reads = 0;
    while (!done) {
      const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as { n: number };
      assert.equal(typeof parsed.n, 'number');
      reads++;
    }
    await writers;
    assert.ok(reads > 0);
  });

  it('leaves the old file and no temp file when the write fails', async () => {
    const dir = path.join(root, 'fail');
    await fs.mkdir(dir);
    const file = path.join(dir, 'x');
    await fs.mkdir(file); // rename over a directory fails
    await assert.rejects(writeFileAtomic(file, 'data'));
    assert.deepEqual(await fs.readdir(dir), ['x']);
  });
});

describe('ensurePrivateDir', () => {
  it('creates a 0700 directory and narrows an existing one', { skip: !posix }, async () => {
    const dir = path.join(root, 'private');
    await ensurePrivateDir(dir);
    assert.equal(await modeOf(dir), 0o700);
    await fs.chmod(dir, 0o755);
    await ensurePrivateDir(dir);
    assert.equal(await modeOf(dir), 0o700);
  });
});
