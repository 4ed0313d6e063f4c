/**
 * `npm run bench`: every benchmark against the in-process emulator, written to
 * bench/report.md (for people) and bench/report.json (for tools). Benchmarks measure;
 * the report states each target and whether the run met it. Nothing here is a test.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID, startEmulator } from '../packages/emulator/src/index.js';
import { openGraphConnection } from '../src/delivery/index.js';
import { runMailBench, type MailBenchResult } from './mail-send.js';
import { serviceBurstSection, serviceIngestSection, serviceMemorySection } from './service.js';
import { relayMemorySection, relayThroughputSection } from './relay.js';
import { historySection } from './history.js';
import { pgOutboxSection } from './pg-outbox.js';
import { ndrSection } from './ndr.js';
import { ingestHistorySection } from './ingest-history.js';
import { ingestCompareSection } from './ingest-compare.js';
import { pollingSection } from './polling.js';
import { cliTimingSection } from './cli-timing.js';
import { PassThrough } from 'node:stream';

export interface BenchSection {
  title: string;
  /** Rows of [measure, value, target, met?]. */
  rows: [string, string, string, boolean | null][];
  notes?: string[];
}

const env = (home: string) => ({ PATH: process.env.PATH, HOME: home, O365_NOTIFY_KEYRING: 'off' });

async function cli(args: string[], home: string, stdin = ''): Promise<void> {
  const input = new PassThrough();
  input.end(stdin);
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const code = await main(args, { stdout: out, stderr: out, stdin: input, env: env(home), home });
  if (code !== 0) throw new Error(`o365-notify ${args.join(' ')} failed: ${text}`);
}

/** Issue 4: the product's own mail path (app-only sign-in through msal-node, Graph client). */
async function mailSection(): Promise<BenchSection> {
  const dataDir = await mkdtemp(join(tmpdir(), 'o365-bench-emu-'));
  const home = await mkdtemp(join(tmpdir(), 'o365-bench-home-'));
  const emulator = await startEmulator({ dataDir, port: 0 });
  try {
    const secret = emulator.seededSecrets.find((s) => s.clientId === DEMO_APPS.appOnly)!;
    await cli(
      ['setup', '--non-interactive', '--emulator', emulator.url, '--emulator-ca', emulator.caPath, '--account-type', 'single-tenant',
        '--client-id', DEMO_APPS.appOnly, '--tenant-id', DEMO_TENANT_ID, '--auth', 'app-only', '--sender', `alerts@${DEMO_DOMAIN}`,
        '--client-secret-stdin'],
      home,
      secret.value,
    );
    const mailer = await openGraphConnection({ home, env: env(home) });
    let result: MailBenchResult;
    try {
      result = await runMailBench({ emulator, messages: 1000, tokenProvider: mailer.tokens });
    } finally {
      mailer.close();
    }
    const r = result;
    return {
      title: 'Mail delivery through Graph (issue 4): 1,000 e-mails, one mailbox, limits raised to 12,000/min',
      rows: [
        ['achieved / allowed send rate', `${r.achievedPerMinute.toFixed(0)} / ${r.allowedPerMinute}/min = ${r.rateRatio.toFixed(3)}`, '>= 0.95', r.rateRatio >= 0.95],
        ['429s received (client / emulator)', `${r.throttled429.client} / ${r.throttled429.emulator}`, '0', r.throttled429.client === 0 && r.throttled429.emulator === 0],
        ['token-endpoint calls per 1,000 e-mails', `${r.tokenEndpointCallsPer1000} (+${r.startupTokenEndpointCalls} at start)`, '<= 1', r.tokenEndpointCallsPer1000 <= 1],
        ['client overhead per send p50 / p99', `${r.clientOverheadMs.p50.toFixed(2)} / ${r.clientOverheadMs.p99.toFixed(2)} ms`, 'small vs the emulator', null],
        ['emulator round trip p50 / p99', `${r.emulatorLatencyMs.p50.toFixed(2)} / ${r.emulatorLatencyMs.p99.toFixed(2)} ms`, '', null],
        ['delivered / failed', `${r.delivered} / ${r.failed}`, 'all delivered', r.failed === 0 && r.delivered === r.messages],
      ],
    };
  } finally {
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  }
}

function markdown(sections: BenchSection[], startedAt: Date): string {
  const lines = [
    '# o365-notify benchmark report',
    '',
    `Run ${startedAt.toISOString()} on ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}. All against the in-process emulator on loopback.`,
    '',
  ];
  for (const s of sections) {
    lines.push(`## ${s.title}`, '', '| measure | value | target | met |', '|---|---|---|---|');
    for (const [m, v, t, ok] of s.rows) lines.push(`| ${m} | ${v} | ${t} | ${ok === null ? '' : ok ? 'yes' : '**no**'} |`);
    for (const n of s.notes ?? []) lines.push('', n);
    lines.push('');
  }
  return lines.join('\n');
}

/** Benchmarks other modules add (the service's ingest, burst and memory benches). */
export const extraSections: (() => Promise<BenchSection>)[] = [];
extraSections.push(serviceIngestSection, serviceBurstSection, serviceMemorySection, relayThroughputSection, relayMemorySection, historySection, pgOutboxSection, ndrSection);
// Issue 14: ingest as undelivered events pile up, durable vs bare at 8/32 connections (autocannon
// and the own client), delivery while the status is polled, CLI start-up.
extraSections.push(ingestHistorySection, ingestCompareSection, pollingSection, cliTimingSection);

async function run(): Promise<void> {
  const startedAt = new Date();
  const sections: BenchSection[] = [];
  for (const section of [mailSection, ...extraSections]) {
    const s = await section();
    sections.push(s);
    process.stdout.write(markdown([s], startedAt).split('\n').slice(4).join('\n') + '\n');
  }
  const dir = new URL('.', import.meta.url);
  await writeFile(new URL('report.md', dir), markdown(sections, startedAt));
  await writeFile(new URL('report.json', dir), JSON.stringify({ startedAt, sections }, null, 2));
  process.stdout.write(`Report written to bench/report.md and bench/report.json\n`);
}

await run();
