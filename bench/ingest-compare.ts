/**
 * Issue 14: durable ingest against a bare Fastify route answering 202, at 8 and 32 keep-alive
 * connections, measured two ways: autocannon (npm, its own process) and the bench's own node:http
 * client (bench/service.ts `hammer`, in the bench process). Target: durable >= 0.6 of bare.
 *
 * Both servers run as their own processes (the service compiled, as `npm start` runs it); each
 * measurement runs 5 s after a 1 s warm-up, one after the other, on the same machine.
 *
 * Run alone: `node --import tsx bench/ingest-compare.ts`; `npm run bench` includes it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { printSection } from './history-shape.js';
import type { BenchSection } from './run.js';
import { BARE_FASTIFY, compileService, hammer, ingestEvent, spawnServer, withServiceRig } from './service.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CONNECTIONS = [8, 32] as const;
const SECONDS = 5;
const WARM_UP_SECONDS = 1;

/**
 * autocannon in a child process (so its load generation does not share the bench's event loop).
 * The API token goes through the environment, never the command line.
 */
const AUTOCANNON = `
import autocannon from 'autocannon';
const [url, connections, duration] = process.argv.slice(1);
const result = await autocannon({
  url: url + '/api/v1/events',
  method: 'POST',
  connections: Number(connections),
  duration: Number(duration),
  headers: { 'content-type': 'application/json', authorization: 'Bearer ' + process.env.BENCH_TOKEN },
  body: process.env.BENCH_BODY,
});
process.stdout.write(JSON.stringify({ requests: result.requests.total, perSecond: result.requests.average, non2xx: result.non2xx, errors: result.errors, p50: result.latency.p50, p99: result.latency.p99 }));
`;

interface Load {
  perSecond: number;
  requests: number;
  /** Answers other than 2xx, and connection errors. */
  bad: number;
  p50: number;
  p99: number;
}

function autocannon(url: string, token: string, connections: number, seconds: number): Promise<Load> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', AUTOCANNON, url, String(connections), String(seconds)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, BENCH_TOKEN: token, BENCH_BODY: ingestEvent(0).toString('utf8') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}: ${err.slice(-2000)}`));
      try {
        const r = JSON.parse(out) as { requests: number; perSecond: number; non2xx: number; errors: number; p50: number; p99: number };
        resolve({ perSecond: r.perSecond, requests: r.requests, bad: r.non2xx + r.errors, p50: r.p50, p99: r.p99 });
      } catch (e) {
        reject(new Error(`autocannon printed no result: ${(e as Error).message}: ${out.slice(0, 500)} ${err.slice(-500)}`));
      }
    });
  });
}

async function ownClient(url: string, token: string, connections: number, seconds: number): Promise<Load> {
  const r = await hammer(url, token, seconds, (c) => ingestEvent(c), connections);
  return { perSecond: r.perSecond, requests: r.requests, bad: r.errors, p50: r.latencyMs.p50, p99: r.latencyMs.p99 };
}

type Tool = 'autocannon' | 'own client';
type Figures = Record<Tool, Record<number, Load>>;

/** Every (tool, connections) pair against one server, warm-up first. */
async function measureServer(url: string, token: string): Promise<Figures> {
  const out: Figures = { autocannon: {}, 'own client': {} };
  await ownClient(url, token, 8, WARM_UP_SECONDS);
  for (const c of CONNECTIONS) {
    out.autocannon[c] = await autocannon(url, token, c, SECONDS);
    out['own client'][c] = await ownClient(url, token, c, SECONDS);
  }
  return out;
}

export function runIngestCompareBench(): Promise<{ bare: Figures; service: Figures; runtime: 'compiled' | 'tsx' }> {
  return withServiceRig('cmp', async ({ home, buildDir, env, token, children }) => {
    const bareServer = await spawnServer(['--input-type=module', '-e', BARE_FASTIFY], { PATH: process.env.PATH }, /bare fastify listening on (http:\/\/\S+)/);
    children.push(bareServer);
    const bare = await measureServer(bareServer.url, token);
    await bareServer.stop();

    const bin = await compileService(buildDir);
    const args = bin ? [bin, 'serve', '--port', '0'] : ['--import', 'tsx', 'src/cli/bin.ts', 'serve', '--port', '0'];
    const svc = await spawnServer(args, { ...env, O365_NOTIFY_HOME: home }, /o365-notify service listening on (http:\/\/\S+)/);
    children.push(svc);
    const service = await measureServer(svc.url, token);
    await svc.stop();
    return { bare, service, runtime: bin ? 'compiled' : 'tsx' };
  });
}

export async function ingestCompareSection(): Promise<BenchSection> {
  const { bare, service, runtime } = await runIngestCompareBench();
  const rows: BenchSection['rows'] = [];
  for (const tool of ['autocannon', 'own client'] as const) {
    for (const c of CONNECTIONS) {
      const s = service[tool][c]!;
      const b = bare[tool][c]!;
      const ratio = s.perSecond / b.perSecond;
      rows.push([
        `durable / bare at ${c} connections (${tool})`,
        `${s.perSecond.toFixed(0)} / ${b.perSecond.toFixed(0)} requests/s = ${ratio.toFixed(2)} (p99 ${s.p99.toFixed(1)} / ${b.p99.toFixed(1)} ms; not 202: ${s.bad} / ${b.bad})`,
        '>= 0.6',
        ratio >= 0.6 && s.bad === 0,
      ]);
    }
  }
  return {
    title: `Durable ingest vs a bare Fastify 202 route (issue 14): 8 and 32 connections, autocannon and the bench's own client, ${SECONDS} s each`,
    rows,
    notes: [
      `The service (${runtime === 'compiled' ? 'compiled build, plain node' : 'sources through tsx'}) answers 202 only after the event is committed to SQLite (WAL, group commit) and checks the bearer token on every request; ` +
        'the bare route parses the same single-event JSON body and answers 202 at once. autocannon 8.0.0 runs in its own process; the own client (node:http keep-alive Agent) in the bench process, which also hosts the emulator. ' +
        'One run on a shared 2-core machine: the servers, the load generator and other work compete for the same cores.',
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printSection(await ingestCompareSection());
}
