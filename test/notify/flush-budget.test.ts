import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { noopLogger } from '../../src/infra/index.js';
import { flushDueGroupsWithin, routeEvents, type PipelineContext } from '../../src/notify/pipeline.js';
import { TemplateSet } from '../../src/notify/render.js';
import { MINUTE, RealClock, event, harness } from './helpers.js';

/** Issue 14: a running cycle flushes groups for a bounded time and leaves the rest for the next. */
describe('group flush within a time budget', () => {
  it('flushes at least one group per call, says when due groups are left, and the next calls finish them', async () => {
    const h = harness({ group_by: ['agent'], group_wait: '0s', group_interval: '1m' });
    try {
      for (let i = 0; i < 12; i++) await h.service.submit(event({ agent: `SRV-${i}` }));
      const ctx: PipelineContext = { store: h.service.store, rules: h.service.rules, templates: new TemplateSet(), newId: randomUUID, logger: noopLogger, maxAlertsPerEmail: 200 };
      const now = h.clock.advance(MINUTE);
      assert.equal(await routeEvents(ctx, now, 100), 12);

      const first = await flushDueGroupsWithin(ctx, now, 0);
      assert.equal(first.queued.length, 1, 'a spent budget still flushes one group');
      assert.equal(first.more, true);
      assert.equal(h.store.groups.due(now, 100).length, 11);

      const rest = await flushDueGroupsWithin(ctx, now, Infinity);
      assert.equal(rest.queued.length, 11);
      assert.equal(rest.more, false);
      assert.equal(h.store.groups.due(now, 100).length, 0);
    } finally {
      h.close();
    }
  });

  it('the running service flushes a large round over several cycles and sends every e-mail', async () => {
    const clock = new RealClock();
    const h = harness({ group_by: ['agent'], group_wait: '0s', group_interval: '1m' }, { clock, tickIntervalMs: 20 });
    try {
      await h.service.start();
      const agents = 60;
      await h.service.submit(Array.from({ length: agents }, (_, i) => event({ agent: `SRV-${i}` })));
      const deadline = Date.now() + 20_000;
      while (h.sender.sent.length < agents) {
        if (Date.now() > deadline) throw new Error(`only ${h.sender.sent.length} of ${agents} e-mails went out`);
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(h.sender.sent.length, agents, 'one e-mail per group');
    } finally {
      await h.service.stop();
      h.close();
    }
  });
});
