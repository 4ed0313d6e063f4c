import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { hostname } from 'node:os';
import { authorityFor, graphBaseUrl, readSettings, resolveHome } from '../../config/index.js';
import { formatDiagnosis } from '../../diagnose/index.js';
import { GraphSendError, type MailAttachment, type MailMessage, type GraphSendReport } from '../../graph/index.js';
import { openGraphConnection } from '../../delivery/index.js';
import { storeRecipientHistory, withCliSharedSignIn } from '../../server/index.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, UsageError, writeLine, type CliContext, type Command } from '../command.js';
import { printSignInFailure } from './login.js';

/** False (after saying so) when the home has no settings yet: every sending command needs `setup` first. */
export async function isSetUp(ctx: CliContext): Promise<boolean> {
  const read = await readSettings(ctx.home, ctx.env).catch(() => undefined);
  if (read && (!read.exists || read.settings.account.clientId === undefined) && read.sources['account.clientId'] === undefined) {
    writeLine(ctx.stderr, `Not set up yet: ${read.path} has no app registration. Run \`o365-notify setup\` first (the guide's Client ID, Tenant ID and account type), then \`o365-notify login\`.`);
    return false;
  }
  return true;
}

function list(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

/** Prints a failed send: what Graph said, and the diagnosis with the guide step. */
function printSendFailure(ctx: CliContext, err: unknown): number {
  if (!(err instanceof GraphSendError)) return printSignInFailure(ctx, err);
  if (ctx.json) writeLine(ctx.stdout, JSON.stringify({ ok: false, error: err.toJSON() }));
  // The client's messages may already start with "Not sent:"; say it once.
  writeLine(ctx.stderr, `Not sent: ${err.message.replace(/^Not sent:\s*/i, '')}${err.attempts > 0 ? ` (after ${err.attempts} attempt(s))` : ''}`);
  if (/Mail\.ReadWrite/.test(err.message)) {
    writeLine(ctx.stderr, 'To send it now without the large attachments (the body says they were left out), run the same command with --drop-large-attachments.');
  }
  for (const p of err.problems ?? []) writeLine(ctx.stderr, `  - ${p}`);
  if (err.diagnosis) writeLine(ctx.stderr, '\n' + formatDiagnosis(err.diagnosis));
  if (err.requestId) writeLine(ctx.stderr, `Graph request-id: ${err.requestId}`);
  return EXIT_FAILED;
}

function printSent(ctx: CliContext, result: GraphSendReport, to: string[]): void {
  if (ctx.json) {
    writeLine(ctx.stdout, JSON.stringify({ ok: true, id: result.messageId, attempts: result.attempts, path: result.path, requestIds: result.requestIds, droppedAttachments: result.droppedAttachments }));
    return;
  }
  writeLine(ctx.stdout, `Accepted by Microsoft Graph for delivery to ${to.join(', ')} (id ${result.messageId}${result.attempts > 1 ? `, ${result.attempts} attempts` : ''}).`);
  if (result.droppedAttachments.length > 0) writeLine(ctx.stdout, `Left out (needs Mail.ReadWrite): ${result.droppedAttachments.join(', ')}`);
}

async function sendWithConfiguredPath(ctx: CliContext, message: MailMessage, to: string[], dropOversizeAttachments = false): Promise<number> {
  // The daily recipient budget counts what the service of this home sent in the last 24 hours too.
  const recipientHistory = storeRecipientHistory(resolveHome(ctx.home, ctx.env));
  // On a PostgreSQL store: the sign-in the instances share (issue 16.6).
  return withCliSharedSignIn(ctx.home, ctx.env, async (sharedAuth) => {
    const mailer = await openGraphConnection({ home: ctx.home, env: ctx.env, dropOversizeAttachments, recipientHistory, sharedAuth });
    try {
      const result = await mailer.client.send(message);
      printSent(ctx, result, to);
      return EXIT_OK;
    } catch (err) {
      return printSendFailure(ctx, err);
    } finally {
      mailer.close();
    }
  });
}

export const sendCommand: Command = {
  name: 'send',
  summary: 'send one e-mail through Microsoft Graph',
  usage: `Usage: o365-notify send --to A[,B] [--cc A] [--bcc A] --subject S (--text T | --text-file F | --html-file F)
                        [--attach FILE]... [--importance low|normal|high] [--drop-large-attachments]

Exit 0 only after Microsoft Graph accepted the message (202). Attachments over ~3 MB go through an
upload session, which needs the delegated permission Mail.ReadWrite; --drop-large-attachments sends
without them (and says so in the body) when it is missing.`,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values } = parseCommandArgs(args, {
      to: { type: 'string', multiple: true },
      cc: { type: 'string', multiple: true },
      bcc: { type: 'string', multiple: true },
      subject: { type: 'string' },
      text: { type: 'string' },
      'text-file': { type: 'string' },
      'html-file': { type: 'string' },
      attach: { type: 'string', multiple: true },
      importance: { type: 'string' },
      'drop-large-attachments': { type: 'boolean' },
    });
    const to = list(values.to);
    if (to.length === 0) throw new UsageError('--to is required');
    if (values.subject === undefined) throw new UsageError('--subject is required');
    const bodies = [values.text, values['text-file'], values['html-file']].filter((v) => v !== undefined);
    if (bodies.length !== 1) throw new UsageError('give exactly one of --text, --text-file, --html-file');
    if (values.importance !== undefined && !['low', 'normal', 'high'].includes(values.importance)) {
      throw new UsageError('--importance must be low, normal or high');
    }
    const readOrFail = async (file: string) => {
      try {
        return await readFile(file);
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    };
    const attachments: MailAttachment[] = [];
    for (const file of values.attach ?? []) attachments.push({ name: basename(file), content: await readOrFail(file) });
    const message: MailMessage = {
      to,
      cc: list(values.cc),
      bcc: list(values.bcc),
      subject: values.subject,
      text: values.text ?? (values['text-file'] ? (await readOrFail(values['text-file'])).toString('utf8') : undefined),
      html: values['html-file'] ? (await readOrFail(values['html-file'])).toString('utf8') : undefined,
      importance: values.importance as MailMessage['importance'],
      attachments,
    };
    return sendWithConfiguredPath(ctx, message, to, values['drop-large-attachments']);
  },
};

export const testCommand: Command = {
  name: 'test',
  summary: 'send a test e-mail through exactly the configured path',
  usage: `Usage: o365-notify test [--to ADDRESS]

Sends a real test e-mail (to --to, else the configured recipients, else the signed-in account)
through the configured sign-in and Microsoft Graph. On failure prints what to fix and exits 1.`,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values } = parseCommandArgs(args, { to: { type: 'string', multiple: true } });
    if (!(await isSetUp(ctx))) return EXIT_FAILED;
    // On a PostgreSQL store: the sign-in the instances share (issue 16.6).
    return withCliSharedSignIn(ctx.home, ctx.env, async (sharedAuth) => {
      const mailer = await openGraphConnection({ home: ctx.home, env: ctx.env, sharedAuth });
      try {
        const { settings } = mailer.session;
        const state = await mailer.session.authState.read();
        const account = settings.account.auth === 'app-only' ? settings.account.sender : state.account?.username;
        const to = list(values.to).length > 0 ? list(values.to) : settings.mail.to.length > 0 ? settings.mail.to : account ? [account] : [];
        if (to.length === 0) throw new UsageError('no recipient: give --to, or set recipients with `o365-notify setup --to ...`');
        const now = new Date();
        const text = [
          'This is a test e-mail from o365-notify, the e-mail notification service of ImageManager.',
          '',
          `Sent at:        ${now.toISOString()}`,
          `From host:      ${hostname()}`,
          `Account:        ${account ?? '(not signed in)'}`,
          `Sign-in method: ${settings.account.auth}`,
          `Account type:   ${settings.account.type ?? '(not set)'}`,
          `Authority:      ${authorityFor(settings)}`,
          `Graph:          ${graphBaseUrl(settings)}`,
          '',
          'Checked on the way: the settings follow the guide, a valid access token was obtained,',
          'it carries Mail.Send, and Microsoft Graph accepted this message for delivery.',
          'If you can read this, notifications will arrive.',
        ].join('\n');
        const result = await mailer.client.send({ to, subject: `o365-notify test e-mail from ${hostname()}`, text, importance: 'normal' });
        printSent(ctx, result, to);
        return EXIT_OK;
      } catch (err) {
        if (err instanceof UsageError) throw err;
        return printSendFailure(ctx, err);
      } finally {
        mailer.close();
      }
    });
  },
};
