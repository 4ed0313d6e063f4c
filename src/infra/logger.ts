import { pino, type DestinationStream, type Level, type Logger } from 'pino';
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
  return pino(settings, options.destination ?? fdLogDestination(1));
}
