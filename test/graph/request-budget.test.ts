import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readSettingsFile, saveSettings } from '../../src/config/index.js';
import { openGraphConnection } from '../../src/delivery/index.js';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { GraphSendError } from '../../src/graph/index.js';
import { signedInHome, testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

const SENDER = `alerts@${DEMO_DOMAIN}`;
const TEAM = `it-team@${DEMO_DOMAIN}`;

async function until(condition: () => Promise<boolean>, what: string, deadlineMs = 20_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/**
 * Issue 14: `mail.requestsPer10Minutes` lowers the Graph request budget the pacing keeps. With a
 * budget of 100 the pacing sends a burst of 10 % (10 requests) at once and spaces the rest over
 * the 10 minutes; the emulator enforces the same 100, so a client that ignored the setting would
 * send all 11 at once (Graph's 10,000 allow it) and the 11th would not wait.
 */
describe('the Graph request budget setting, against the emulator', () => {
  let emu: TestEmulator;
  let home: { home: string; cleanup: () => Promise<void> };

  before(async () => {
    emu = await startTestEmulator();
    home = await signedInHome(emu, { clientId: DEMO_APPS.singleTenant, tenantId: DEMO_TENANT_ID, upn: SENDER, to: TEAM });
    const env = testEnv(home.home);
    const { settings } = await readSettingsFile(home.home, env);
    settings.mail.messagesPerMinute = 6000;
    settings.mail.requestsPer10Minutes = 100;
    await saveSettings(home.home, settings, env);
    assert.equal((await emu.call('PUT', '/_emulator/limits', { messagesPerMinute: 6000, requestsPer10Minutes: 100 })).status, 200);
  });
  after(async () => {
    await home?.cleanup();
    await emu?.close();
  });

  it('a lower budget is honoured: the request past its burst waits for its turn, nothing is throttled', async () => {
    await emu.call('DELETE', '/_emulator/stats');
    const connection = await openGraphConnection({ home: home.home, env: testEnv(home.home) });
    const controllers = Array.from({ length: 11 }, () => new AbortController());
    try {
      const sends = controllers.map((c, i) =>
        connection.client.send({ to: [TEAM], subject: `budget ${i}`, text: 'paced' }, { signal: c.signal }).then(
          () => 'sent' as const,
          (err: unknown) => err,
        ),
      );
      const delivered = async () => ((await emu.call('GET', '/_emulator/stats')).json() as { messagesDelivered: number }).messagesDelivered;
      await until(async () => (await delivered()) === 10 && connection.client.stats().waitingForRequestBudget.me === 1, 'ten sent and one waiting for the request budget');
      for (const c of controllers) c.abort();
      const results = await Promise.all(sends);
      assert.equal(results.filter((r) => r === 'sent').length, 10);
      const cancelled = results.filter((r) => r !== 'sent');
      assert.equal(cancelled.length, 1);
      assert.ok(cancelled[0] instanceof GraphSendError);
      const stats = (await emu.call('GET', '/_emulator/stats')).json() as { messagesDelivered: number; throttled429: number };
      assert.equal(stats.messagesDelivered, 10, 'the waiting send never reached Graph');
      assert.equal(stats.throttled429, 0);
    } finally {
      connection.close();
    }
  });
});
