import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readSettingsFile, saveSettings } from '../../src/config/index.js';
import { DEFAULT_LIMITS } from '../../packages/emulator/src/context.js';
import { DEMO_APPS } from '../../packages/emulator/src/index.js';
import { createHttpsTransport, createMailClient, type MailClient, type PacingOptions, type TokenProvider } from '../../src/graph/index.js';
import { inbox, request, waitFor } from '../server/helpers.js';
import { runCli, testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { SENDER, serviceHome, startServiceRig, TEAM, type ServiceRig } from '../support/service.js';
import { ALERTS, delegatedToken, IT_TEAM } from './graph-support.js';
import { SharedVirtualClock } from './shared-clock.js';

/**
 * Issue 13.7, the product's answer: over Exchange's sending limits the e-mail is accepted and
 * lost (an NDR to the sender, tested in fidelity-sending-limits.test.ts), so the product must
 * never go over them. Per minute: the mail client's pacing, at Exchange's real 30 a minute, with
 * minutes of virtual time shared by the client and the emulator. Per day: the service's
 * recipient budget (mail.recipientsPerDay), with a small limit on both sides.
 */

async function ndrCount(emu: TestEmulator, mailbox: string): Promise<number> {
  const box = (await emu.call('GET', `/_emulator/mailboxes/${encodeURIComponent(mailbox)}/messages?folder=inbox`)).json() as { subject: string }[];
  return box.filter((m) => m.subject.startsWith('Undeliverable: ')).length;
}

describe('the product keeps under the per-minute limit: 0 NDRs (issue 13.7)', () => {
  let emu: TestEmulator;
  before(async () => {
    emu = await startTestEmulator();
  });
  after(() => emu.stop());

  /** `messages` e-mails at once through the product's mail client, paced as given, in shared virtual time. */
  async function burst(messages: number, pacing: PacingOptions) {
    await emu.call('DELETE', '/_emulator/mailboxes');
    await emu.call('DELETE', '/_emulator/stats');
    await emu.call('PUT', '/_emulator/limits', DEFAULT_LIMITS);
    const clock = new SharedVirtualClock(emu.context.clock);
    const token = await delegatedToken(emu, ALERTS, ['Mail.Send'], { lifetimeSeconds: 3 * 3600 });
    const tokenProvider: TokenProvider = {
      getAccessToken: async () => ({ accessToken: token, expiresOn: new Date(Date.now() + 3_600_000), scopes: ['Mail.Send'], account: ALERTS }),
    };
    const client: MailClient = createMailClient({
      baseUrl: `${emu.url}/v1.0`,
      mode: 'delegated',
      appId: DEMO_APPS.singleTenant,
      tokenProvider,
      pacing,
      clock,
      transport: clock.track(createHttpsTransport({ ca: emu.caPem })),
    });
    const started = clock.now();
    try {
      const reports = await clock.run(Promise.all(Array.from({ length: messages }, (_, i) => client.send({ to: IT_TEAM, subject: `Alert ${i + 1}`, text: 'Backup verification failed.' }))));
      const stats = (await emu.call('GET', '/_emulator/stats')).json();
      return { reports, stats, virtualMs: clock.now() - started, ndrs: await ndrCount(emu, ALERTS) };
    } finally {
      client.close();
      await emu.call('POST', '/_emulator/clock', { reset: true });
    }
  }

  it('75 e-mails at once at mail.messagesPerMinute 30 against Exchange 30 a minute: all delivered, 0 non-delivery reports', async () => {
    const r = await burst(75, { messagesPerMinute: 30 });
    assert.equal(r.reports.length, 75);
    assert.ok(r.reports.every((x) => x.attempts === 1), 'each accepted at its first attempt');
    assert.equal(r.ndrs, 0);
    assert.equal(r.stats.nonDeliveryReports, 0);
    assert.equal(r.stats.messagesDelivered, 75);
    assert.equal((await inbox(emu, IT_TEAM)).length, 75);
    // 75 at 30 a minute take about 2.5 minutes of (virtual) time.
    assert.ok(r.virtualMs >= 74 * 2000 && r.virtualMs < 4 * 60_000, `virtual time ${r.virtualMs} ms`);
  });

  it('paced over the limit (60 a minute), the same burst gets NDRs: the check above can fail', async () => {
    const r = await burst(75, { messagesPerMinute: 60 });
    assert.ok(r.ndrs > 0, `NDRs ${r.ndrs}`);
    assert.equal(r.stats.nonDeliveryReports, r.ndrs);
    assert.equal(r.stats.messagesDelivered + r.ndrs, 75, 'every one accepted with 202 all the same');
  });
});

describe('the service keeps under the daily recipient limit: 0 NDRs (issue 13.7)', () => {
  let rig: ServiceRig;
  before(async () => {
    rig = await startServiceRig({
      makeHome: async (emu) => {
        const made = await serviceHome(emu);
        const env = testEnv(made.home);
        const { settings } = await readSettingsFile(made.home, env);
        settings.mail.recipientsPerDay = 3;
        await saveSettings(made.home, settings, env);
        await emu.call('PUT', '/_emulator/limits', { recipientsPerDay: 3 });
        return made;
      },
    });
  });
  after(() => rig?.stop());

  it('five alerts to one recipient each with 3 recipients a day on both sides: 3 sent, 2 wait with the reason, no NDR', async () => {
    const { emu, svc, token } = rig;
    for (let i = 1; i <= 5; i++) {
      const posted = await request(svc.url, 'POST', '/api/v1/events', { token, body: { type: 'imagemanager.verification_failed', agent: `SRV-${i}`, summary: `Verification failed on SRV-${i}` } });
      assert.equal(posted.status, 202);
    }
    await waitFor(async () => (await inbox(emu, TEAM)).length >= 3, 'three alerts delivered');
    const waiting = await waitFor(async () => {
      const deliveries = (await request(svc.url, 'GET', '/api/v1/deliveries', { token })).json.deliveries as any[];
      // Held back here is no attempt at Microsoft: queued with the reason on the row, no attempt listed.
      const held = deliveries.filter((d) => d.notification.status === 'queued' && /daily recipient limit/.test(d.notification.lastError ?? ''));
      return held.length === 2 && held;
    }, 'two e-mails held back by the recipient budget');
    assert.deepEqual(waiting.map((d: any) => [d.notification.attempts, d.attempts.length]), [[0, 0], [0, 0]]);
    const reason = waiting[0].notification.lastError as string;
    assert.match(reason, /^Waiting for the daily recipient budget until \d{4}-\d\d-\d\dT/);
    assert.match(reason, /mail\.recipientsPerDay = 3 in a rolling 24 hours/);
    assert.match(reason, /non-delivery report/);
    assert.equal((await inbox(emu, TEAM)).length, 3, 'no more than the budget went out');
    // The status says why the queue waits (API and CLI).
    const status = (await request(svc.url, 'GET', '/api/v1/status', { token })).json;
    assert.match(status.service.nextQueued.reason, /^Waiting for the daily recipient budget until/);
    const cli = await runCli(['status'], { home: rig.home });
    assert.match(cli.stdout, /Next e-mail waits\s+until \d{4}-\d\d-\d\dT[^:]+:\d\d:\d\d\.\d+Z: Waiting for the daily recipient budget until/);
    assert.equal(await ndrCount(emu, SENDER), 0);
    assert.equal((await emu.call('GET', '/_emulator/stats')).json().nonDeliveryReports, 0);
  });

  it('a CLI send from the same home counts what the service sent: not sent, with the time, nothing asked of Graph', async () => {
    const { emu, home } = rig;
    const before = (await emu.call('GET', '/_emulator/stats')).json();
    const run = await runCli(['send', '--to', TEAM, '--subject', 'by hand', '--text', 'over the budget'], { home });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /Waiting for the daily recipient budget until \d{4}-\d\d-\d\dT.*mail\.recipientsPerDay = 3/);
    const after = (await emu.call('GET', '/_emulator/stats')).json();
    assert.equal(after.messagesDelivered, before.messagesDelivered, 'nothing reached Graph');
    assert.equal(after.nonDeliveryReports, 0);
  });
});
