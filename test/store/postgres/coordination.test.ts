import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { InProcessMailboxPacing, systemClock, type Clock, type SharedMailboxPacing } from '../../../src/graph/index.js';
import { MailboxPacer } from '../../../src/graph/pacing.js';
import { parseStoreUrl } from '../../../src/shared/index.js';
import { createPgPool, describePgError, InstanceRegistry, JobLeases, migratePg, PgMailboxPacing, runSingleton, StaleLeaseError, startHeartbeat, transact, type HeldLease } from '../../../src/store/postgres/index.js';
import { skipReason, startTestPostgres, type TestPostgres } from '../../support/postgres.js';

const started = await startTestPostgres();

/** Polls `probe` until it returns a value (not undefined), failing after `deadlineMs`. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs = 10_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) assert.fail(`not within ${deadlineMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('coordination of instances on PostgreSQL', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  const pools: pg.Pool[] = [];

  /** `n` instances: a pool each on one new, migrated database. */
  async function instances(n: number, max = 4): Promise<pg.Pool[]> {
    const url = await postgres.createDatabase();
    const parsed = parseStoreUrl(url);
    assert.ok(parsed.ok && parsed.location.kind === 'postgres');
    const created = Array.from({ length: n }, () => createPgPool(parsed.location as never, { max }));
    pools.push(...created);
    await migratePg(created[0]!, parsed.location as never);
    return created;
  }

  before(() => {
    assert.ok(started.ok);
    postgres = started.postgres;
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
    await postgres?.stop();
  });

  describe('singleton-job leases', () => {
    it('two instances racing for a lease: exactly one wins, every time', async () => {
      const [a, b] = (await instances(2)).map((p) => new JobLeases(p));
      for (let round = 0; round < 25; round++) {
        const name = `job-${round}`;
        // Three tries from each side at once.
        const results = await Promise.all([0, 1, 2].flatMap(() => [a!.acquire(name, 'A', 60_000), b!.acquire(name, 'B', 60_000)]));
        const winners = new Set(results.filter((r): r is HeldLease => r !== null).map((r) => r.owner));
        assert.equal(winners.size, 1, `round ${round}: one owner, got ${[...winners].join(', ') || 'none'}`);
        for (const r of results) if (r) assert.equal(r.fencing, 1);
      }
    });

    it('passes to the other instance when its holder stops renewing, only after the deadline, with a higher fencing token', async () => {
      const [a, b] = (await instances(2)).map((p) => new JobLeases(p));
      const held = await a!.acquire('daily-report', 'A', 400);
      assert.ok(held);
      assert.equal(await b!.acquire('daily-report', 'B', 400), null, 'held by A');
      // A stops renewing (paused or dead); B keeps trying.
      const taken = await eventually('B takes the lease', async () => (await b!.acquire('daily-report', 'B', 60_000)) ?? undefined);
      assert.equal(taken.fencing, held.fencing + 1);
      assert.ok(taken.until - 60_000 >= held.until, 'taken no earlier than the old deadline (database clock)');
      assert.equal(await a!.renew(held, 400), null, 'the old holder cannot renew');
      assert.equal(await a!.acquire('daily-report', 'A', 400), null, 'nor take it back while B holds it');
      // A release hands it over at once; the next owner's token is higher again.
      assert.equal(await b!.release(taken), true);
      const back = await a!.acquire('daily-report', 'A', 60_000);
      assert.equal(back?.fencing, taken.fencing + 1);
      // Renewing by its holder keeps the token.
      assert.equal((await a!.renew(back!, 60_000))?.fencing, back!.fencing);
    });

    it('the fencing token refuses a stale holder\'s write and lets the new holder\'s through', async () => {
      const [poolA, poolB] = await instances(2);
      const [a, b] = [new JobLeases(poolA!), new JobLeases(poolB!)];
      await poolA!.query('CREATE TABLE report_runs (day TEXT PRIMARY KEY, by_owner TEXT NOT NULL, fencing BIGINT NOT NULL)');
      const write = (pool: pg.Pool, leases: JobLeases, lease: HeldLease) =>
        transact(pool, async (client) => {
          await leases.assertHeld(client, lease);
          await client.query('INSERT INTO report_runs VALUES ($1, $2, $3) ON CONFLICT (day) DO UPDATE SET by_owner = EXCLUDED.by_owner, fencing = EXCLUDED.fencing', [
            '2026-12-04',
            lease.owner,
            lease.fencing,
          ]);
        });
      const stale = await a.acquire('daily-report', 'A', 300);
      assert.ok(stale);
      // A pauses past its deadline (a long GC, a VM frozen); B takes over and writes.
      const fresh = await eventually('B takes the lease', async () => (await b.acquire('daily-report', 'B', 60_000)) ?? undefined);
      await write(poolB!, b, fresh);
      // A wakes up and tries to write with its old token: refused, B's row stays.
      await assert.rejects(write(poolA!, a, stale), (err: Error) => {
        assert.ok(err instanceof StaleLeaseError);
        assert.match(err.message, /daily-report.*fencing token 1.*another instance holds it/);
        return true;
      });
      const { rows } = await poolA!.query('SELECT by_owner, fencing FROM report_runs');
      assert.deepEqual(rows, [{ by_owner: 'B', fencing: 2 }]);
    });
  });

  describe('runSingleton: a job run by one instance of those that tick', () => {
    it('three instances ticking at once: the job runs once, the others are told another instance holds it', async () => {
      const pools3 = await instances(3);
      let runs = 0;
      let skipped = 0;
      let othersDone!: () => void;
      const others = new Promise<void>((resolve) => (othersDone = resolve));
      const outcomes = await Promise.all(
        pools3.map((pool, i) =>
          runSingleton(new JobLeases(pool), 'retention', `i${i}`, 60_000, async (lease) => {
            runs += 1;
            await others; // holds the lease until both others have tried
            return lease.fencing;
          }).then((outcome) => {
            if (!outcome.ran && ++skipped === 2) othersDone();
            return outcome;
          }),
        ),
      );
      assert.equal(runs, 1);
      assert.equal(outcomes.filter((o) => o.ran).length, 1);
      assert.deepEqual(outcomes.filter((o) => !o.ran), [{ ran: false, holder: 'another instance' }, { ran: false, holder: 'another instance' }]);
      // Released after the run: the next tick of any instance takes it at once.
      assert.ok(await new JobLeases(pools3[1]!).acquire('retention', 'i1', 1_000));
    });

    it('a job longer than its lease keeps it by renewing; a lost lease aborts the job\'s signal', async () => {
      const [poolA, poolB] = await instances(2);
      const b = new JobLeases(poolB!);
      const untilNow = async () => (await poolA!.query<{ until: Date }>("SELECT until FROM job_leases WHERE name = 'keep-alive'")).rows[0]!.until.getTime();
      const outcome = await runSingleton(new JobLeases(poolA!), 'keep-alive', 'A', 300, async (lease) => {
        // Until the database clock is past the first deadline, with the lease renewed meanwhile.
        await eventually('renewed past the first deadline', async () => {
          const { rows } = await poolA!.query<{ past: boolean }>('SELECT clock_timestamp() > to_timestamp($1 / 1000.0) AS past', [lease.until + 100]);
          return rows[0]!.past ? true : undefined;
        });
        assert.ok((await untilNow()) > lease.until, 'renewed');
        assert.equal(await b.acquire('keep-alive', 'B', 1_000), null, 'still held while the job runs');
        return 'done';
      });
      assert.deepEqual(outcome, { ran: true, value: 'done', fencing: 1 });

      let aborted: unknown;
      await runSingleton(new JobLeases(poolA!), 'keep-alive', 'A', 300, async (_lease, signal) => {
        // Another instance takes the lease over (as if A had been cut off past its deadline).
        await poolB!.query("UPDATE job_leases SET until = '-infinity' WHERE name = 'keep-alive'");
        assert.ok(await b.acquire('keep-alive', 'B', 60_000));
        await eventually('the job told its lease is lost', async () => (signal.aborted ? true : undefined));
        aborted = signal.reason;
      });
      assert.match(String(aborted), /lease of "keep-alive" was lost/);
      assert.equal((await b.held())[0]?.owner, 'B', 'A\'s release did not touch B\'s lease');
    });
  });

  describe('shared mailbox pacing', () => {
    it('3 instances x 10 concurrent senders never hold more than 4 slots of one mailbox', async () => {
      const pacers = (await instances(3, 11)).map((p, i) => new PgMailboxPacing(p, { owner: `host${i}/run`, pollMs: 5 }));
      let inFlight = 0;
      let peak = 0;
      let done = 0;
      const sender = async (pacer: PgMailboxPacing) => {
        for (let k = 0; k < 4; k++) {
          const release = await pacer.acquire('mailbox:ops@contoso.com');
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 15));
          inFlight -= 1;
          await release();
          done += 1;
        }
      };
      await Promise.all(pacers.flatMap((pacer) => Array.from({ length: 10 }, () => sender(pacer))));
      assert.equal(done, 120);
      assert.ok(peak <= 4, `peak ${peak} in flight`);
      assert.equal(peak, 4, 'the senders did use all 4 slots');
      // Another mailbox has slots of its own.
      const other = await pacers[0]!.acquire('mailbox:hr@contoso.com');
      await other();
    });

    it('a killed instance\'s slots come back after their lease; an abort stops a waiter', async () => {
      const [killedPool, livePool] = await instances(2);
      const killed = new PgMailboxPacing(killedPool!, { owner: 'dead/run', slotLeaseMs: 500 });
      const live = new PgMailboxPacing(livePool!, { owner: 'live/run', pollMs: 10 });
      for (let i = 0; i < 4; i++) await killed.acquire('mb');
      assert.equal(killed.holding, 4);
      // While they are held, a waiter gives up when its signal aborts.
      await assert.rejects(live.acquire('mb', { signal: AbortSignal.timeout(100) }), { name: 'TimeoutError' });
      const { rows } = await livePool!.query<{ first: Date }>("SELECT min(until) AS first FROM mailbox_slots WHERE mailbox = 'mb'");
      // The instance dies: no release, its connection gone, no more renewals.
      await killedPool!.end();
      const release = await live.acquire('mb', { signal: AbortSignal.timeout(10_000) });
      const mine = await livePool!.query<{ taken: number }>(
        "SELECT (extract(epoch FROM until) * 1000 - 120000)::float8 AS taken FROM mailbox_slots WHERE mailbox = 'mb' AND holder LIKE 'live/run#%'",
      );
      assert.equal(mine.rows.length, 1);
      assert.ok(mine.rows[0]!.taken >= rows[0]!.first.getTime() - 1, 'taken only after the dead holder\'s lease ran out');
      await release();
      assert.equal(live.holding, 0);
    });

    it('the shared bucket hands out message turns no closer than the configured rate, across instances', async () => {
      const pools3 = await instances(3, 11);
      const check = async (burst: number) => {
        const pacers = pools3.map((p, i) => new PgMailboxPacing(p, { owner: `i${i}`, messagesPerMinute: 6000, messageBurst: burst }));
        const mailbox = `rate-${burst}`;
        const turns: number[] = [];
        await Promise.all(
          pacers.flatMap((pacer) =>
            Array.from({ length: 10 }, async () => {
              for (let k = 0; k < 4; k++) turns.push((await pacer.reserveTurn(mailbox)).turnAt);
            }),
          ),
        );
        turns.sort((x, y) => x - y);
        const interval = pacers[0]!.intervalMs;
        // A bucket of `burst` tokens refilled every `interval`: k+1 turns span at least (k+1-burst) intervals.
        for (let i = 0; i < turns.length; i++) {
          for (let k = burst; i + k < turns.length; k++) {
            const span = turns[i + k]! - turns[i]!;
            assert.ok(span >= (k + 1 - burst) * interval - 0.01, `burst ${burst}: turns ${i}..${i + k} within ${span.toFixed(3)} ms`);
          }
        }
        // Taken back to back, the 120 turns run the bucket dry: the last is about 120 - burst intervals out.
        assert.ok(turns.at(-1)! - turns[0]! < (121 - burst) * interval + 1_000, 'no turn needlessly late');
        return turns.length;
      };
      assert.equal(await check(1), 120);
      assert.equal(await check(3), 120);
    });

    it('MailboxPacer with the shared pacing: two instances together keep 4 in flight (alone, each would allow 4: 8)', async () => {
      const peakOf = async (pacers: MailboxPacer[]) => {
        let inFlight = 0;
        let peak = 0;
        await Promise.all(
          pacers.flatMap((pacer) =>
            Array.from({ length: 10 }, async () => {
              for (let k = 0; k < 3; k++) {
                const slot = await pacer.begin({ countsAsMessage: true });
                inFlight += 1;
                peak = Math.max(peak, inFlight);
                await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 15));
                inFlight -= 1;
                slot.release();
              }
            }),
          ),
        );
        return peak;
      };
      const options = { messagesPerMinute: 60_000, messageBurst: 100 };
      const shared = (await instances(2, 11)).map((pool, i) => ({ pacing: new PgMailboxPacing(pool, { owner: `p${i}`, pollMs: 5, ...options }), slotKey: 'ops@contoso.com', rateKey: 'ops@contoso.com' }));
      assert.equal(await peakOf(shared.map((s) => new MailboxPacer(systemClock, options, undefined, s))), 4);
      assert.ok((await peakOf([0, 1].map(() => new MailboxPacer(systemClock, options)))) > 4, 'without sharing, N x 4');
      // Every shared slot given back (releases are asynchronous: wait for the last).
      await eventually('all slots free', async () => (shared.every((s) => s.pacing.holding === 0) ? true : undefined));
    });

    it('takeRate tells the wait on the database clock: 0 for the first, about an interval for the next', async () => {
      const [pool] = await instances(1);
      const pacer = new PgMailboxPacing(pool!, { owner: 'solo', messagesPerMinute: 60 });
      const port: SharedMailboxPacing = pacer; // structurally the graph's port
      assert.equal(await port.takeRate('w'), 0);
      const second = await port.takeRate('w');
      assert.ok(second > pacer.intervalMs - 200 && second <= Math.ceil(pacer.intervalMs), `second waits ${second} ms (interval ${pacer.intervalMs})`);
    });
  });

  describe('instance registry', () => {
    it('lists the instances alive and what each holds; a silent one is reported gone; deregister removes it', async () => {
      const [poolA, poolB] = await instances(2);
      const a = new InstanceRegistry(poolA!, { id: 'hub-a/1', host: 'hub-a', pid: 101, version: '1.0.0' });
      const b = new InstanceRegistry(poolB!, { id: 'hub-b/1', host: 'hub-b', pid: 202, version: '1.0.0' });
      await a.register();
      await b.register();
      await new JobLeases(poolA!).acquire('daily-report', 'hub-a/1', 60_000);
      const slot = await new PgMailboxPacing(poolA!, { owner: 'hub-a/1' }).acquire('mb');
      await a.heartbeat({ claims: 3 });
      const first = await a.list(60_000);
      assert.deepEqual(first.alive.map((i) => i.id), ['hub-a/1', 'hub-b/1']);
      assert.deepEqual(first.gone, []);
      const hubA = first.alive[0]!;
      assert.deepEqual([hubA.host, hubA.pid, hubA.holds, hubA.leases, hubA.slots], ['hub-a', 101, { claims: 3 }, ['daily-report'], 1]);
      assert.deepEqual([first.alive[1]!.leases, first.alive[1]!.slots], [[], 0]);
      // b stops heartbeating; a carries on.
      const list = await eventually('hub-b reported gone', async () => {
        await a.heartbeat({ claims: 3 });
        const now = await a.list(300);
        return now.gone.length > 0 ? now : undefined;
      });
      assert.deepEqual(list.alive.map((i) => i.id), ['hub-a/1']);
      assert.deepEqual(list.gone.map((i) => i.id), ['hub-b/1']);
      assert.ok(list.gone[0]!.silentMs > 300);
      assert.deepEqual(await a.pruneGone(300), ['hub-b/1']);
      // A heartbeat after a prune puts a live instance back.
      await b.heartbeat();
      assert.deepEqual((await a.list(60_000)).alive.map((i) => i.id), ['hub-a/1', 'hub-b/1']);
      await slot();
      await a.deregister();
      assert.deepEqual((await b.list(60_000)).alive.map((i) => i.id), ['hub-b/1']);
      assert.throws(() => new InstanceRegistry(poolA!, { id: 'x#1', host: 'x', pid: 1, version: '1' }), RangeError);
    });
  });
  describe('database unreachable (runs last: it restarts the server)', () => {
    it('fails closed with a plain error, counts missed heartbeats without crashing, and works again once the server is back', async () => {
      const [poolA, poolB] = await instances(2);
      const parsed = parseStoreUrl(await postgres.createDatabase());
      assert.ok(parsed.ok && parsed.location.kind === 'postgres');
      const errors: unknown[] = [];
      const registryA = new InstanceRegistry(poolA!, { id: 'hub-a/2', host: 'hub-a', pid: 1, version: '1' });
      const beat = await startHeartbeat(registryA, 50, () => ({ claims: 0 }), (err) => errors.push(err));
      const leasesA = new JobLeases(poolA!);
      const held = await leasesA.acquire('daily-report', 'hub-a/2', 1_000);
      assert.ok(held);
      const pacerB = new PgMailboxPacing(poolB!, { owner: 'hub-b/2' });
      await postgres.stopServer();
      try {
        await assert.rejects(pacerB.acquire('mb'), (err: Error) => {
          assert.match(describePgError(err, parsed.location as never), /connection refused\): start the PostgreSQL server|closed the connection|shutting down/);
          return true;
        });
        await assert.rejects(pacerB.takeRate('mb'));
        await assert.rejects(new JobLeases(poolB!).acquire('daily-report', 'hub-b/2', 1_000));
        await eventually('missed heartbeats counted', async () => (beat.failures >= 2 ? true : undefined));
      } finally {
        await postgres.startServer();
      }
      await eventually('heartbeats again', async () => (beat.failures === 0 ? true : undefined));
      // A did not renew during the outage: its lease ran out and B takes the job.
      const taken = await eventually('B takes the job', async () => (await new JobLeases(poolB!).acquire('daily-report', 'hub-b/2', 60_000)) ?? undefined);
      assert.equal(taken.fencing, held.fencing + 1);
      const release = await pacerB.acquire('mb', { signal: AbortSignal.timeout(10_000) });
      await release();
      assert.deepEqual((await registryA.list(60_000)).alive.map((i) => i.id), ['hub-a/2']);
      await beat.stop();
      assert.deepEqual((await registryA.list(60_000)).alive, [], 'deregistered on stop');
      assert.ok(errors.length >= 2);
      for (const err of errors) assert.ok(!String((err as Error).message).includes(postgres.password), 'no password in an error');
    });
  });
});

describe('InProcessMailboxPacing: what MailboxPacer does, behind the shared port', () => {
  function fakeClock(): Clock & { advance(ms: number): void } {
    let t = 1_750_000_000_000;
    return { now: () => t, sleep: async () => undefined, advance: (ms) => (t += ms) };
  }

  it('4 slots per mailbox, given back on release; an aborted waiter holds none', async () => {
    const pacing = new InProcessMailboxPacing(fakeClock());
    const held = await Promise.all([0, 1, 2, 3].map(() => pacing.acquire('mb')));
    let fifth = false;
    const waiting = pacing.acquire('mb').then((release) => {
      fifth = true;
      return release;
    });
    const controller = new AbortController();
    const aborted = pacing.acquire('mb', { signal: controller.signal });
    controller.abort(new Error('send timeout'));
    await assert.rejects(aborted, /send timeout/);
    assert.equal(fifth, false);
    await held[0]!();
    const release = await waiting;
    assert.equal(fifth, true);
    assert.deepEqual(pacing.inFlight('mb'), { now: 4, peak: 4 });
    await release();
    await Promise.all(held.slice(1).map((r) => r()));
    assert.equal(pacing.inFlight('mb').now, 0, 'the aborted waiter\'s turn was passed on, not kept');
  });

  it('message turns spaced as TokenBucket spaces them (30 a minute: 61 s / 30)', async () => {
    const clock = fakeClock();
    const pacing = new InProcessMailboxPacing(clock, { messagesPerMinute: 30 });
    assert.equal(await pacing.takeRate('mb'), 0);
    assert.equal(await pacing.takeRate('mb'), Math.ceil(61_000 / 30));
    clock.advance(61_000);
    assert.equal(await pacing.takeRate('mb'), 0, 'refilled');
    assert.equal(await pacing.takeRate('other'), 0, 'each mailbox its own bucket');
  });
});
