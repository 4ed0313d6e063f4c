import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rotateApiToken } from '../../src/server/api-token.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import {
  DroppedConnectionError,
  PER_FOLDER_NOTIFICATIONS,
  alertBatch,
  arrivals,
  call,
  inbox,
  inspectStore,
  keepAliveAgent,
  reliabilityHome,
  startServiceProcess,
  waitFor,
  type ServiceProcess,
} from './support.js';

const EVENTS = 2000;
const BATCH = 100;
const ALERTS_PER_GROUP = 10;
/** The worker's sends in flight at once (DeliveryOptions.concurrency default, Graph's 4). */
const CLIENT_CONCURRENCY = 4;
const SEND_DELAY_MS = 150;

/** Batch `b`: 10 agent/folder groups of 10 distinct alerts each, so one batch makes 10 e-mails. */
const batch = (b: number) => alertBatch(b, BATCH, ALERTS_PER_GROUP, 2);

describe('kill -9 while e-mails are in flight', () => {
  let emu: TestEmulator;
  let home: string;
  let cleanup: () => Promise<void>;
  let svc: ServiceProcess | undefined;
  const agent = keepAliveAgent(4);

  before(async () => {
    emu = await startTestEmulator();
    ({ home, cleanup } = await reliabilityHome(emu, PER_FOLDER_NOTIFICATIONS));
  });
  after(async () => {
    agent.destroy();
    await svc?.stop();
    await emu.stop();
    await cleanup();
  });

  it('every acknowledged event is in a delivered e-mail after a restart; duplicates at most the sends in flight', { timeout: 120_000 }, async (t) => {
    const { token } = await rotateApiToken(home);
    // Slow sends: the kill lands while the worker has its 4 sends open at the emulator.
    await emu.call('POST', '/_emulator/faults', { endpoint: 'graph.sendMail', kind: 'slow', delayMs: SEND_DELAY_MS, durationSeconds: 3600 });

    svc = await startServiceProcess(home);
    const acknowledged: number[] = [];
    const post = async (url: string, b: number): Promise<boolean> => {
      try {
        const r = await call(agent, url, 'POST', '/api/v1/events', { token, body: batch(b) });
        assert.equal(r.status, 202, r.text);
        assert.equal(r.json.ids.length, BATCH);
        acknowledged.push(...(r.json.ids as number[]));
        return true;
      } catch (err) {
        if (err instanceof DroppedConnectionError) return false; // the kill: not acknowledged, nothing promised
        throw err;
      }
    };

    // Post at a steady pace and pull the plug once some, not all, e-mails arrived.
    const batches = EVENTS / BATCH;
    let next = 0;
    let killedAtDelivered = -1;
    const first = svc;
    // Kill only while the service itself has sends open (rows 'sending'): between two batches the
    // queue can be empty for a moment, and a kill then cuts off nothing and proves nothing.
    const watcher = keepAliveAgent(1);
    const killer = waitFor(async () => {
      const delivered = (await emu.call('GET', '/_emulator/stats')).json().messagesDelivered as number;
      if (delivered < 30) return undefined;
      const sending = (await call(watcher, first.url, 'GET', '/api/v1/status', { token })).json.service.queue.outbox.sending as number;
      return sending >= 1 ? delivered : undefined;
    }, 'the first 30 e-mails with sends open', 60_000, 20).then((delivered) => {
      killedAtDelivered = delivered;
      first.child.kill('SIGKILL');
      watcher.destroy();
    });
    while (next < batches && killedAtDelivered < 0) {
      // A batch cut off by the kill is not retried: it was never acknowledged.
      const acked = await post(first.url, next++);
      if (!acked) break;
      await new Promise((r) => setTimeout(r, 150));
    }
    await killer;
    const acknowledgedBeforeKill = acknowledged.length;
    const exit = await first.exited;
    assert.equal(exit.signal, 'SIGKILL', first.output());
    const expectedEmails = batches * (BATCH / ALERTS_PER_GROUP);
    assert.ok(killedAtDelivered < expectedEmails, `the kill came before the end (${killedAtDelivered} of ${expectedEmails} delivered)`);
    assert.ok(acknowledgedBeforeKill >= BATCH, 'events were acknowledged before the kill');

    // The same store, a new process; then the rest of the events.
    agent.destroy();
    const agent2 = keepAliveAgent(4);
    try {
      svc = await startServiceProcess(home);
      const url = svc.url;
      for (; next < batches; next++) assert.ok(await post(url, next), 'the restarted service answers');
      assert.ok(acknowledged.length >= EVENTS - BATCH * 2, `most events acknowledged (${acknowledged.length})`);

      const drained = await waitFor(
        async () => {
          const s = (await call(agent2, url, 'GET', '/api/v1/status', { token })).json.service;
          const q = s.queue;
          return q.undeliveredEvents === 0 && q.outbox.queued === 0 && q.outbox.sending === 0 && q.outbox.waitingSignIn === 0 && s;
        },
        'the queue to drain after the restart',
        90_000,
        200,
      );
      assert.equal(drained.queue.outbox.failed, 0, 'no e-mail failed');

      // The emulator's mailbox: each e-mail at least once, duplicates only from the sends cut off by the kill.
      const messages = await inbox(emu);
      const counts = arrivals(messages);
      const duplicates = [...counts.values()].reduce((n, c) => n + (c - 1), 0);
      assert.ok(duplicates <= CLIENT_CONCURRENCY, `${duplicates} duplicate e-mails; at most ${CLIENT_CONCURRENCY} were in flight`);

      const stopped = await svc.stop();
      assert.equal(stopped.code, 0, svc.output());
      svc = undefined;

      const store = inspectStore(home, acknowledged);
      assert.deepEqual(store.integrityProblems, []);
      assert.ok(store.interruptedAttempts >= 1 && store.interruptedAttempts <= CLIENT_CONCURRENCY, `the kill cut off ${store.interruptedAttempts} sends`);
      assert.ok(duplicates <= store.interruptedAttempts, `${duplicates} duplicates, ${store.interruptedAttempts} sends were in flight`);
      assert.deepEqual(store.missing, [], 'acknowledged events are in the store');
      assert.deepEqual(store.notInSentEmail, [], 'every acknowledged event is in a sent e-mail');
      assert.equal(store.notificationsByStatus.sent, counts.size, 'every sent e-mail is in the mailbox');
      assert.ok(counts.size >= acknowledged.length / ALERTS_PER_GROUP, `one e-mail per group at least (${counts.size})`);
      t.diagnostic(
        `killed after ${killedAtDelivered} e-mails and ${acknowledgedBeforeKill} acknowledged events; ${acknowledged.length} events acknowledged in all; ${counts.size} e-mails, ${duplicates} duplicates; ` +
          `${store.interruptedAttempts} sends cut off; max ${store.maxAttemptsPerEmail} attempts per e-mail`,
      );
    } finally {
      agent2.destroy();
    }
  });
});
