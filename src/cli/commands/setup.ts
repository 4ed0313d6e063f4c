import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  ACCOUNT_TYPES,
  AUTH_MODES,
  DATE_FORMS,
  homeDirModeProblem,
  parseCalendarDate,
  readSettingsFile,
  redirectUri,
  saveSettings,
  type AccountTypeSetting,
  type AuthMode,
  type Problem,
  type Settings,
} from '../../config/index.js';
import { settingsProblems } from '../../notify/index.js';
import { openSecretStore } from '../../secrets/index.js';
import { ensureApiToken } from '../../server/index.js';
import { runSetupWizard } from './setup-wizard.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, UsageError, writeLine, type CliContext, type Command } from '../command.js';

const usage = `Usage: o365-notify setup [--interactive | --non-interactive] [options]

Enters the values the guide (Office365 Account Configuration) produced. With no options on a
terminal it asks for each one; with options it runs without questions (for scripts).
  --account-type T         single-tenant | multi-tenant | multi-tenant-personal (personal is not supported)
  --client-id GUID         Application (client) ID, from App registrations > (your app) > Overview
  --tenant-id ID           Directory (tenant) ID or verified domain (single tenant: required;
                           multitenant: optional; multitenant + personal: must be blank, use --tenant-id "")
  --client-secret-stdin    read the client secret's Value from standard input
  --clear-secret           forget the stored client secret
  --secret-expires DATE    the secret's Expires date (YYYY-MM-DD), to be warned before it expires
  --auth MODE              browser | device-code | app-only
  --sender ADDRESS         app-only: the mailbox to send as
  --to A[,B...]            default recipients
  --port N                 port of the redirect URI http://localhost:N (default: any free port)
  --emulator URL           use the emulator at URL instead of Microsoft (with --emulator-ca FILE)
  --emulator-ca FILE       the emulator's CA certificate`;

/** The settings each flag sets. */
const FLAG_FIELDS: Record<string, string[]> = {
  'account-type': ['account.type'],
  'client-id': ['account.clientId'],
  'tenant-id': ['account.tenantId'],
  'secret-expires': ['account.secretExpires'],
  auth: ['account.auth'],
  sender: ['account.sender'],
  to: ['mail.to'],
  port: ['account.redirectPort'],
  emulator: ['endpoints.emulator'],
  'emulator-ca': ['endpoints.emulatorCa'],
};
/** The settings the wizard asks for. */
const WIZARD_FIELDS = ['account.type', 'account.clientId', 'account.tenantId', 'account.auth', 'account.sender', 'account.secretExpires', 'mail.to'];

function applyFlags(settings: Settings, values: Record<string, string | boolean | undefined>): void {
  const a = settings.account;
  if (values['account-type'] !== undefined) a.type = values['account-type'] as AccountTypeSetting;
  if (values['client-id'] !== undefined) a.clientId = emptyToUndefined(values['client-id'] as string);
  if (values['tenant-id'] !== undefined) a.tenantId = emptyToUndefined(values['tenant-id'] as string);
  if (values['secret-expires'] !== undefined) {
    const text = emptyToUndefined(values['secret-expires'] as string);
    const parsed = text === undefined ? undefined : parseCalendarDate(text);
    if (parsed && 'problem' in parsed) throw new UsageError(`--secret-expires must be a date as ${DATE_FORMS}: ${parsed.problem}`);
    a.secretExpires = parsed?.date;
  }
  if (values.auth !== undefined) a.auth = values.auth as AuthMode;
  if (values.sender !== undefined) a.sender = emptyToUndefined(values.sender as string);
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be a port number from 1 to 65535, not "${values.port}"`);
    a.redirectPort = port;
  }
  if (values.to !== undefined) settings.mail.to = (values.to as string).split(',').map((s) => s.trim()).filter(Boolean);
  if (values.emulator !== undefined) settings.endpoints.emulator = emptyToUndefined(values.emulator as string)?.replace(/\/+$/, '');
  if (values['emulator-ca'] !== undefined) settings.endpoints.emulatorCa = emptyToUndefined(values['emulator-ca'] as string);
}

function emptyToUndefined(value: string): string | undefined {
  const v = value.trim();
  return v === '' ? undefined : v;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function printProblems(ctx: CliContext, problems: Problem[]): void {
  for (const p of problems) writeLine(ctx.stderr, `  ${p.severity === 'error' ? 'error' : 'warning'}: ${p.message}`);
}

export const setupCommand: Command = {
  name: 'setup',
  summary: 'enter the account type, Client ID, Tenant ID and secret from the guide',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values } = parseCommandArgs(args, {
      interactive: { type: 'boolean' },
      'non-interactive': { type: 'boolean' },
      'account-type': { type: 'string' },
      'client-id': { type: 'string' },
      'tenant-id': { type: 'string' },
      'client-secret-stdin': { type: 'boolean' },
      'clear-secret': { type: 'boolean' },
      'secret-expires': { type: 'string' },
      auth: { type: 'string' },
      sender: { type: 'string' },
      to: { type: 'string' },
      port: { type: 'string' },
      emulator: { type: 'string' },
      'emulator-ca': { type: 'string' },
    });
    if (values.auth !== undefined && !(AUTH_MODES as readonly string[]).includes(values.auth)) {
      throw new UsageError(`--auth must be one of ${AUTH_MODES.join(', ')}, not "${values.auth}"`);
    }
    if (values['account-type'] !== undefined && ![...ACCOUNT_TYPES, 'personal'].includes(values['account-type'])) {
      throw new UsageError(`--account-type must be one of ${ACCOUNT_TYPES.join(', ')}, not "${values['account-type']}"`);
    }
    if (values['client-secret-stdin'] && values['clear-secret']) throw new UsageError('--client-secret-stdin and --clear-secret exclude each other');
    const flagged = args.some((a) => a.startsWith('--') && a !== '--interactive');
    const interactive = values.interactive || (!values['non-interactive'] && !flagged && Boolean((ctx.stdin as { isTTY?: boolean }).isTTY));

    const file = await readSettingsFile(ctx.home, ctx.env);
    const settings = file.settings;
    applyFlags(settings, values);
    let secret: string | undefined;
    if (values['client-secret-stdin']) {
      secret = (await readAll(ctx.stdin)).trim();
      if (!secret) {
        writeLine(ctx.stderr, 'No client secret on standard input. Pipe the secret\'s Value (Certificates & secrets > Client secrets > Value) into the command.');
        return EXIT_FAILED;
      }
    }
    if (interactive) {
      const stored = values['clear-secret'] ? undefined : await (await openSecretStore(file.home, ctx.env)).getClientSecret().catch(() => undefined);
      secret = (await runSetupWizard(settings, ctx, secret ?? stored)).secret ?? secret;
    }
    if (settings.endpoints.emulatorCa) await readFile(settings.endpoints.emulatorCa, 'utf8').catch(() => {
      throw new UsageError(`--emulator-ca: cannot read ${settings.endpoints.emulatorCa}`);
    });

    const store = await openSecretStore(file.home, ctx.env);
    const storedSecret = values['clear-secret'] ? undefined : (secret ?? (await store.getClientSecret()));
    // A stored value this run replaces never blocks the run (a bad old expiry date must not stop
    // `setup --secret-expires` from fixing it); notifications: problems are shown, but setup does not
    // edit that section, so they do not stop it either.
    const given = new Set(Object.keys(values).flatMap((flag) => FLAG_FIELDS[flag] ?? []));
    if (interactive) for (const key of WIZARD_FIELDS) given.add(key);
    const problems = [...file.problems.filter((p) => !given.has(p.field)), ...settingsProblems(settings, { clientSecret: storedSecret })];
    const errors = problems.filter((p) => p.severity === 'error' && !p.field.startsWith('notifications'));
    if (errors.length > 0) {
      writeLine(ctx.stderr, `Not saved: ${errors.length} setting(s) do not match the guide:`);
      printProblems(ctx, problems);
      return EXIT_FAILED;
    }
    const path = await saveSettings(file.home, settings, ctx.env);
    if (values['clear-secret']) await store.clearClientSecret();
    if (secret) await store.setClientSecret(secret);

    // The service's API token: made once, shown once, kept only as a hash.
    const apiToken = await ensureApiToken(file.home);
    // The secret was just written there: a home other users can open is said now, not only by `config check`.
    const homeMode = await homeDirModeProblem(file.home);
    if (homeMode) problems.push(homeMode);

    if (ctx.json) {
      writeLine(ctx.stdout, JSON.stringify({ saved: path, redirectUri: redirectUri(settings), problems, ...(apiToken.token && { apiToken: apiToken.token }) }));
      return EXIT_OK;
    }
    writeLine(ctx.stdout, `Saved ${path}${secret ? ' (client secret stored encrypted)' : ''}.`);
    if (apiToken.token) {
      writeLine(ctx.stdout, `API token for the service (shown only now; only its hash is kept; \`o365-notify token rotate\` makes a new one):\n  ${apiToken.token}`);
    }
    printProblems(ctx, problems);
    if (settings.account.auth !== 'app-only') {
      writeLine(ctx.stdout, `Redirect URI to register under Authentication > Mobile and desktop applications: ${redirectUri(settings)}`);
    }
    writeLine(ctx.stdout, 'Next: `o365-notify login` to sign in, then `o365-notify test` to send a test e-mail.');
    return EXIT_OK;
  },
};
