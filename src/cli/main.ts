#!/usr/bin/env node
import { productVersion } from '../shared/index.js';
import { commandIndex } from './commands/index.js';
import { EXIT_FAILED, EXIT_USAGE, UsageError, writeLine, type CliContext } from './command.js';
import { releaseYoungGeneration } from './young-generation.js';

function helpText(): string {
  const width = Math.max(...commandIndex.map((c) => c.name.length));
  return [
    'Usage: o365-notify [--home DIR] [--json] <command> [options]',
    '       o365-notify --version',
    '',
    'Commands:',
    ...commandIndex.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `o365-notify <command> --help` for the options of one command.',
  ].join('\n');
}

/** Splits the global flags (which may stand before the command) from the command's own. */
function splitGlobal(argv: string[]): { home?: string; json: boolean; help: boolean; version: boolean; rest: string[] } {
  const rest: string[] = [];
  let home: string | undefined;
  let json = false;
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--home') {
      home = argv[++i];
      if (home === undefined) throw new UsageError('--home needs a directory');
    } else if (arg.startsWith('--home=')) home = arg.slice('--home='.length);
    else if (arg === '--json') json = true;
    else if ((arg === '--help' || arg === '-h') && rest.length === 0) help = true;
    else if ((arg === '--version' || arg === '-V') && rest.length === 0) version = true;
    else rest.push(arg);
  }
  return { home, json, help, version, rest };
}

export async function main(argv: string[], ctxOverrides: Partial<CliContext> = {}): Promise<number> {
  const stdout = ctxOverrides.stdout ?? process.stdout;
  const stderr = ctxOverrides.stderr ?? process.stderr;
  let parsed;
  try {
    parsed = splitGlobal(argv);
  } catch (err) {
    writeLine(stderr, (err as Error).message);
    return EXIT_USAGE;
  }
  if (parsed.version) {
    writeLine(stdout, parsed.json ? JSON.stringify({ version: productVersion(), node: process.versions.node }) : productVersion());
    return 0;
  }
  const [name, ...args] = parsed.rest;
  if (parsed.help || name === undefined || name === 'help') {
    writeLine(parsed.help || name === 'help' ? stdout : stderr, helpText());
    return parsed.help || name === 'help' ? 0 : EXIT_USAGE;
  }
  const entry = commandIndex.find((c) => c.name === name);
  if (!entry) {
    writeLine(stderr, `Unknown command "${name}".\n\n${helpText()}`);
    return EXIT_USAGE;
  }
  const wantsHelp = args.includes('--help') || args.includes('-h');
  if (!wantsHelp) entry.beforeRun?.();
  const command = await entry.load();
  if (wantsHelp) {
    writeLine(stdout, command.usage);
    return 0;
  }
  const env = ctxOverrides.env ?? process.env;
  const ctx: CliContext = {
    stdout,
    stderr,
    stdin: ctxOverrides.stdin ?? process.stdin,
    env,
    home: parsed.home ?? ctxOverrides.home ?? env.O365_NOTIFY_HOME,
    json: parsed.json || (ctxOverrides.json ?? false),
  };
  try {
    return await command.run(args, ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      writeLine(stderr, `${err.message}\n\n${command.usage}`);
      return EXIT_USAGE;
    }
    // Unexpected: one line for the user, never a stack trace (which could carry request data).
    writeLine(stderr, `o365-notify ${name}: ${(err as Error).message ?? String(err)}`);
    return EXIT_FAILED;
  } finally {
    // A command that held it (serve) and ended before releasing it: grow as usual again.
    releaseYoungGeneration();
  }
}
