import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate, StoreVersionError, type Migration } from '../../src/store/index.js';

const NEXT: Migration = {
  version: MIGRATIONS.at(-1)!.version + 1,
  description: 'a later version (test)',
  up: (db) => db.exec('ALTER TABLE events ADD COLUMN upgraded_by_test TEXT'),
};

describe('upgrade: a backup of the store before migrating it; a downgrade refused', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'o365-upgrade-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('copies the store as it was into backups/ before applying a newer migration', () => {
    const file = join(dir, 'o365-notify.db');
    const db = new Database(file);
    migrate(db, file);
    db.prepare("INSERT INTO meta (key, value) VALUES ('marker', 'before-upgrade')").run();
    assert.deepEqual(migrate(db, file, [...MIGRATIONS, NEXT]), [NEXT.version]);
    db.close();
    const backups = readdirSync(join(dir, 'backups'));
    assert.equal(backups.length, 1);
    assert.match(backups[0]!, new RegExp(`^o365-notify\\.schema-v${NEXT.version - 1}\\..+\\.db$`));
    const copy = new Database(join(dir, 'backups', backups[0]!), { readonly: true });
    assert.equal(copy.pragma('user_version', { simple: true }), NEXT.version - 1);
    assert.deepEqual(copy.prepare("SELECT value FROM meta WHERE key = 'marker'").get(), { value: 'before-upgrade' });
    copy.close();
    assert.equal(statSync(join(dir, 'backups', backups[0]!)).mode & 0o777, 0o600);
  });

  it('takes no copy for a new store or one already up to date', async () => {
    const fresh = await mkdtemp(join(dir, 'fresh-'));
    const file = join(fresh, 'o365-notify.db');
    const db = new Database(file);
    migrate(db, file);
    migrate(db, file);
    db.close();
    assert.deepEqual(readdirSync(fresh).filter((f) => f === 'backups'), []);
  });

  it('an older version refuses a newer store and says where the pre-upgrade copy is', async () => {
    const newer = await mkdtemp(join(dir, 'newer-'));
    const file = join(newer, 'o365-notify.db');
    const db = new Database(file);
    migrate(db, file, [...MIGRATIONS, NEXT]);
    assert.throws(() => migrate(db, file), (err: unknown) => {
      assert.ok(err instanceof StoreVersionError);
      assert.match(err.message, new RegExp(`schema version ${NEXT.version}, but this o365-notify understands versions up to ${NEXT.version - 1}`));
      assert.match(err.message, /backups, o365-notify\.schema-v\d+\.\*\.db\) in its place/);
      return true;
    });
    db.close();
  });
});
