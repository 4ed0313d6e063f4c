import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GroupRow } from '../../src/notify/index.js';
import { parseStoreUrl } from '../../src/shared/index.js';
import { openPgStore } from '../../src/store/postgres/index.js';
import { skipReason, startTestPostgres, type TestPostgres } from '../support/postgres.js';

const started = await startTestPostgres();
const T0 = Date.UTC(2026, 11, 4, 12);

const group = (key: string, nextFlushAt: number | null): GroupRow => ({
  key, route: 'default', labels: { agent: key }, recipients: ['ops@contoso.com'], groupWaitMs: 30_000,
  groupIntervalMs: 300_000, repeatIntervalMs: 3_600_000, nextFlushAt, lastFlushAt: null, createdAt: T0,
});

describe('a due group is flushed by one instance (issue 16): claimDue inside the flush unit', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  before(() => {
    assert.ok(started.ok);
    postgres = started.postgres;
  });
  after(() => postgres?.stop());

  it('another instance gets nothing while one flush holds the group, and nothing once it was flushed', async () => {
    const parsed = parseStoreUrl(await postgres.createDatabase());
    assert.ok(parsed.ok && parsed.location.kind === 'postgres');
    const a = await openPgStore(parsed.location, { recountEveryMs: 0 });
    const b = await openPgStore(parsed.location, { recountEveryMs: 0 });
    try {
      await a.groups.save(group('g1', T0));
      await a.groups.save(group('g-later', T0 + 60_000));
      assert.equal(await b.groups.claimDue('g-later', T0), undefined, 'not due yet');
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let claimed!: () => void;
      const claimedYet = new Promise<void>((r) => (claimed = r));
      const flushA = a.unitOfWork(async (tx) => {
        const g = await tx.groups.claimDue('g1', T0);
        assert.equal(g?.key, 'g1');
        claimed();
        await held;
        await tx.groups.markFlushed('g1', T0, T0 + 300_000);
      });
      await claimedYet;
      // B's flush unit meanwhile: skipped at once (SKIP LOCKED), it does not wait for A.
      const during = await b.unitOfWork((tx) => tx.groups.claimDue('g1', T0));
      assert.equal(during, undefined);
      release();
      await flushA;
      assert.equal(await b.unitOfWork((tx) => tx.groups.claimDue('g1', T0)), undefined, 'flushed by A: no longer due at T0');
      assert.equal((await b.unitOfWork((tx) => tx.groups.claimDue('g1', T0 + 300_000)))?.lastFlushAt, T0, 'due again at its next time, as A left it');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
