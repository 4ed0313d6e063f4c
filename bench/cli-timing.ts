/**
 * Issue 14: a CLI that answers at once. Wall time of the compiled CLI (`node dist/cli/bin.js`, as
 * the installed command runs) against `node -e 0`, the floor of any Node process on this machine:
 * `--version` <= 1.5x, `explain` and `config check` <= 3x. And `send` (one e-mail through the
 * emulator's Graph, app-only sign-in, the token cache and authority metadata already in the home)
 * as one process: wall, CPU and peak RSS.
 *
 * 9 rounds (send: in the first 5), each running every command once; medians. CPU and RSS come from
 * /usr/bin/time (GNU time: user + system seconds, maximum resident set size).
 *
 * Run alone: `node --import tsx bench/cli-timing.ts`; `npm run bench` includes it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEMO_DOMAIN, startEmulator } from '../packages/emulator/src/index.js';
import { median, printSection } from './history-shape.js';
import type { BenchSection } from './run.js';
import { compileService, setUpServiceHome } from './service.js';

const RUNS = 9;
const SEND_RUNS = 5;
const TIME = '/usr/bin/time';

interface ProcessFigures {
  wallMs: number;
  cpuMs: number;
  rssMb: number;
  code: number;
}

/** One process under GNU time; wall measured here, CPU and RSS as time reports them. */
function timed(args: string[], env: NodeJS.ProcessEnv): Promise<ProcessFigures> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(TIME, ['-f', '@@time %U %S %M', process.execPath, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const wallMs = performance.now() - started;
      const m = /@@time ([\d.]+) ([\d.]+) (\d+)/.exec(err);
      if (!m) return reject(new Error(`no figures from ${TIME}: ${err.slice(-500)}`));
      resolve({ wallMs, cpuMs: (Number(m[1]) + Number(m[2])) * 1000, rssMb: Number(m[3]) / 1024, code: code ?? -1 });
    });
  });
}

function medianFigures(all: ProcessFigures[], args: string[]): ProcessFigures {
  const bad = all.find((f) => f.code !== 0);
  if (bad) throw new Error(`node ${args.join(' ')} exited with ${bad.code}`);
  return { wallMs: median(all.map((f) => f.wallMs)), cpuMs: median(all.map((f) => f.cpuMs)), rssMb: median(all.map((f) => f.rssMb)), code: 0 };
}

export interface CliTimingFigures {
  floor: ProcessFigures;
  version: ProcessFigures;
  help: ProcessFigures;
  explain: ProcessFigures;
  configCheck: ProcessFigures;
  send: ProcessFigures;
}

export async function runCliTimingBench(): Promise<CliTimingFigures> {
  const dataDir = await mkdtemp(join(tmpdir(), 'o365-bench-cli-emu-'));
  const home = await mkdtemp(join(tmpdir(), 'o365-bench-cli-home-'));
  const buildDir = await mkdtemp(join(tmpdir(), 'o365-bench-cli-build-'));
  const emulator = await startEmulator({ dataDir, port: 0 });
  try {
    const bin = await compileService(buildDir);
    if (!bin) throw new Error('the build produced no dist/cli/bin.js');
    const { env: homeEnv } = await setUpServiceHome(emulator, home);
    const env = { ...homeEnv, O365_NOTIFY_HOME: home };
    const sendArgs = [bin, 'send', '--to', `it-team@${DEMO_DOMAIN}`, '--subject', 'CLI timing', '--text', 'One e-mail from the CLI timing bench.'];
    // The first send signs in and stores the token cache and the authority metadata: not timed.
    await timed(sendArgs, env);
    // Round robin: each round runs every command once, so a busy moment of the shared machine
    // falls on all of them alike rather than on one command's runs.
    const commands = {
      floor: ['-e', '0'],
      version: [bin, '--version'],
      help: [bin, '--help'],
      explain: [bin, 'explain', 'AADSTS7000215: Invalid client secret provided.'],
      configCheck: [bin, 'config', 'check'],
      send: sendArgs,
    };
    const samples = Object.fromEntries(Object.keys(commands).map((k) => [k, [] as ProcessFigures[]])) as Record<keyof typeof commands, ProcessFigures[]>;
    for (let i = 0; i < RUNS; i++) {
      for (const [name, args] of Object.entries(commands) as [keyof typeof commands, string[]][]) {
        if (name === 'send' && i >= SEND_RUNS) continue;
        samples[name].push(await timed(args, env));
      }
    }
    const pick = (name: keyof typeof commands) => medianFigures(samples[name], commands[name]);
    const [floor, version, help, explain, configCheck, send] = (['floor', 'version', 'help', 'explain', 'configCheck', 'send'] as const).map(pick) as ProcessFigures[];
    return { floor: floor!, version: version!, help: help!, explain: explain!, configCheck: configCheck!, send: send! };
  } finally {
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
    await rm(buildDir, { recursive: true, force: true });
  }
}

export async function cliTimingSection(): Promise<BenchSection> {
  const f = await runCliTimingBench();
  const vs = (p: ProcessFigures) => p.wallMs / f.floor.wallMs;
  const row = (name: string, p: ProcessFigures, limit: number | null): BenchSection['rows'][number] => [
    name,
    `${p.wallMs.toFixed(0)} ms wall (${vs(p).toFixed(2)}x node -e 0), ${p.cpuMs.toFixed(0)} ms CPU, ${p.rssMb.toFixed(0)} MB RSS`,
    limit === null ? '' : `<= ${limit}x node -e 0`,
    limit === null ? null : vs(p) <= limit,
  ];
  return {
    title: 'CLI start-up (issue 14): the compiled CLI against `node -e 0`',
    rows: [
      [`node -e 0 (the floor)`, `${f.floor.wallMs.toFixed(0)} ms wall, ${f.floor.cpuMs.toFixed(0)} ms CPU, ${f.floor.rssMb.toFixed(0)} MB RSS`, '', null],
      row('o365-notify --version', f.version, 1.5),
      row('o365-notify --help', f.help, null),
      row('o365-notify explain "AADSTS7000215 ..."', f.explain, 3),
      row('o365-notify config check', f.configCheck, 3),
      row('o365-notify send (one e-mail through the emulator, app-only)', f.send, null),
    ],
    notes: [
      `Medians of ${RUNS} rounds, each running every command once (send: ${SEND_RUNS}, after one untimed send that signs in). The CLI is compiled with tsconfig.build.json into a temp dir and run with plain node; ` +
        'commands are loaded only when named (src/cli/commands/index.ts), and `send` takes the authority metadata from the home (no discovery request). The machine is shared, so figures move between runs.',
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printSection(await cliTimingSection());
}
