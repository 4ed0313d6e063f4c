import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotificationService } from '../../src/notify/service.js';
import { serviceStorePath, withLocalService } from '../../src/server/index.js';
import { openStore, sqliteNotifyStore } from '../../src/store/index.js';
import { FakeClock, FakeSender, SECOND, event, rulesFrom, tempDir } from '../notify/helpers.js';

describe('the CLI fallback without a running service (issue 9.3)', () => {
  it('`silence remove` with no service running leaves every group its configured recipients', async () => {
    const tmp = tempDir('o365-local-');
    try {
      const clock = new FakeClock();
      const store = openStore(serviceStorePath(tmp.dir));
      const rules = rulesFrom({ daily_report: false, group_wait: '5m' }, ['london-it@contoso.com']);
      const service = new NotificationService({ store: sqliteNotifyStore(store), channel: new FakeSender(), rules, clock: clock.read });
      const silence = await service.addSilence({ matchers: { type: 'nothing.matches' }, endsAt: clock.now + 3_600_000 });
      await service.submit(event({ agent: 'LON-FS01' }));
      await service.tick(clock.advance(SECOND));
      const before = store.db.prepare('SELECT key, recipients FROM alert_groups').all() as { key: string; recipients: string }[];
      assert.equal(before.length, 1);
      assert.deepEqual(JSON.parse(before[0]!.recipients), ['london-it@contoso.com']);
      const undeliveredBefore = store.undeliveredEvents();
      store.close();

      // Before the fix this reviewed every group with default rules (no recipients): the e-mails were dropped as no-recipients.
      assert.equal(await withLocalService(tmp.dir, (s) => s.removeSilence(silence.id)), true);

      const reopened = openStore(serviceStorePath(tmp.dir));
      const after = reopened.db.prepare('SELECT key, recipients FROM alert_groups').all() as { key: string; recipients: string }[];
      assert.deepEqual(after, before, 'groups untouched');
      assert.equal(reopened.undeliveredEvents(), undeliveredBefore, 'nothing dropped; the count never goes negative');
      assert.ok(reopened.undeliveredEvents() >= 0);
      reopened.close();
    } finally {
      tmp.cleanup();
    }
  });
});
