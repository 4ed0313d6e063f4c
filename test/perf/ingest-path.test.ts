import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { ApiTokenVerifier, rotateApiToken } from '../../src/server/api-token.js';
import { HOUR, MINUTE, event, harness, tempDir } from '../notify/helpers.js';

/** Issue 14: the ingest path serialises each event once and routes a batch with one UPDATE. */
describe('ingest path (issue 14)', () => {
  it('checking the API token does no file system work per request', async () => {
    const home = tempDir('o365-token-');
    const verifier = new ApiTokenVerifier(home.dir, { recheckMs: 60_000 });
    const statSync = fs.statSync;
    const readFileSync = fs.readFileSync;
    let calls = 0;
    try {
      const { token } = await rotateApiToken(home.dir);
      assert.equal(verifier.verify(token), true, 'the first check reads the file');
      // node:fs's default export is a plain object: its functions can be swapped for counters.
      Object.assign(fs, {
        statSync: (...a: Parameters<typeof fs.statSync>) => (calls++, statSync(...a)),
        readFileSync: (...a: Parameters<typeof fs.readFileSync>) => (calls++, readFileSync(...a)),
      });
      for (let i = 0; i < 200; i++) assert.equal(verifier.verify(i % 2 ? token : 'o365n_wrong'), i % 2 === 1);
      assert.equal(calls, 0, 'no stat or read for 200 checks');
    } finally {
      Object.assign(fs, { statSync, readFileSync });
      verifier.close();
      home.cleanup();
    }
  });

  it("an event's details are serialised once between submit and the alert row", async () => {
    const h = harness({ group_wait: '10m' });
    const stringify = JSON.stringify;
    const parse = JSON.parse;
    let stringified = 0;
    let parsed = 0;
    const marked = (v: unknown) => typeof v === 'object' && v !== null && (v as Record<string, unknown>).marker === 'issue-14';
    JSON.stringify = ((value: unknown, ...rest: unknown[]) => {
      if (marked(value)) stringified++;
      return (stringify as (...a: unknown[]) => string)(value, ...rest);
    }) as typeof JSON.stringify;
    JSON.parse = ((text: string, ...rest: unknown[]) => {
      if (typeof text === 'string' && text.includes('"marker":"issue-14"')) parsed++;
      return (parse as (...a: unknown[]) => unknown)(text, ...rest);
    }) as typeof JSON.parse;
    try {
      const [id] = await h.service.submit(event({ details: { marker: 'issue-14', job: { name: 'nightly', files: [1, 2, 3] } } }));
      await h.service.tick(h.clock.advance(MINUTE));
      JSON.stringify = stringify;
      JSON.parse = parse;
      assert.equal(h.store.events.get(id!)!.outcome, 'pending', 'routed');
      assert.deepEqual(h.store.alerts.list()[0]!.details, { marker: 'issue-14', job: { name: 'nightly', files: [1, 2, 3] } }, 'the alert row has the details');
      assert.equal(stringified, 1, 'serialised once (validation measures it; the store writes that text)');
      assert.ok(parsed <= 2, `parsed at most twice (validation's clean copy, routing's read): ${parsed}`);
    } finally {
      JSON.stringify = stringify;
      JSON.parse = parse;
      h.close();
    }
  });

  it('routing writes a batch of events with one UPDATE, and an alert moved to another group takes its events of the batch along', async () => {
    const updates: string[] = [];
    let recording = false;
    const h = harness(
      { group_wait: '10m', rules: [{ name: 'critical', match: { severity: 'critical' }, recipients: ['oncall@contoso.com'] }] },
      { storeOptions: { trace: (sql) => recording && /^\s*UPDATE events\b/i.test(sql) && updates.push(sql) } },
    );
    try {
      // One alert (same type, agent, folder): warning, then critical -> another route, another group.
      const ids = await h.service.submit([
        event({ severity: 'warning', summary: 'first' }),
        ...Array.from({ length: 20 }, (_, i) => event({ agent: `SRV-${i}`, severity: 'warning' })),
        event({ severity: 'critical', summary: 'worse' }),
        event({ type: 'imagemanager.daily_report', severity: 'info', summary: 'report' }),
      ]);
      recording = true;
      await h.service.tick(h.clock.advance(MINUTE));
      recording = false;
      const batchUpdates = updates.filter((s) => /SET group_key = j\.value/.test(s));
      const perEvent = updates.filter((s) => /SET group_key = \?, outcome = \? WHERE id = \?/.test(s) || /WHERE id = \d+$/.test(s));
      assert.equal(batchUpdates.length, 1, `one batch UPDATE: ${updates.join('\n')}`);
      assert.equal(perEvent.length, 0, 'no UPDATE per event');

      const first = h.store.events.get(ids[0]!)!;
      const worse = h.store.events.get(ids[21]!)!;
      const report = h.store.events.get(ids[22]!)!;
      assert.equal(worse.outcome, 'pending');
      assert.equal(first.outcome, 'pending');
      assert.equal(first.groupKey, worse.groupKey, 'the earlier event moved with its alert to the critical group');
      assert.equal(report.outcome, 'report');
      assert.equal(report.groupKey, null);
      assert.ok(ids.slice(1, 21).every((id) => h.store.events.get(id)!.outcome === 'pending'));
      assert.equal(h.store.events.undeliveredCount, h.store.events.countUndelivered(), 'the in-memory count stays exact');

      // Both reach the on-call e-mail together.
      await h.service.tick(h.clock.advance(HOUR));
      const oncall = h.sender.sent.filter((m) => JSON.stringify(m.to).includes('oncall@contoso.com'));
      assert.equal(oncall.length, 1);
      assert.equal(h.store.events.get(ids[0]!)!.outcome, 'notified');
      assert.equal(h.store.events.get(ids[21]!)!.outcome, 'notified');
    } finally {
      h.close();
    }
  });
});
