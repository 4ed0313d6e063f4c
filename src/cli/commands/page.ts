import { readSettings, resolveHome } from '../../config/index.js';
import { createStoredAdminLink, serviceRunning, serviceUrl } from '../../server/index.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, UsageError, writeLine, type CliContext, type Command } from '../command.js';

const usage = `Usage: o365-notify page link [--url URL]

Prints a new one-time sign-in link to the settings page of the service of this home directory
(it works once, within 15 minutes, and is exchanged for a session cookie). The service reads it
from the home directory, so run this as the user the service runs as. Only the link's hash is
stored. --url is the address the service is reached at (default: service.host and service.port
from the settings). Set an admin password on the page for later visits.`;

export const pageCommand: Command = {
  name: 'page',
  summary: 'print a new one-time sign-in link to the settings page',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs(args, { url: { type: 'string' } }, true);
    if (positionals.length !== 1 || positionals[0] !== 'link') throw new UsageError('say `o365-notify page link`');
    const home = resolveHome(ctx.home, ctx.env);
    let baseUrl = values.url;
    if (baseUrl === undefined) baseUrl = serviceUrl((await readSettings(home, ctx.env)).settings);
    else if (!URL.canParse(baseUrl)) throw new UsageError(`--url must be an address like http://server:8025, not "${baseUrl}"`);
    const running = await serviceRunning(baseUrl);
    const link = await createStoredAdminLink(home, baseUrl);
    if (ctx.json) {
      writeLine(ctx.stdout, JSON.stringify({ link, serviceRunning: running }));
      return running ? EXIT_OK : EXIT_FAILED;
    }
    writeLine(ctx.stdout, 'Settings page sign-in link (works once, within 15 minutes):');
    writeLine(ctx.stdout, `  ${link}`);
    if (!running) {
      writeLine(
        ctx.stderr,
        `No o365-notify service answers at ${baseUrl}: the link works once \`o365-notify serve\` (or the installed service) runs for this home directory. If it listens elsewhere, give --url.`,
      );
      return EXIT_FAILED;
    }
    return EXIT_OK;
  },
};
