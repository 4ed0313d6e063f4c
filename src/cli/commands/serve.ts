import { hostname } from 'node:os';
import { isLoopbackHost, readSettings, resolveHome, storeLocation } from '../../config/index.js';
import { loadPostgresStore } from '../../store/index.js';
import { createLogger } from '../../infra/index.js';
import { ensureApiToken, createAdminLink, startService, type RunningService } from '../../server/index.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, UsageError, writeLine, type CliContext, type Command } from '../command.js';
import { releaseYoungGeneration } from '../young-generation.js';

const usage = `Usage: o365-notify serve [--host 127.0.0.1] [--port 8025] [--smtp-port 2525] [--tls]

Runs the notification service: the event API (POST /api/v1/events, /api/v1/alerts for
Alertmanager), status, delivery history and silences under /api/v1, /healthz, /readyz,
/metrics, the settings page at /, and the delivery worker. Host and port default to the
settings (service.host, service.port); --port 0 picks a free port. It listens on 127.0.0.1
unless told otherwise.

--tls (or service.tls: true) serves HTTPS with service.tlsCertificate + service.tlsKey, or with a
self-signed certificate generated into the home dir (its SHA-256 fingerprint is printed: compare
it with what the browser shows before trusting it). Use HTTPS whenever the page or the API is used
from another machine: over plain HTTP the token, the admin password and the session cookie cross
the network readable, and serve says so when it listens beyond loopback.

The SMTP relay (ImageManager's notification e-mails) runs when smtp.enabled is true or
--smtp-port is given (default 127.0.0.1:2525, STARTTLS; \`o365-notify smtp user add NAME\` makes
a user). Mail it accepts is stored before the 250 and delivered through Microsoft Graph.

The API needs a bearer token. The first start makes one and prints it once; only its hash is
kept. \`o365-notify token rotate\` makes a new one. Logs are JSON lines on stdout (secrets and
tokens are never logged); O365_NOTIFY_LOG_LEVEL=debug|info|warn|error|silent sets how many. Ctrl+C or SIGTERM stops it gracefully: no new requests, events
already received are committed, e-mails being sent finish.`;

const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'silent'] as const;

function parsePort(value: string | undefined, flag = '--port'): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`${flag} must be a number from 0 to 65535, not "${value}"`);
  return port;
}

/** `received` resolves on the first SIGINT or SIGTERM; `dispose` stops listening. */
function stopSignal(): { received: Promise<string>; dispose: () => void } {
  let on!: (signal: NodeJS.Signals) => void;
  const dispose = () => {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  };
  const received = new Promise<string>((resolve) => {
    on = (signal) => {
      dispose();
      resolve(signal);
    };
  });
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return { received, dispose };
}

/**
 * How other machines reach the service, and the warning when they would do it in clear text
 * (issue 10.9). Links printed elsewhere use localhost, which works on this machine.
 */
function remoteAccessLines(service: RunningService): { text: string; warning?: boolean }[] {
  const lines: { text: string; warning?: boolean }[] = [];
  const scheme = service.certificate ? 'https' : 'http';
  if (service.certificate) {
    lines.push({
      text: `HTTPS certificate: ${service.certificate.certPath}${service.certificate.generated ? ' (self-signed, generated here)' : ''}; SHA-256 fingerprint ${service.certificate.fingerprint256}`,
    });
  }
  if (isLoopbackHost(service.host)) return lines;
  const wildcard = service.host === '0.0.0.0' || service.host === '::';
  const remoteHost = wildcard ? hostname() : service.host.includes(':') ? `[${service.host}]` : service.host;
  lines.push({ text: `From other machines: ${scheme}://${remoteHost}:${service.port}/ (on this machine: ${scheme}://localhost:${service.port}/)` });
  if (!service.certificate) {
    lines.push({
      warning: true,
      text: `WARNING: the service listens on ${service.host} over plain HTTP. The API token, the admin password and the settings page's session cookie cross the network readable by anyone on it. Serve HTTPS (\`o365-notify serve --tls\`, or service.tls: true in the settings), or keep --host 127.0.0.1 and reach it through an SSH tunnel.`,
    });
  }
  return lines;
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the service: event API, settings page, delivery worker',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values } = parseCommandArgs(args, { host: { type: 'string' }, port: { type: 'string' }, 'smtp-port': { type: 'string' }, tls: { type: 'boolean' } });
    const port = parsePort(values.port);
    const smtpPort = parsePort(values['smtp-port'], '--smtp-port');
    const home = resolveHome(ctx.home, ctx.env);
    // Before anything is made in the home (a first API token would be made and never shown): the database answers.
    const location = storeLocation((await readSettings(home, ctx.env)).settings.store);
    const unreachable = location.kind === 'postgres' ? await (await loadPostgresStore()).probePg(location) : undefined;
    if (unreachable) {
      writeLine(ctx.stderr, `The service did not start: ${unreachable} It does not fall back to the SQLite file, which holds none of that database's e-mails.`);
      return EXIT_FAILED;
    }
    const token = await ensureApiToken(home);
    const level = ctx.env.O365_NOTIFY_LOG_LEVEL?.trim().toLowerCase() || 'info';
    if (!LOG_LEVELS.includes(level as (typeof LOG_LEVELS)[number])) throw new UsageError(`O365_NOTIFY_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
    const logger = createLogger({ name: 'o365-notify', level: level as (typeof LOG_LEVELS)[number] });
    // Listening before the start: a stop requested while starting stops right after it.
    const stop = stopSignal();
    let service;
    try {
      service = await startService({ home, env: ctx.env, host: values.host, port, smtpPort, logger, tls: values.tls ? true : undefined });
    } catch (err) {
      releaseYoungGeneration();
      stop.dispose();
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES') {
        writeLine(
          ctx.stderr,
          code === 'EADDRINUSE'
            ? `Cannot listen: the port is already in use (${(err as Error).message}). Is another \`o365-notify serve\` running? Stop it, or choose another port with --port (and service.port in the settings).`
            : `Cannot listen: not allowed to use this address or port (${(err as Error).message}). Ports below 1024 need administrator rights; use --port 8025.`,
        );
        return EXIT_FAILED;
      }
      throw err;
    }
    // Started: from here the young generation grows with the load again (young-generation.ts).
    releaseYoungGeneration();
    writeLine(ctx.stdout, `o365-notify service listening on ${service.url}`);
    for (const line of remoteAccessLines(service)) writeLine(line.warning ? ctx.stderr : ctx.stdout, line.text);
    writeLine(ctx.stdout, `Event API: ${service.url}/api/v1/events`);
    if (service.relay) {
      const r = service.relay;
      writeLine(ctx.stdout, `SMTP relay: ${r.host} port ${r.port} (STARTTLS)${r.tlsPort ? `, port ${r.tlsPort} (TLS)` : ''}; certificate ${r.certificatePath}`);
    }
    if (service.page) {
      writeLine(ctx.stdout, 'Settings page (this sign-in link works once, within 15 minutes; set a password on the page for later visits):');
      writeLine(ctx.stdout, `  ${createAdminLink(service.page)}`);
    }
    if (token.token) {
      writeLine(ctx.stdout, 'API token (shown only now; keep it safe - only its hash is stored; `o365-notify token rotate` makes a new one):');
      writeLine(ctx.stdout, `  ${token.token}`);
    }
    writeLine(ctx.stdout, 'Stop with Ctrl+C.');
    const signal = await stop.received;
    logger.info({ signal }, 'stop requested');
    await service.close();
    writeLine(ctx.stdout, 'o365-notify service stopped.');
    return EXIT_OK;
  },
};
