import { createRequire } from 'node:module';
import type { DestinationStream, Level, Logger, pino as Pino } from 'pino';
import { fdLogDestination } from './log-destination.js';
import { REDACT_PATHS, REDACTED, redact, scrubText } from './redact.js';

export interface LoggerOptions {
  level?: Level | 'silent';
  name?: string;
  /** Where the JSON lines go (default stdout, written synchronously: fdLogDestination); tests pass a stream to read them. */
  destination?: DestinationStream;
  /** Fields on every line. */
  base?: Record<string, unknown>;
}

/**
 * The product's logger: structured JSON lines with secrets and tokens removed from fields
 * (by key and by content), from child bindings and from the message text.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    name: options.name,
    base: options.base === undefined ? undefined : (redact(options.base) as Record<string, unknown>),
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    formatters: {
      log: (object: Record<string, unknown>) => redact(object) as Record<string, unknown>,
      bindings: (bindings: Record<string, unknown>) => redact(bindings) as Record<string, unknown>,
    },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(
          this,
          args.map((arg) => (typeof arg === 'string' ? scrubText(arg) : arg)),
        );
      },
    },
  };
  return loadPino()(settings, options.destination ?? fdLogDestination(1));
}

let pinoFn: typeof Pino | undefined;

/**
 * pino is loaded when the first logger is made, not by every import of infra: a CLI command
 * that logs nothing (`explain`, `--help`) starts without it (issue 14). pino is CommonJS, so a
 * synchronous require keeps createLogger synchronous.
 */
function loadPino(): typeof Pino {
  pinoFn ??= (createRequire(import.meta.url)('pino') as { pino: typeof Pino }).pino;
  return pinoFn;
}
