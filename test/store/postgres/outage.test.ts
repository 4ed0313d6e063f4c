import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseStoreUrl } from '../../../src/shared/index.js';
import { createPgPool, describePgError, migratePg, PgOutbox } from '../../../src/store/postgres/index.js';
import { skipReason, startTestPostgres, type TestPostgres } from '../../support/postgres.js';

const started = await startTestPostgres();
const T0 = 1_750_000_000_000;

describe('PostgreSQL restarted under a running pool', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  before(() => {
    assert.ok(started.ok);
    postgres = started.postgres;
  });
  after(() => postgres?.stop());

  it('the process does not crash, queries during the outage fail with a sentence that says so, and the same pool works again after; committed claims survive', async () => {
    const parsed = parseStoreUrl(await postgres.createDatabase());
    assert.ok(parsed.ok && parsed.location.kind === 'postgres');
    const location = parsed.location;
    const pool = createPgPool(location, { max: 3 });
    const outbox = new PgOutbox(pool);
    try {
      await migratePg(pool, location);
      for (const id of ['before-1', 'before-2']) {
        await outbox.add({ id, kind: 'alert', groupKey: 'g', to: ['ops@contoso.com'], cc: [], bcc: [], subject: id, html: '', text: '', importance: 'normal', createdAt: T0 });
      }
      const [claim] = await outbox.claimDue(T0, 1, { owner: 'host-a/1', expiresAt: T0 + 60_000 });
      assert.ok(claim);
      // Idle connections in the pool are closed by the server's shutdown: the pool's error handler
      // keeps that from being an unhandled 'error' event that would end the process.
      await postgres.stopServer();
      const during = await outbox.countByStatus().then(
        () => assert.fail('a query answered while the server was down'),
        (err: unknown) => describePgError(err, location),
      );
      assert.match(during, /Cannot reach PostgreSQL at 127\.0\.0\.1:\d+ \(connection refused\)|closed the connection|shutting down/);
      assert.ok(!during.includes(postgres.password));
      await postgres.startServer();
      // The same pool reconnects by itself.
      const counts = await outbox.countByStatus();
      assert.deepEqual({ queued: counts.queued, sending: counts.sending }, { queued: 1, sending: 1 });
      assert.equal(await outbox.finishAttemptWith(claim.notification.id, claim.attemptId, { result: 'sent', at: T0 + 1_000 }), 'sent', 'the claim made before the outage still owns its row');
    } finally {
      await pool.end();
    }
  });
});
