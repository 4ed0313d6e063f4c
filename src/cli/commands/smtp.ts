import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import nodemailer from 'nodemailer';
import { isEmailAddress, loadSettings, resolveHome, smtpOptions } from '../../config/index.js';
import { addRelayUser, listRelayUsers, relayCertificatePath, removeRelayUser, RelayUserError } from '../../relay/index.js';
import { serviceStorePath } from '../../server/index.js';
import { openStore } from '../../store/index.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, UsageError, writeLine, type CliContext, type Command } from '../command.js';

const usage = `Usage: o365-notify smtp user add NAME [--password-stdin] [--allow-from A,B] [--allow-to A,B]
       o365-notify smtp user list
       o365-notify smtp user remove NAME
       o365-notify smtp test [--to ADDR] [--from ADDR] [--user NAME --password-stdin] [--port N]

The SMTP relay's users: what to type into ImageManager's notification settings as "User name" and
"Password". \`user add\` takes the password from standard input (--password-stdin) or generates
one and shows it once; only a scrypt hash is stored. Adding an existing name sets a new password.
--allow-from / --allow-to limit what that user may send (addresses or domains, comma-separated).

\`smtp test\` sends one message through the running relay (smtp.host, smtp.port) with STARTTLS,
the way ImageManager would, and prints the relay's answer. Without --to it goes to mail.to.`;

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(/[,;\s]+/).map((s) => s.trim().toLowerCase()).filter(Boolean);
}

async function withRelayStore<T>(ctx: CliContext, fn: (store: ReturnType<typeof openStore>) => Promise<T>): Promise<T> {
  const store = openStore(serviceStorePath(resolveHome(ctx.home, ctx.env)));
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

async function userCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    { 'password-stdin': { type: 'boolean' }, 'allow-from': { type: 'string' }, 'allow-to': { type: 'string' } },
    true,
  );
  const [action, name, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  if (action === 'list') {
    const users = await withRelayStore(ctx, (s) => listRelayUsers(s.relay));
    if (ctx.json) writeLine(ctx.stdout, JSON.stringify(users));
    else if (users.length === 0) writeLine(ctx.stdout, 'No SMTP relay users. Add one with `o365-notify smtp user add NAME`.');
    else for (const u of users) writeLine(ctx.stdout, `${u.name}  created ${new Date(u.createdAt).toISOString().slice(0, 10)}  last used ${u.lastUsedAt ? new Date(u.lastUsedAt).toISOString() : 'never'}${u.allowedFrom.length ? `  from: ${u.allowedFrom.join(', ')}` : ''}${u.allowedRecipients.length ? `  to: ${u.allowedRecipients.join(', ')}` : ''}`);
    return EXIT_OK;
  }
  if (!name) throw new UsageError(`say \`o365-notify smtp user ${action ?? 'add|list|remove'} NAME\``);
  if (action === 'remove') {
    const removed = await withRelayStore(ctx, (s) => removeRelayUser(s.relay, name));
    writeLine(removed ? ctx.stdout : ctx.stderr, removed ? `Removed the SMTP user ${name}: it can no longer send.` : `There is no SMTP user ${name} (\`o365-notify smtp user list\` shows them).`);
    return removed ? EXIT_OK : EXIT_FAILED;
  }
  if (action !== 'add') throw new UsageError(`unknown action "${action}": say add, list or remove`);
  const password = values['password-stdin'] ? (await readAll(ctx.stdin)).replace(/\r?\n$/, '') : undefined;
  if (values['password-stdin'] && !password) {
    writeLine(ctx.stderr, 'No password on standard input: pipe one in, or leave out --password-stdin to have one generated.');
    return EXIT_FAILED;
  }
  try {
    const added = await withRelayStore(ctx, (s) => addRelayUser(s.relay, { name, password, allowedFrom: list(values['allow-from']), allowedRecipients: list(values['allow-to']) }));
    if (ctx.json) {
      writeLine(ctx.stdout, JSON.stringify(added));
      return EXIT_OK;
    }
    writeLine(ctx.stdout, `${added.replaced ? 'New password for' : 'Added'} the SMTP user ${name}.`);
    if (added.generatedPassword) {
      writeLine(ctx.stdout, 'Password (shown only now; only its hash is stored):');
      writeLine(ctx.stdout, `  ${added.generatedPassword}`);
    }
    writeLine(ctx.stdout, 'In ImageManager\'s notification settings: User name = ' + name + ', Password = the one above, Security = STARTTLS.');
    return EXIT_OK;
  } catch (err) {
    if (err instanceof RelayUserError) {
      writeLine(ctx.stderr, err.message);
      return EXIT_FAILED;
    }
    throw err;
  }
}

async function testCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    { to: { type: 'string' }, from: { type: 'string' }, user: { type: 'string' }, 'password-stdin': { type: 'boolean' }, port: { type: 'string' } },
    true,
  );
  if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
  const home = resolveHome(ctx.home, ctx.env);
  const settings = await loadSettings(home, ctx.env);
  const smtp = smtpOptions(settings.smtp);
  const to = values.to ? [values.to] : settings.mail.to;
  if (to.length === 0 || !to.every(isEmailAddress)) throw new UsageError('give --to ADDR (a full e-mail address), or set mail.to');
  const from = values.from ?? settings.account.sender ?? to[0]!;
  const port = values.port ? Number(values.port) : smtp.port;
  const host = smtp.host === '0.0.0.0' || smtp.host === '::' ? '127.0.0.1' : smtp.host;
  const password = values['password-stdin'] ? (await readAll(ctx.stdin)).replace(/\r?\n$/, '') : undefined;
  const ca = await readFile(smtp.certificate ?? relayCertificatePath(home), 'utf8').catch(() => undefined);
  const transport = nodemailer.createTransport({
    host,
    port,
    secure: false,
    requireTLS: true,
    auth: values.user ? { user: values.user, pass: password ?? '' } : undefined,
    tls: { ca, servername: 'localhost' },
    connectionTimeout: 10_000,
  });
  try {
    const info = await transport.sendMail({
      from,
      to,
      subject: 'o365-notify SMTP relay test',
      text: `This message went through the o365-notify SMTP relay on ${host}:${port} and Microsoft Graph. If you can read it, ImageManager's notification settings can use the same values.`,
    });
    writeLine(ctx.stdout, `The relay on ${host}:${port} accepted the test message for ${to.join(', ')}: ${info.response}`);
    writeLine(ctx.stdout, 'It is delivered through Microsoft Graph; `o365-notify status` shows when it went out.');
    return EXIT_OK;
  } catch (err) {
    const e = err as Error & { code?: string; response?: string };
    if (e.code === 'ESOCKET' || e.code === 'ECONNECTION' || /ECONNREFUSED/.test(e.message)) {
      writeLine(ctx.stderr, `Nothing answers on ${host}:${port}: start the relay with \`o365-notify serve\` (smtp.enabled: true, or --smtp-port ${port}).`);
    } else {
      writeLine(ctx.stderr, `The relay refused the test message: ${e.response ?? e.message}`);
    }
    return EXIT_FAILED;
  } finally {
    transport.close();
  }
}

export const smtpCommand: Command = {
  name: 'smtp',
  summary: 'SMTP relay users (add, list, remove) and a test message through the relay',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const [sub, ...rest] = args;
    if (sub === 'user') return userCommand(rest, ctx);
    if (sub === 'test') return testCommand(rest, ctx);
    throw new UsageError('say `o365-notify smtp user add|list|remove` or `o365-notify smtp test`');
  },
};
