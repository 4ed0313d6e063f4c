import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueGraphAccessToken } from '../packages/emulator/src/access-token.js';
import { graphStateFor } from '../packages/emulator/src/graph/index.js';
import { DEMO_APPS, DEMO_DOMAIN, startEmulator, type RunningEmulator } from '../packages/emulator/src/index.js';
import { createHttpsTransport, createMailClient, GraphSendError, type PacingOptions, type TokenProvider } from '../src/graph/index.js';
import { SharedVirtualClock } from '../test/emulator/shared-clock.js';
import type { BenchSection } from './run.js';

/**
 * Issue 13.7: over Exchange Online's sending limits (30 messages a minute, 10,000 recipients in a
 * rolling 24 hours) a message is accepted with 202 and then refused with a non-delivery report.
 * The product's mail client against the emulator at those real limits, in virtual time shared by
 * both (minutes of traffic in seconds, real HTTPS between): NDRs at the configured rate.
 */

const SENDER = `alerts@${DEMO_DOMAIN}`;

interface BurstResult {
  accepted: number;
  heldBack: number;
  failed: number;
  ndrs: number;
  virtualMinutes: number;
  realSeconds: number;
}

async function burst(emulator: RunningEmulator, messages: number, recipientsEach: number, pacing: PacingOptions): Promise<BurstResult> {
  const ctx = emulator.context;
  // Each burst starts on a fresh day: empty mailboxes, no sending-limit windows.
  ctx.clock.reset();
  const state = graphStateFor(ctx);
  state.store.clear();
  state.limits.reset();
  const user = ctx.directory.findUser(SENDER)!;
  const { token } = await issueGraphAccessToken(ctx, { app: ctx.directory.requireApp(DEMO_APPS.singleTenant), tenantId: user.tenantId, user, scopes: ['Mail.Send'], lifetimeSeconds: 6 * 3600 });
  const tokenProvider: TokenProvider = {
    getAccessToken: async () => ({ accessToken: token, expiresOn: new Date(Date.now() + 3_600_000), scopes: ['Mail.Send'], account: SENDER }),
  };
  const clock = new SharedVirtualClock(ctx.clock);
  const client = createMailClient({
    baseUrl: `${emulator.url}/v1.0`,
    mode: 'delegated',
    appId: DEMO_APPS.singleTenant,
    tokenProvider,
    pacing,
    clock,
    transport: clock.track(createHttpsTransport({ ca: emulator.caPem })),
  });
  const ndrsBefore = ctx.stats.nonDeliveryReports;
  const startedVirtual = clock.now();
  const startedReal = Date.now();
  let accepted = 0;
  let heldBack = 0;
  let failed = 0;
  try {
    await clock.run(
      Promise.all(
        Array.from({ length: messages }, async (_, i) => {
          const to = Array.from({ length: recipientsEach }, (_unused, r) => `r${r}@example.org`);
          try {
            await client.send({ to, subject: `Alert ${i + 1}`, text: 'Backup verification failed.' });
            accepted += 1;
          } catch (err) {
            if (err instanceof GraphSendError && err.code === 'RecipientRateLimit') heldBack += 1;
            else failed += 1;
          }
        }),
      ),
      300_000,
    );
  } finally {
    client.close();
  }
  return {
    accepted,
    heldBack,
    failed,
    ndrs: ctx.stats.nonDeliveryReports - ndrsBefore,
    virtualMinutes: (clock.now() - startedVirtual) / 60_000,
    realSeconds: (Date.now() - startedReal) / 1000,
  };
}

export async function ndrSection(): Promise<BenchSection> {
  const dataDir = await mkdtemp(join(tmpdir(), 'o365-bench-ndr-'));
  // Exchange's real limits (the emulator's defaults): 30 a minute, 10,000 recipients a day, NDRs after 202.
  const emulator = await startEmulator({ dataDir, port: 0 });
  try {
    const paced = await burst(emulator, 300, 1, { messagesPerMinute: 30 });
    const daily = await burst(emulator, 120, 100, { messagesPerMinute: 30, recipientsPerDay: 10_000 });
    const over = await burst(emulator, 300, 1, { messagesPerMinute: 60, recipientsPerDay: 1_000_000 });
    return {
      title: "Exchange sending limits after acceptance (issue 13.7): NDRs at the configured rate, emulator at Exchange's 30/min and 10,000 recipients/day",
      rows: [
        [
          'NDRs at the configured rate: 300 e-mails at once, mail.messagesPerMinute 30',
          `${paced.ndrs} (${paced.accepted} accepted, ${paced.failed} failed; ${paced.virtualMinutes.toFixed(1)} virtual min in ${paced.realSeconds.toFixed(1)} s)`,
          '0',
          paced.ndrs === 0 && paced.accepted === 300,
        ],
        [
          'NDRs at the daily budget: 120 e-mails x 100 recipients, mail.recipientsPerDay 10,000',
          `${daily.ndrs} (${daily.accepted} accepted, ${daily.heldBack} held back for later, ${daily.failed} failed)`,
          '0',
          daily.ndrs === 0 && daily.accepted === 100 && daily.heldBack === 20,
        ],
        ['for contrast: the same 300 paced at 60/min, no daily budget', `${over.ndrs} NDRs (${over.accepted} accepted with 202)`, 'above 0: the emulator catches it', over.ndrs > 0],
      ],
      notes: [
        'Virtual time: the mail client and the emulator share one clock that jumps to the next pacing wait whenever no request is in flight (test/emulator/shared-clock.ts); requests go over real HTTPS.',
        'Held back: nothing is asked of Graph; the e-mail answers at once with the time the 24 hours have room (RecipientRateLimit, a local hold), and the outbox worker re-queues it for exactly then without counting an attempt (test/delivery/budget-hold.test.ts).',
      ],
    };
  } finally {
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
