import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { readSettings } from '../../src/config/index.js';
import { openGraphConnection, type GraphConnection } from '../../src/delivery/index.js';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { issueGraphAccessToken } from '../../packages/emulator/src/access-token.js';
import { runCli, tempHome, testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

/**
 * Issue 13.10: Graph's 4 concurrent Outlook requests count per app ID, whichever mailboxes they reach
 * (https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits; Microsoft on Q&A: four
 * requests "irrespective of the target mailboxes"). The emulator counts per app by default
 * (`concurrencyScope: "app+mailbox"` the older reading); the product's mail clients of one app share
 * one limiter, so one installation sending as several mailboxes is never throttled for concurrency.
 */

const ALERTS = `alerts@${DEMO_DOMAIN}`;
const TEAM = `it-team@${DEMO_DOMAIN}`;
const ADMIN = `admin@${DEMO_DOMAIN}`;
const PER_SENDER = 8;

describe('concurrency per app (issue 13.10)', () => {
  let emu: TestEmulator;
  let cleanup: () => Promise<void> = async () => undefined;
  before(async () => {
    emu = await startTestEmulator();
    assert.equal((await emu.call('PUT', '/_emulator/limits', { messagesPerMinute: 6000, requestsPer10Minutes: 1_000_000 })).status, 200);
  });
  after(async () => {
    await cleanup();
    await emu.stop();
  });

  async function appOnlyToken(): Promise<string> {
    const issued = await issueGraphAccessToken(emu.context, { app: emu.context.directory.findApp(DEMO_APPS.appOnly)!, tenantId: DEMO_TENANT_ID, roles: ['Mail.Send'], lifetimeSeconds: 3600 });
    return issued.token;
  }

  /** `count` sendMail requests at once from the app-only app, spread over `senders`, each held 600 ms. */
  async function burst(senders: string[], count: number): Promise<number[]> {
    const token = await appOnlyToken();
    await emu.call('POST', '/_emulator/faults', { endpoint: 'graph.sendMail', kind: 'slow', delayMs: 600, count });
    const body = { message: { subject: 'burst', body: { contentType: 'Text', content: 'x' }, toRecipients: [{ emailAddress: { address: TEAM } }] } };
    const answers = await Promise.all(
      Array.from({ length: count }, (_, i) => emu.call('POST', `/v1.0/users/${senders[i % senders.length]}/sendMail`, body, { authorization: `Bearer ${token}` })),
    );
    return answers.map((a) => a.status);
  }

  it('emulator: 4 in flight per app across mailboxes by default; app+mailbox allows 4 per mailbox', async () => {
    const perApp = await burst([ALERTS, TEAM], 8);
    assert.equal(perApp.filter((s) => s === 202).length, 4, perApp.join(','));
    assert.equal(perApp.filter((s) => s === 429).length, 4, perApp.join(','));
    assert.equal((await emu.call('PUT', '/_emulator/limits', { concurrencyScope: 'app+mailbox' })).status, 200);
    try {
      assert.deepEqual(await burst([ALERTS, TEAM], 8), Array(8).fill(202));
    } finally {
      assert.equal((await emu.call('PUT', '/_emulator/limits', { concurrencyScope: 'app' })).status, 200);
    }
    assert.equal((await emu.call('PUT', '/_emulator/limits', { concurrencyScope: 'per-user' })).status, 400);
  });

  it('product: one installation sending as two mailboxes at once holds 4 requests in flight for the app, and is never throttled', { timeout: 60_000 }, async () => {
    const home = await tempHome();
    cleanup = home.cleanup;
    const secret = emu.seededSecrets.find((s) => s.clientId === DEMO_APPS.appOnly)!;
    const setup = await runCli(
      ['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, '--account-type', 'single-tenant', '--client-id', DEMO_APPS.appOnly,
        '--tenant-id', DEMO_TENANT_ID, '--auth', 'app-only', '--sender', ALERTS, '--to', ADMIN, '--client-secret-stdin', '--secret-expires', secret.expiresAt.slice(0, 10)],
      { home: home.home, stdin: secret.value },
    );
    assert.equal(setup.code, 0, setup.stderr);
    const env = testEnv(home.home);
    const { settings } = await readSettings(home.home, env);
    settings.mail.messagesPerMinute = 6000;
    // The same app registration sending as alerts@ and as it-team@ from one process.
    const connections: GraphConnection[] = [];
    for (const sender of [ALERTS, TEAM]) {
      connections.push(await openGraphConnection({ home: home.home, env, settings: { ...settings, account: { ...settings.account, sender } } }));
    }
    try {
      await emu.call('DELETE', '/_emulator/stats');
      await emu.call('POST', '/_emulator/faults', { endpoint: 'graph.sendMail', kind: 'slow', delayMs: 300, count: 2 * PER_SENDER });
      const sends = connections.flatMap((c) =>
        Array.from({ length: PER_SENDER }, (_, i) => c.client.send({ id: randomUUID(), to: ADMIN, subject: `two senders ${i}`, text: 'x' })),
      );
      const reports = await Promise.all(sends);
      assert.equal(reports.length, 2 * PER_SENDER);
      const stats = (await emu.call('GET', '/_emulator/stats')).json();
      assert.equal(stats.throttled429, 0, 'no 429 MailboxConcurrency: the two mailboxes share the app\'s 4 slots');
      assert.equal(stats.peakConcurrencyByMailbox[DEMO_APPS.appOnly], 4, JSON.stringify(stats.peakConcurrencyByMailbox));
      assert.ok(reports.every((r) => r.attempts === 1), 'each accepted on its first attempt');
    } finally {
      for (const c of connections) c.close();
    }
  });
});
