import type { Readable, Writable } from 'node:stream';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** What every command gets: its streams, environment and the global flags. */
export interface CliContext {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  /** --home DIR (or O365_NOTIFY_HOME); undefined means the per-user default. */
  home: string | undefined;
  /** --json: print data as JSON. */
  json: boolean;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Returns the exit code: 0 ok, 1 failed, 2 usage error. */
  run(args: string[], ctx: CliContext): Promise<number>;
}

/** Thrown for bad flags or arguments; main prints the usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export function writeLine(stream: Writable, text = ''): void {
  stream.write(text + '\n');
}

/** parseArgs with the project's conventions: unknown flags are usage errors. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
