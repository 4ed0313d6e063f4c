import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as turn, setTimeout as sleep } from 'node:timers/promises';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/index.js';
import { BACKSTOP_FRAMES, Checkpointer } from '../../src/store/checkpointer.js';
import { sampleEvent, tempDir } from './helpers.js';

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('store: WAL checkpoints in a worker thread', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir();
  });
  after(() => tmp.cleanup());

  it('takes the checkpoints out of the commits: the main connection only keeps a backstop, the worker copies the WAL, nothing is lost', async () => {
    const file = path.join(tmp.dir, 'bg.db');
    const store = openStore(file, { durability: 'process-crash', backgroundCheckpoints: true });
    assert.ok(store.checkpointer, 'a worker runs');
    assert.equal(store.db.pragma('wal_autocheckpoint', { simple: true }), BACKSTOP_FRAMES);
    // Past SQLite's default threshold of 1000 pages: before, the commit that crossed it checkpointed.
    for (let i = 0; i < 60; i++) {
      store.appendEvents(Array.from({ length: 50 }, (_, j) => sampleEvent({ summary: `event ${i}-${j}`, details: { pad: 'x'.repeat(2000) } })));
      await turn();
    }
    await until('a checkpoint by the worker', () => store.checkpointer!.stats.rounds > 0);
    assert.equal(store.checkpointer!.stats.errors, 0, store.checkpointer!.stats.lastError);
    store.close();
    const again = openStore(file);
    assert.equal((again.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 3000);
    assert.deepEqual(again.db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    again.close();

    const plain = openStore(file);
    assert.equal(plain.checkpointer, undefined, 'one-shot commands keep SQLite checkpoints');
    assert.equal(plain.db.pragma('wal_autocheckpoint', { simple: true }), 1000);
    plain.close();
  });

  it('close() returns only after the worker closed its connection: the store is whole and nothing more is written beside it', async () => {
    // A data folder removed (or backed up) right after the service stopped failed with ENOTEMPTY
    // while the worker, still open, checkpointed and then deleted the -wal and -shm files.
    for (let i = 0; i < 5; i++) {
      const file = path.join(tmp.dir, `closing-${i}.db`);
      const store = openStore(file, { durability: 'process-crash', backgroundCheckpoints: true });
      store.appendEvents(Array.from({ length: 20 }, (_, j) => sampleEvent({ summary: `event ${j}` })));
      if (i % 2 === 1) await until('a checkpoint by the worker', () => store.checkpointer!.stats.rounds > 0);
      store.close();
      // The main connection closed last, so SQLite checkpointed everything and removed its WAL files.
      assert.deepEqual(fs.readdirSync(tmp.dir).filter((f) => f.startsWith(`closing-${i}.db-`)), [], 'no -wal or -shm left behind');
    }
  });

  it('never keeps a process alive: one that forgets to close its store still exits', () => {
    const file = path.join(tmp.dir, 'exit.db');
    const script = `import('./src/store/index.ts').then((m) => { const s = m.openStore(${JSON.stringify(file)}, { backgroundCheckpoints: true }); s.appendEvents([]); console.log('open', Boolean(s.checkpointer)); })`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: path.join(import.meta.dirname, '..', '..'), encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.signal, null, `still running after 60 s: ${run.stderr}`);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /open true/);
  });

  it('keeps the WAL bounded under a steady stream of commits (RESTART past restartFrames)', async () => {
    const file = path.join(tmp.dir, 'stream.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Only the worker checkpoints here: without its RESTART the WAL could never start over.
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, pad BLOB)');
    const checkpointer = new Checkpointer({ file, synchronous: 'NORMAL', intervalMs: 10, restartFrames: 300 });
    const insert = db.prepare('INSERT INTO t (pad) VALUES (randomblob(3000))');
    try {
      // Commits never stop while the worker runs 20 rounds; about 3 pages each, at least 3,000
      // commits: 9,000+ frames (~37 MB of WAL) if it were never restarted.
      let commits = 0;
      const deadline = Date.now() + 30_000;
      while (checkpointer.stats.rounds < 20 || commits < 3000) {
        assert.ok(Date.now() < deadline, `only ${checkpointer.stats.rounds} checkpoint rounds in 30 s`);
        insert.run();
        commits++;
        if (commits % 20 === 0) await sleep(1);
        else await turn();
      }
      const walBytes = fs.statSync(`${file}-wal`).size;
      assert.ok(walBytes < 2000 * 4096, `WAL ${walBytes} bytes after ${commits} commits: never restarted`);
      assert.equal(checkpointer.stats.errors, 0, checkpointer.stats.lastError);
      assert.equal((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, commits);
    } finally {
      checkpointer.close();
      db.close();
    }
  });
});
