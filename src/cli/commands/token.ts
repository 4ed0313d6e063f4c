import { resolveHome } from '../../config/index.js';
import { rotateApiToken } from '../../server/index.js';
import { EXIT_OK, parseCommandArgs, UsageError, writeLine, type CliContext, type Command } from '../command.js';

export const tokenCommand: Command = {
  name: 'token',
  summary: 'make a new API token for the service (the old one stops working)',
  usage: `Usage: o365-notify token rotate

Makes a new bearer token for the service's API (/api/v1/*, /metrics), prints it once and ends
the previous one at once (a running service reads the change on its next request). Only a salted
hash is stored, in api-token.json in the home directory. Clients send it as
"Authorization: Bearer <token>"; the CLI takes it from --token or O365_NOTIFY_API_TOKEN.`,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { positionals } = parseCommandArgs(args, {}, true);
    if (positionals.length !== 1 || positionals[0] !== 'rotate') throw new UsageError('say `o365-notify token rotate`');
    const { token, createdAt } = await rotateApiToken(resolveHome(ctx.home, ctx.env));
    if (ctx.json) {
      writeLine(ctx.stdout, JSON.stringify({ token, createdAt }));
      return EXIT_OK;
    }
    writeLine(ctx.stdout, 'New API token (shown only now; the previous token no longer works):');
    writeLine(ctx.stdout, `  ${token}`);
    writeLine(ctx.stdout, 'Use it as "Authorization: Bearer <token>", or O365_NOTIFY_API_TOKEN for `o365-notify event`.');
    return EXIT_OK;
  },
};
