import type { Readable } from 'node:stream';
import { authorityHost, readSettings, type Settings } from '../../config/index.js';
import { diagnose, formatDiagnosis, type DiagnoseContext } from '../../diagnose/index.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, parseCommandArgs, writeLine, type CliContext, type Command } from '../command.js';

const usage = `Usage: o365-notify explain [--tenant-id ID] [--client-id ID] [--authority-host URL] [--] [TEXT...]
       <command that prints an error> | o365-notify explain

Reads a raw error - an Entra ID JSON body, an error_description, an msal-node error message,
a log line, a Microsoft Graph error envelope - from TEXT or, without TEXT, from stdin, and
prints what happened, why, how to fix it in the Azure portal and the guide step.
  --tenant-id ID        Tenant ID for the admin-consent URL of consent errors (default: from settings)
  --client-id ID        Client ID for the admin-consent URL of consent errors (default: from settings)
  --authority-host URL  sign-in host (default https://login.microsoftonline.com; the emulator's URL)
  --json                print the diagnosis as JSON ({code, title, cause, fix, guideStep, ...})
Put -- before TEXT when it starts with "-". Exit 0 when an error code was recognised, 1 otherwise.`;

const NOT_FOUND =
  'No known Entra ID or Microsoft Graph error code was found. Paste the whole error: the JSON body ' +
  '(with "error" and "error_description", or Graph\'s {"error": {"code", "message"}}), the line with ' +
  '"AADSTS" followed by digits, or the log line that contains it.';

/** Raw error texts are small; a log piped in by mistake must not exhaust memory. */
const MAX_STDIN = 1024 * 1024;

/**
 * auth's diagnoseContext, here so that `explain` does not load the auth module and msal-node with
 * it (issue 14: explain <= 3x the start-up of `node -e 0`).
 */
function contextOf(settings: Settings): DiagnoseContext {
  return { tenantId: settings.account.tenantId, clientId: settings.account.clientId, authorityHost: authorityHost(settings), accountType: settings.account.type };
}

export const explainCommand: Command = {
  name: 'explain',
  summary: 'explain an Entra ID or Graph error and how to fix it',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        'tenant-id': { type: 'string' },
        'client-id': { type: 'string' },
        'authority-host': { type: 'string' },
      },
      true,
    );
    let text: string;
    if (positionals.length > 0) {
      text = positionals.join(' ');
    } else if ((ctx.stdin as Readable & { isTTY?: boolean }).isTTY) {
      // Nothing piped in: waiting on a terminal would look like a hang.
      writeLine(ctx.stderr, `Give the error as an argument or pipe it in.\n\n${usage}`);
      return EXIT_USAGE;
    } else {
      text = await readAll(ctx.stdin, MAX_STDIN);
    }

    // The saved settings fill in what the flags leave out (for the admin-consent URL).
    const saved: DiagnoseContext = await readSettings(ctx.home, ctx.env)
      .then((r) => contextOf(r.settings))
      .catch(() => ({}));
    const diagnosis = diagnose(text, {
      ...saved,
      ...(values['tenant-id'] !== undefined && { tenantId: values['tenant-id'] }),
      ...(values['client-id'] !== undefined && { clientId: values['client-id'] }),
      ...(values['authority-host'] !== undefined && { authorityHost: values['authority-host'] }),
    });
    if (ctx.json) writeLine(ctx.stdout, JSON.stringify(diagnosis, null, 2));
    if (!diagnosis) {
      writeLine(ctx.stderr, NOT_FOUND);
      return EXIT_FAILED;
    }
    if (!ctx.json) writeLine(ctx.stdout, formatDiagnosis(diagnosis));
    return EXIT_OK;
  },
};

async function readAll(stream: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    if (size + buf.length > limit) {
      chunks.push(buf.subarray(0, limit - size));
      break;
    }
    chunks.push(buf);
    size += buf.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}
