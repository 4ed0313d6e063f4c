import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createMailClient, type MailClient, type SharedMailboxPacing } from '../../../src/graph/index.js';
import { parseStoreUrl } from '../../../src/shared/index.js';
import { createPgPool, migratePg, PgMailboxPacing } from '../../../src/store/postgres/index.js';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../../packages/emulator/src/index.js';
import { issueGraphAccessToken } from '../../../packages/emulator/src/access-token.js';
import { startTestEmulator, type TestEmulator } from '../../support/emulator.js';
import { skipReason, startTestPostgres, type TestPostgres } from '../../support/postgres.js';

/**
 * Issue 16.2 end to end at the mail client: two mail clients standing for two instances (no app
 * id, so each has its own in-process limiter, as two processes would) send as one mailbox to the
 * emulator, which counts Graph's 4 concurrent requests per app and answers 429 over them. With the
 * shared pacing on PostgreSQL the two together stay at 4 and are never throttled; without it,
 * 4 each, and the emulator throttles.
 */
const started = await startTestPostgres();
const ALERTS = `alerts@${DEMO_DOMAIN}`;
const ADMIN = `admin@${DEMO_DOMAIN}`;
const PER_INSTANCE = 8;

describe('mail clients of two instances on the shared pacing (emulator + PostgreSQL)', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  let emu: TestEmulator;
  const closers: (() => Promise<void> | void)[] = [];
  before(async () => {
    assert.ok(started.ok);
    postgres = started.postgres;
    emu = await startTestEmulator();
    assert.equal((await emu.call('PUT', '/_emulator/limits', { messagesPerMinute: 6000, requestsPer10Minutes: 1_000_000 })).status, 200);
  });
  after(async () => {
    for (const close of closers.reverse()) await close();
    await emu?.stop();
    await postgres?.stop();
  });

  async function client(sharedPacing?: SharedMailboxPacing): Promise<MailClient> {
    const issued = await issueGraphAccessToken(emu.context, { app: emu.context.directory.findApp(DEMO_APPS.appOnly)!, tenantId: DEMO_TENANT_ID, roles: ['Mail.Send'], lifetimeSeconds: 3600 });
    const c = createMailClient({
      baseUrl: `${emu.url}/v1.0`,
      ca: emu.caPem,
      mode: 'app-only',
      sender: ALERTS,
      retries: 'caller',
      pacing: { messagesPerMinute: 6000, messageBurst: 100 },
      sharedPacing,
      tokenProvider: { getAccessToken: async () => ({ accessToken: issued.token, expiresOn: new Date(Date.now() + 3_600_000), scopes: ['.default'] }) },
    });
    closers.push(() => c.close());
    return c;
  }

  /** Every client sends PER_INSTANCE e-mails at once, each held 300 ms by the emulator; the statuses and the emulator's figures. */
  async function burst(clients: MailClient[]): Promise<{ failed: number; throttled: number; peak: number }> {
    await emu.call('DELETE', '/_emulator/stats');
    await emu.call('POST', '/_emulator/faults', { endpoint: 'graph.sendMail', kind: 'slow', delayMs: 300, count: clients.length * PER_INSTANCE });
    const outcomes = await Promise.allSettled(
      clients.flatMap((c) => Array.from({ length: PER_INSTANCE }, (_, i) => c.send({ id: randomUUID(), to: ADMIN, subject: `shared ${i}`, text: 'x' }))),
    );
    const stats = (await emu.call('GET', '/_emulator/stats')).json();
    await emu.call('DELETE', '/_emulator/faults');
    return { failed: outcomes.filter((o) => o.status === 'rejected').length, throttled: stats.throttled429, peak: stats.peakConcurrencyByMailbox[DEMO_APPS.appOnly] ?? 0 };
  }

  it('together at most 4 in flight and no 429; without the shared pacing, throttled', { timeout: 60_000 }, async () => {
    const url = await postgres.createDatabase();
    const parsed = parseStoreUrl(url);
    assert.ok(parsed.ok && parsed.location.kind === 'postgres');
    const location = parsed.location;
    const pools = [createPgPool(location, { max: 10 }), createPgPool(location, { max: 10 })];
    closers.push(() => Promise.all(pools.map((p) => p.end())).then(() => undefined));
    await migratePg(pools[0]!, location);
    const pacings = pools.map((pool, i) => new PgMailboxPacing(pool, { owner: `instance${i}/run`, messagesPerMinute: 6000, messageBurst: 100, pollMs: 10 }));

    const shared = await burst(await Promise.all(pacings.map((p) => client(p))));
    assert.deepEqual(shared, { failed: 0, throttled: 0, peak: 4 });

    const alone = await burst([await client(), await client()]);
    assert.ok(alone.throttled > 0 && alone.failed > 0, `without sharing: ${JSON.stringify(alone)}`);
  });
});
