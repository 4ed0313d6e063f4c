import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS, openStore } from '../../src/store/index.js';
import { addRelayUser, listRelayUsers } from '../../src/relay/index.js';
import { verifyPassword } from '../../src/relay/passwords.js';

describe('relay store', () => {
  it('migrates an existing store: the kind CHECK takes relay, rows and attempts kept, integrity ok', async () => {
    const db = new Database(':memory:');
    MIGRATIONS[0]!.up(db);
    db.pragma('user_version = 1');
    db.prepare("INSERT INTO notifications (id, kind, group_key, recipients, subject, html, text, status, created_at, updated_at) VALUES ('n1', 'alert', 'g', '[]', 's', '', '', 'sent', 1, 1)").run();
    db.prepare("INSERT INTO delivery_attempts (notification_id, attempt, started_at, result) VALUES ('n1', 1, 1, 'sent')").run();
    const relay = MIGRATIONS.find((m) => m.description.startsWith('SMTP relay'))!;
    db.transaction(() => relay.up(db))();
    assert.equal((db.prepare('SELECT count(*) AS n FROM delivery_attempts').get() as { n: number }).n, 1);
    db.prepare("INSERT INTO notifications (id, kind, group_key, recipients, subject, html, text, status, created_at, updated_at) VALUES ('n2', 'relay', 'g', '[]', 's', '', '', 'queued', 1, 1)").run();
    assert.throws(() => db.prepare("INSERT INTO notifications (id, kind, group_key, recipients, subject, html, text, status, created_at, updated_at) VALUES ('n3', 'bogus', 'g', '[]', 's', '', '', 'queued', 1, 1)").run(), /CHECK/);
    assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
  });

  it('accepts a message as an outbox row of kind relay, and keeps users as scrypt hashes', async () => {
    const store = openStore(':memory:');
    try {
      await store.relay.accept({
        id: 'm1', receivedAt: 5, clientAddress: '127.0.0.1', smtpUser: null, envelopeFrom: 'a@contoso.com', recipients: ['b@contoso.com', 'c@contoso.com'],
        size: 3, headerFrom: 'a@contoso.com', messageId: '<x@y>', subject: 'Hello', raw: Buffer.from('abc'), spoolFile: null,
      });
      const row = store.outbox.get('m1')!;
      assert.equal(row.kind, 'relay');
      assert.deepEqual(row.to, ['b@contoso.com', 'c@contoso.com']);
      assert.equal(row.status, 'queued');
      const m = (await store.relay.get('m1'))!;
      assert.equal(m.raw!.toString(), 'abc');
      assert.deepEqual(await store.relay.counts(), { queued: 1 });
      const added = await addRelayUser(store.relay, { name: 'imagemanager' });
      assert.ok(added.generatedPassword && added.generatedPassword.length >= 20);
      const user = (await store.relay.user('imagemanager'))!;
      assert.match(user.passwordHash, /^scrypt\$/);
      assert.ok(!user.passwordHash.includes(added.generatedPassword!));
      assert.equal(await verifyPassword(added.generatedPassword!, user.passwordHash), true);
      assert.equal(await verifyPassword('wrong-password', user.passwordHash), false);
      assert.deepEqual((await listRelayUsers(store.relay)).map((u) => Object.keys(u).includes('passwordHash')), [false]);
    } finally {
      store.close();
    }
  });
});
