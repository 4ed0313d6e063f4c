import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseStoreUrl } from '../../../src/shared/index.js';
import { openStore } from '../../../src/store/index.js';
import { copySqliteToPg, createPgPool, TargetNotEmptyError } from '../../../src/store/postgres/index.js';
import { tempDir } from '../helpers.js';
import { skipReason, startTestPostgres, type TestPostgres } from '../../support/postgres.js';

const started = await startTestPostgres();

function message(id: string, raw: Buffer | null, spoolFile: string | null) {
  return {
    id,
    receivedAt: 1_750_000_000_000,
    clientAddress: '192.0.2.10',
    smtpUser: 'scanner',
    envelopeFrom: 'scanner@contoso.com',
    recipients: ['ops@contoso.com'],
    size: (raw ?? fs.readFileSync(spoolFile!)).length,
    headerFrom: 'scanner@contoso.com',
    messageId: `<${id}@contoso.com>`,
    subject: `scan ${id}`,
    raw,
    spoolFile,
  };
}

describe('store copy of relayed messages', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  before(() => {
    assert.ok(started.ok);
    postgres = started.postgres;
  });
  after(() => postgres?.stop());

  it('reads a spooled message into the database, keeps inline ones byte for byte, and a refused second copy leaves the first intact', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'data', 'o365-notify.db');
      const store = openStore(file);
      const spool = path.join(dir, 'relay-spool', 'big.eml');
      fs.mkdirSync(path.dirname(spool), { recursive: true });
      const big = Buffer.concat([Buffer.from('Subject: scan\r\n\r\n'), randomBytes(300_000)]);
      fs.writeFileSync(spool, big);
      const small = Buffer.from('Subject: small\r\n\r\nhello\r\n');
      await store.relay.accept(message('inline', small, null));
      await store.relay.accept(message('spooled', null, spool));
      store.close();

      const parsed = parseStoreUrl(await postgres.createDatabase());
      assert.ok(parsed.ok && parsed.location.kind === 'postgres');
      const pool = createPgPool(parsed.location);
      try {
        const report = await copySqliteToPg(file, pool, parsed.location);
        assert.equal(report.inlinedSpoolFiles, 1);
        assert.equal(report.tables.find((t) => t.table === 'relay_messages')?.rows, 2);
        const { rows } = await pool.query<{ notification_id: string; raw: Buffer; spool_file: string | null }>(
          'SELECT notification_id, raw, spool_file FROM relay_messages ORDER BY notification_id',
        );
        assert.deepEqual(rows.map((r) => r.notification_id), ['inline', 'spooled']);
        assert.ok(rows[0]!.raw.equals(small));
        assert.ok(rows[1]!.raw.equals(big), 'the spooled bytes are in the database');
        assert.equal(rows[1]!.spool_file, null, 'no path into the old home');
        // The SQLite store still points to its spool file: the copy changes nothing there.
        const again = openStore(file);
        assert.equal((await again.relay.get('spooled'))?.spoolFile, spool);
        again.close();
        await assert.rejects(copySqliteToPg(file, pool, parsed.location), TargetNotEmptyError);
        const count = await pool.query<{ n: number }>('SELECT count(*)::bigint AS n FROM relay_messages');
        assert.equal(count.rows[0]!.n, 2);
      } finally {
        await pool.end();
      }
    } finally {
      cleanup();
    }
  });
});
