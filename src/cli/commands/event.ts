import { resolveHome } from '../../config/index.js';
import { EventValidationError } from '../../intake/index.js';
import { StoreSaturatedError } from '../../store/index.js';
import { callApi, connectToService, describeApiError, type ServiceConnection, withLocalService, serviceStorePath, storeOwnedMessage } from '../../server/index.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, UsageError, writeLine, type CliContext, type Command } from '../command.js';

const usage = `Usage: o365-notify event --type TYPE [--severity info|warning|critical] [--agent A] [--folder F]
                         --summary TEXT [--resolved] [--dedup-key K] [--details JSON]
                         [--occurred-at ISO-8601] [--url URL] [--token TOKEN]

Submits one event: TYPE is an ImageManager type (imagemanager.verification_failed, ...) or
custom.<name>; the severity defaults to the type's usual one; --resolved reports that the check
recovered. It goes to the running service (the address it recorded in the home, else settings
service.host/port, or --url) with the API token from --token or O365_NOTIFY_API_TOKEN. When no
service runs, the event is written to the store directly and the service sends its e-mail when it
starts (not with --url: that address must answer). While a service runs but does not answer, the
store is left alone and the command fails. Exit 0 once it is stored.`;

/** An explicit --url must answer: falling back to this machine's store would hide a wrong address. */
export function unreachableUrlMessage(url: string): string {
  return `No o365-notify service answers at ${url}. Check the address (and that \`o365-notify serve\` runs there), or leave out --url to use the local one.`;
}

/**
 * A service of this home runs but did not answer: the store is its own (issue 9.4), so the CLI
 * says so and writes nothing. True when it refused.
 */
export function refusedBesideService(ctx: CliContext, home: string, conn: ServiceConnection): boolean {
  if (!conn.owner) return false;
  writeLine(ctx.stderr, storeOwnedMessage(home, conn.owner));
  return true;
}

export function missingTokenMessage(conn: ServiceConnection): string {
  return (
    `The o365-notify service at ${conn.url} is running and its API needs the token: pass --token TOKEN or set ` +
    'O365_NOTIFY_API_TOKEN. The token was printed when the service first started; `o365-notify token rotate` makes a new one.'
  );
}

export const eventCommand: Command = {
  name: 'event',
  summary: 'submit an event (to the running service, else straight into the store)',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values } = parseCommandArgs(args, {
      type: { type: 'string' },
      severity: { type: 'string' },
      agent: { type: 'string' },
      folder: { type: 'string' },
      summary: { type: 'string' },
      resolved: { type: 'boolean' },
      'dedup-key': { type: 'string' },
      details: { type: 'string' },
      'occurred-at': { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
    });
    if (!values.type) throw new UsageError('--type is required (e.g. imagemanager.verification_failed or custom.my_check)');
    if (values.summary === undefined) throw new UsageError('--summary is required');
    const event: Record<string, unknown> = { type: values.type, summary: values.summary, status: values.resolved ? 'resolved' : 'firing' };
    if (values.severity !== undefined) event.severity = values.severity;
    if (values.agent !== undefined) event.agent = values.agent;
    if (values.folder !== undefined) event.folder = values.folder;
    if (values['dedup-key'] !== undefined) event.dedupKey = values['dedup-key'];
    if (values['occurred-at'] !== undefined) event.occurredAt = values['occurred-at'];
    if (values.details !== undefined) {
      try {
        event.details = JSON.parse(values.details);
      } catch {
        throw new UsageError('--details must be a JSON object, e.g. --details \'{"image": "C_VOL-b001.spi"}\'');
      }
    }

    const home = resolveHome(ctx.home, ctx.env);
    const conn = await connectToService(home, ctx.env, { url: values.url, token: values.token });
    if (!conn.running && values.url !== undefined) {
      writeLine(ctx.stderr, unreachableUrlMessage(conn.url));
      return EXIT_FAILED;
    }
    if (conn.running) {
      if (!conn.token) {
        writeLine(ctx.stderr, missingTokenMessage(conn));
        return EXIT_FAILED;
      }
      const answer = await callApi(conn.url, conn.token, 'POST', '/api/v1/events', event);
      if (answer.status !== 202) {
        for (const line of describeApiError(answer)) writeLine(ctx.stderr, line);
        return EXIT_FAILED;
      }
      const ids = (answer.body as { ids: number[] }).ids;
      if (ctx.json) writeLine(ctx.stdout, JSON.stringify({ ok: true, via: 'service', url: conn.url, ids }));
      else writeLine(ctx.stdout, `Event accepted by the service at ${conn.url} (id ${ids.join(', ')}).`);
      return EXIT_OK;
    }

    if (refusedBesideService(ctx, home, conn)) return EXIT_FAILED;
    let ids: number[];
    try {
      ids = await withLocalService(home, (service) => service.submit(event));
    } catch (err) {
      if (err instanceof EventValidationError) {
        writeLine(ctx.stderr, 'The event is not valid; nothing was stored:');
        for (const e of err.errors) writeLine(ctx.stderr, `  - ${e.path ? `${e.path}: ` : ''}${e.message}`);
        return EXIT_FAILED;
      }
      if (err instanceof StoreSaturatedError) {
        writeLine(ctx.stderr, err.message);
        return EXIT_FAILED;
      }
      throw err;
    }
    if (ctx.json) writeLine(ctx.stdout, JSON.stringify({ ok: true, via: 'store', url: conn.url, ids }));
    else {
      writeLine(ctx.stdout, `No o365-notify service answers at ${conn.url}: the event was written to the store directly (${serviceStorePath(home)}, id ${ids.join(', ')}).`);
      writeLine(ctx.stdout, 'Its e-mail goes out when the service runs (`o365-notify serve`).');
    }
    return EXIT_OK;
  },
};
