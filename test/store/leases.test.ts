import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { tempDir } from './helpers.js';

const base = { kind: 'alert' as const, groupKey: 'g', to: ['a@example.com'], cc: [], bcc: [], subject: 's', html: '<p>h</p>', text: 't', importance: 'high' as const };

describe('outbox claims with a lease and an owner (issue 9.2)', () => {
  it('a restart re-queues only expired leases and its own earlier run, never a live worker\'s claim', () => {
    const tmp = tempDir('o365-lease-');
    try {
      const file = path.join(tmp.dir, 'outbox.db');
      const store = openStore(file);
      for (const id of ['mine', 'other', 'expired']) store.outbox.add({ ...base, id, createdAt: 100 });
      store.outbox.claimById('mine', 200, { owner: 'host-a/run-1', expiresAt: 10_000 });
      store.outbox.claimById('other', 200, { owner: 'host-b/run-9', expiresAt: 10_000 });
      store.outbox.claimById('expired', 200, { owner: 'host-c/run-3', expiresAt: 300 });
      store.close();
      // host-a restarts (a new run) at 400: its own earlier claim and the expired one go back; host-b's live claim stays.
      const reopened = openStore(file);
      assert.equal(reopened.outbox.requeueInterrupted(400, { owner: 'host-a/run-2' }), 2);
      assert.equal(reopened.outbox.get('mine')!.status, 'queued');
      assert.equal(reopened.outbox.get('expired')!.status, 'queued');
      assert.equal(reopened.outbox.get('other')!.status, 'sending', 'a live claim of another worker is not re-sent');
      assert.equal(reopened.outbox.attempts('other')[0]!.result, 'in-flight');
      assert.equal(reopened.outbox.attempts('mine')[0]!.result, 'interrupted');
      // Once host-b's lease runs out, it is re-queued too.
      assert.equal(reopened.outbox.requeueInterrupted(10_000, { owner: 'host-a/run-2' }), 1);
      assert.equal(reopened.outbox.get('other')!.status, 'queued');
      reopened.close();
    } finally {
      tmp.cleanup();
    }
  });

  it('a late answer from a lost lease cannot overwrite the new owner\'s result', () => {
    const tmp = tempDir('o365-lease-');
    try {
      const store = openStore(path.join(tmp.dir, 'outbox.db'));
      store.outbox.add({ ...base, id: 'x', createdAt: 100 });
      const old = store.outbox.claimById('x', 200, { owner: 'host-a/run-1', expiresAt: 300 })!;
      assert.equal(store.outbox.requeueInterrupted(400), 1, 'the lease expired');
      const fresh = store.outbox.claimDue(400, 10, { owner: 'host-b/run-1', expiresAt: 10_000 });
      assert.equal(fresh.length, 1);
      assert.equal(store.outbox.finishAttemptWith('x', fresh[0]!.attemptId, { result: 'sent', at: 450, messageId: 'new' }), 'sent');
      // The first owner's answer arrives now: a failure. It is recorded on its own attempt only.
      assert.equal(store.outbox.finishAttemptWith('x', old.attemptId, { result: 'failed', at: 500, error: 'HTTP 500' }), 'lost');
      const row = store.outbox.get('x')!;
      assert.equal(row.status, 'sent');
      assert.equal(row.messageId, 'new');
      assert.deepEqual(store.outbox.attempts('x').map((a) => [a.result, a.owner]), [['failed', 'host-a/run-1'], ['sent', 'host-b/run-1']]);
      store.close();
    } finally {
      tmp.cleanup();
    }
  });
});
