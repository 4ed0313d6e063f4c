import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { EventIntake, GroupCommitter, StoreSaturatedError, openStore, type Store } from '../../src/store/index.js';
import { sampleEvent, tempDir } from './helpers.js';

describe('group commit', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  let reader: Database.Database;
  before(() => {
    tmp = tempDir();
    store = openStore(path.join(tmp.dir, 'gc.db'));
    // A second connection sees only committed data: what "resolved after commit" must mean.
    reader = new Database(path.join(tmp.dir, 'gc.db'), { readonly: true });
  });
  after(() => {
    reader.close();
    store.close();
    tmp.cleanup();
  });

  it('commits concurrent submissions together and resolves each only after its events are visible to another connection', async () => {
    const commits: number[] = [];
    const intake = new EventIntake(store, { maxUndeliveredEvents: 1_000_000 });
    intake.onCommitted = (ids) => commits.push(ids.length);
    const countCommitted = reader.prepare('SELECT count(*) AS n FROM events WHERE id = ?');
    const submissions = Array.from({ length: 200 }, (_, i) =>
      intake
        .submit(Array.from({ length: (i % 3) + 1 }, (_, j) => sampleEvent({ summary: `s${i}-${j}` })))
        .then((ids) => {
          for (const id of ids) assert.deepEqual(countCommitted.get(id), { n: 1 }, `event ${id} committed before its promise resolved`);
          return ids;
        }),
    );
    const results = await Promise.all(submissions);
    const all = results.flat();
    const expected = Array.from({ length: 200 }, (_, i) => (i % 3) + 1).reduce((a, b) => a + b, 0);
    assert.equal(all.length, expected);
    assert.equal(store.events.countUndelivered(), expected);
    assert.equal(new Set(all).size, all.length, 'ids are unique');
    // Each caller got its own events, in order.
    results.forEach((ids, i) => {
      assert.equal(ids.length, (i % 3) + 1);
      ids.forEach((id, j) => assert.equal(store.events.get(id)!.summary, `s${i}-${j}`));
    });
    assert.ok(commits.length < 20, `200 submissions in the same turn share few commits (got ${commits.length})`);
    assert.equal(commits.reduce((a, b) => a + b, 0), all.length);
  });

  it('rejects every caller of a batch whose commit fails, and commits nothing of it', async () => {
    let calls = 0;
    const committer = new GroupCommitter<number, number>((items) => {
      calls++;
      if (items.includes(13)) throw new Error('disk full');
      return items.map((x) => x * 2);
    });
    const good = committer.submit([1, 2]);
    const bad = committer.submit([13]);
    await assert.rejects(good, /disk full/);
    await assert.rejects(bad, /disk full/);
    assert.equal(calls, 1);
    assert.deepEqual(await committer.submit([4]), [8], 'the next batch is unaffected');
  });

  it('waits up to maxWaitMs to gather, and commits early at maxBatchItems', async () => {
    const batches: number[][] = [];
    const committer = new GroupCommitter<number, number>((items) => {
      batches.push(items);
      return items;
    }, { maxWaitMs: 20, maxBatchItems: 5 });
    const p1 = committer.submit([1]);
    await new Promise((r) => setTimeout(r, 2));
    const p2 = committer.submit([2]);
    await Promise.all([p1, p2]);
    assert.deepEqual(batches, [[1, 2]], 'submissions within the wait share a commit');
    batches.length = 0;
    const big = committer.submit([1, 2, 3, 4, 5]);
    await big;
    assert.deepEqual(batches, [[1, 2, 3, 4, 5]]);
  });

  it('refuses submissions beyond the undelivered limit with a 429-style error, counting what is still gathering', async () => {
    const small = openStore(path.join(tmp.dir, 'limit.db'));
    try {
      const intake = new EventIntake(small, { maxUndeliveredEvents: 10 });
      await intake.submit(Array.from({ length: 6 }, () => sampleEvent()));
      const gathering = intake.submit(Array.from({ length: 3 }, () => sampleEvent()));
      assert.equal(intake.depth(), 9);
      await assert.rejects(intake.submit([sampleEvent(), sampleEvent()]), (err: unknown) => {
        assert.ok(err instanceof StoreSaturatedError);
        assert.equal(err.limit, 10);
        assert.equal(err.undelivered, 9);
        assert.ok(err.retryAfterSeconds > 0);
        return true;
      });
      await gathering;
      assert.ok(intake.hasRoomFor(1));
      assert.ok(!intake.hasRoomFor(2));
      assert.equal(small.events.countUndelivered(), 9);
    } finally {
      small.close();
    }
  });
});
