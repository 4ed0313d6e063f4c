import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HOUR, MINUTE, SendError, event, harness } from './helpers.js';

/**
 * Issue 14, outages: while Graph cannot be reached, a group keeps at most one unsent e-mail. Each
 * flush with news updates it (what the first version announced still said), a flush that changes
 * nothing it says does not render it again, and when Graph is back one e-mail per group goes out.
 */
describe('an outage: one unsent e-mail per group (issue 14)', () => {
  it('updates the unsent e-mail instead of adding one, re-renders only on change, sends one when Graph is back', async () => {
    const h = harness({ group_by: ['agent'], group_wait: '0s', group_interval: '1m', repeat_interval: '4h' }, { delivery: { retryBaseMs: 1000, retryMaxMs: 30_000 } });
    try {
      let graphUp = false;
      h.sender.behaviour = () => {
        if (!graphUp) throw new SendError('connect ECONNREFUSED graph.microsoft.com', true);
        return {};
      };
      const groupEmails = () =>
        h.store.db.prepare("SELECT id, status, html FROM notifications WHERE kind = 'alert' ORDER BY created_at").all() as {
          id: string;
          status: string;
          html: string;
        }[];

      await h.service.submit(event({ agent: 'SRV-1', folder: 'D:\\Folder-0' }));
      await h.service.tick(h.clock.advance(MINUTE));
      const [first] = groupEmails();
      assert.ok(first && first.status === 'queued', 'the first e-mail waits for its retry');
      assert.ok(h.sender.calls.length >= 1, 'and was tried');

      for (let i = 1; i <= 5; i++) {
        await h.service.submit(event({ agent: 'SRV-1', folder: `D:\\Folder-${i}` }));
        await h.service.tick(h.clock.advance(MINUTE));
      }
      const during = groupEmails();
      assert.equal(during.length, 1, 'five more flushes of the group, still one e-mail');
      assert.equal(during[0]!.id, first.id);
      for (let i = 0; i <= 5; i++) assert.ok(during[0]!.html.includes(`Folder-${i}`), `the e-mail lists Folder-${i}`);
      assert.ok(!during[0]!.html.includes('Still failing'), 'every alert still shows as new (Failing): nobody has read the first version');

      // News held back by a silence: the group flushes, but what its e-mail says is unchanged.
      await h.service.addSilence({ matchers: { folder: 'D:\\Silenced' }, endsAt: h.clock.now + 4 * HOUR });
      await h.service.submit(event({ agent: 'SRV-1', folder: 'D:\\Silenced' }));
      await h.service.tick(h.clock.advance(MINUTE));
      const unchanged = groupEmails();
      assert.equal(unchanged.length, 1);
      // A new rendering would carry this minute's "Sent by o365-notify at ..." time.
      assert.equal(unchanged[0]!.html, during[0]!.html, 'not rendered again');

      // Another group is its own e-mail.
      await h.service.submit(event({ agent: 'SRV-2' }));
      await h.service.tick(h.clock.advance(MINUTE));
      assert.equal(groupEmails().length, 2);

      graphUp = true;
      await h.service.tick(h.clock.advance(MINUTE));
      const after = groupEmails();
      assert.deepEqual(after.map((e) => e.status), ['sent', 'sent']);
      assert.equal(h.sender.sent.length, 2, 'one e-mail per group went out');
      assert.ok(h.sender.sent.some((m) => [0, 3, 5].every((i) => String(m.html).includes(`Folder-${i}`))));
      assert.equal((await h.service.deliveries({ limit: 5 })).find((d) => d.notification.id === first.id)!.eventIds.length, 6, 'it carries every event');
      assert.equal(h.store.undeliveredEvents(), 0);
    } finally {
      h.close();
    }
  });
});
