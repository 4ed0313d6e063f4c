import fs from 'node:fs/promises';
import {
  ACCOUNT_TYPE_LABELS,
  authorityFor,
  graphBaseUrl,
  homeDirModeProblem,
  storeLocation,
  readSettings,
  redirectUri,
  resolveHome,
  SETTING_FIELDS,
  SettingsFileError,
  type Problem,
  type Settings,
  type SettingsReadResult,
} from '../../config/index.js';
import { settingsProblems } from '../../notify/checks.js';
import { openSecretStore, type SecretStore } from '../../secrets/index.js';
import { redactStoreUrl } from '../../shared/index.js';
import { loadPostgresStore } from '../../store/index.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, UsageError, writeLine, type CliContext, type Command } from '../command.js';

const usage = `Usage: o365-notify config show [--json]
       o365-notify config check [--json]

  show    print the settings in use (settings.yaml, then O365_NOTIFY_* overrides, then defaults);
          the client secret is never shown, only whether it is set and when it expires
  check   check the settings (the guide's rules and the notifications: section) and list every problem with the step that fixes it;
          exit 1 when any problem is an error (warnings alone exit 0)`;

async function openStore(home: string, ctx: CliContext): Promise<{ store?: SecretStore; error?: Error }> {
  try {
    return { store: await openSecretStore(home, ctx.env) };
  } catch (err) {
    return { error: err as Error };
  }
}

async function describeClientSecret(settings: Settings, store: SecretStore | undefined, storeError: Error | undefined): Promise<string> {
  if (!store) return `unknown (${storeError?.message ?? 'the secret store cannot be opened'})`;
  if (!(await store.hasClientSecret())) return 'not set';
  const expires = settings.account.secretExpires;
  return expires ? `set (expires ${expires})` : 'set (expiry not recorded)';
}

function derived(settings: Settings): { redirectUri: string; authority: string | null; graphBaseUrl: string } {
  let authority: string | null;
  try {
    authority = authorityFor(settings);
  } catch {
    authority = null;
  }
  return { redirectUri: redirectUri(settings), authority, graphBaseUrl: graphBaseUrl(settings) };
}

function displayValue(value: unknown, spec?: (typeof SETTING_FIELDS)[number]): string {
  if (value === undefined) return '(not set)';
  if (spec?.kind.type === 'store-url' && typeof value === 'string') return redactStoreUrl(value);
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.join(', ');
  return String(value);
}

function sourceNote(source: string | undefined): string {
  if (source === undefined || source === 'file') return '';
  return source === 'default' ? '  [default]' : `  [from ${source}]`;
}

/** The store section as shown: a password in store.url never leaves the process. */
function maskedStore(settings: Settings): Settings['store'] {
  return settings.store.url === undefined ? settings.store : { ...settings.store, url: redactStoreUrl(settings.store.url) };
}

async function show(ctx: CliContext): Promise<number> {
  const home = resolveHome(ctx.home, ctx.env);
  const result = await readSettings(home, ctx.env);
  const { settings } = result;
  const { store, error } = await openStore(home, ctx);
  const clientSecret = await describeClientSecret(settings, store, error);
  const endpoints = derived(settings);
  if (ctx.json) {
    const { otherSections, ...sections } = settings;
    writeLine(
      ctx.stdout,
      JSON.stringify(
        {
          home,
          path: result.path,
          exists: result.exists,
          settings: { ...sections, store: maskedStore(settings), ...otherSections },
          sources: result.sources,
          clientSecret,
          keySource: store?.keySource ?? null,
          ...endpoints,
          problems: result.problems,
        },
        null,
        2,
      ),
    );
    return EXIT_OK;
  }
  const rows: Array<[string, string]> = [];
  for (const spec of SETTING_FIELDS) {
    const value = (settings[spec.section] as unknown as Record<string, unknown>)[spec.name];
    let text = displayValue(value, spec);
    if (spec.key === 'account.type' && typeof value === 'string') {
      text += ` (${ACCOUNT_TYPE_LABELS[value as keyof typeof ACCOUNT_TYPE_LABELS]})`;
    }
    rows.push([spec.key, text + sourceNote(result.sources[spec.key])]);
  }
  rows.push(['client secret', clientSecret]);
  if (store) rows.push(['encryption key', `${store.keySource} (${store.keyLocation})`]);
  rows.push(['redirect URI', `${endpoints.redirectUri}  (register under "Mobile and desktop applications")`]);
  rows.push(['authority', endpoints.authority ?? '(cannot be derived: see `o365-notify config check`)']);
  rows.push(['Graph', endpoints.graphBaseUrl]);
  const width = Math.max(...rows.map(([name]) => name.length));
  writeLine(ctx.stdout, `Settings: ${result.path}${result.exists ? '' : ' (no file yet: run `o365-notify setup`)'}`);
  writeLine(ctx.stdout);
  for (const [name, text] of rows) writeLine(ctx.stdout, `  ${name.padEnd(width)}  ${text}`);
  const others = Object.keys(settings.otherSections);
  if (others.length > 0) writeLine(ctx.stdout, `\n  Other sections kept as they are: ${others.join(', ')}`);
  if (result.problems.length > 0) {
    writeLine(ctx.stdout, `\n${result.problems.length} value(s) cannot be used: run \`o365-notify config check\`.`);
  }
  return EXIT_OK;
}

async function fileExists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Problems that only the disk can tell: the stored secret and token cache, the emulator's CA. */
async function storedProblems(home: string, result: SettingsReadResult, ctx: CliContext): Promise<{ problems: Problem[]; clientSecret?: string; clientCertificate?: boolean; clientCertificateEnd?: string }> {
  const problems: Problem[] = [];
  const { store, error } = await openStore(home, ctx);
  let clientSecret: string | undefined;
  let clientCertificate = false;
  let clientCertificateEnd: string | undefined;
  if (!store) {
    problems.push({ field: 'clientSecret', severity: 'error', message: error!.message, guideStep: 'client-secret' });
  } else {
    try {
      clientSecret = await store.getClientSecret();
      clientCertificate = await store.hasClientCertificate();
      clientCertificateEnd = await store.clientCertificateEnd();
    } catch (err) {
      problems.push({ field: 'clientSecret', severity: 'error', message: (err as Error).message, guideStep: 'client-secret' });
    }
    try {
      await store.readTokenCache();
    } catch (err) {
      problems.push({ field: 'tokenCache', severity: 'error', message: (err as Error).message, guideStep: 'sign-in-again' });
    }
  }
  const homeMode = await homeDirModeProblem(home);
  if (homeMode) problems.push(homeMode);
  // store.url's syntax is the settings parser's; whether the database answers only a connection can tell.
  const location = storeLocation(result.settings.store);
  if (location.kind === 'postgres') {
    const unreachable = await (await loadPostgresStore()).probePg(location);
    if (unreachable) problems.push({ field: 'store.url', severity: 'error', message: `${unreachable} The service cannot start until it connects.`, guideStep: null });
  }
  const { emulator, emulatorCa } = result.settings.endpoints;
  if (emulator !== undefined && emulatorCa !== undefined && !(await fileExists(emulatorCa))) {
    problems.push({
      field: 'endpoints.emulatorCa',
      severity: 'error',
      message: `endpoints.emulatorCa ${emulatorCa} does not exist: the emulator prints the path of its CA certificate when it starts.`,
      guideStep: null,
    });
  }
  return { problems, clientSecret, clientCertificate, clientCertificateEnd };
}

function formatProblem(problem: Problem): string {
  const step = problem.guideStep ? ` [guide step: ${problem.guideStep}]` : '';
  return `${problem.severity === 'error' ? 'error  ' : 'warning'}  ${problem.message}${step}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

async function check(ctx: CliContext): Promise<number> {
  const home = resolveHome(ctx.home, ctx.env);
  let problems: Problem[];
  let file: string;
  try {
    const result = await readSettings(home, ctx.env);
    file = result.path;
    const stored = await storedProblems(home, result, ctx);
    // A value that could not be read is reported once, not again as "not set".
    const unreadable = new Set(result.problems.filter((p) => p.severity === 'error').map((p) => p.field));
    const rules = settingsProblems(result.settings, { clientSecret: stored.clientSecret, clientCertificate: stored.clientCertificate, clientCertificateEnd: stored.clientCertificateEnd }).filter((p) => !unreadable.has(p.field));
    problems = [...result.problems, ...stored.problems, ...rules];
  } catch (err) {
    if (!(err instanceof SettingsFileError)) throw err;
    file = err.file;
    problems = [{ field: 'settings', severity: 'error', message: err.message, guideStep: null }];
  }
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  if (ctx.json) {
    writeLine(ctx.stdout, JSON.stringify({ ok: errors === 0, path: file, errors, warnings, problems }, null, 2));
  } else if (problems.length === 0) {
    writeLine(ctx.stdout, `The settings follow the guide: no problems found (${file}).`);
  } else {
    for (const problem of problems) writeLine(ctx.stdout, formatProblem(problem));
    writeLine(ctx.stdout, `\n${plural(errors, 'error')}, ${plural(warnings, 'warning')} (${file}).`);
  }
  return errors > 0 ? EXIT_FAILED : EXIT_OK;
}

export const configCommand: Command = {
  name: 'config',
  summary: 'show the settings (secrets masked) or check them against the guide',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { positionals } = parseCommandArgs(args, {}, true);
    const [sub, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"`);
    if (sub === 'show') return show(ctx);
    if (sub === 'check') return check(ctx);
    throw new UsageError(sub === undefined ? 'config needs "show" or "check"' : `Unknown config command "${sub}"`);
  },
};
