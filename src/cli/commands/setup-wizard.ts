import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';
import {
  ACCOUNT_TYPE_LABELS,
  ACCOUNT_TYPES,
  AUTH_MODES,
  checkSettings,
  DATE_FORMS,
  parseCalendarDate,
  type AccountTypeSetting,
  type AuthMode,
  type Settings,
} from '../../config/index.js';
import { emailAddressProblem } from '../../shared/index.js';
import { UsageError, writeLine, type CliContext } from '../command.js';

const GUIDE_ACCOUNT_TYPES: Record<AccountTypeSetting, string> = {
  'single-tenant': 'Internal applications; needs Client ID and Tenant ID. The most secure choice.',
  'multi-tenant': 'Any Microsoft Entra ID tenant; needs Client ID, Tenant ID optional.',
  'multi-tenant-personal': 'Organizations and personal Microsoft accounts; Client ID only, Tenant ID MUST be blank.',
  personal: 'Personal Microsoft accounts only: NOT supported.',
};

/** Reads answers: from a terminal (secret not echoed) or from piped lines. */
interface Prompter {
  ask(question: string): Promise<string>;
  askSecret(question: string): Promise<string>;
  close(): void;
}

/**
 * On a terminal readline echoes what is typed itself (raw mode); while the secret is typed that
 * echo goes nowhere. This works on every terminal (tmux, screen, Windows), unlike SGR 8 "conceal",
 * which tmux ignores.
 */
function terminalPrompter(ctx: CliContext): Prompter {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) ctx.stdout.write(chunk);
      done();
    },
  });
  const rl: Interface = createInterface({ input: ctx.stdin, output, terminal: true });
  let cancel: ((err: Error) => void) | undefined;
  rl.on('SIGINT', () => cancel?.(new UsageError('setup cancelled (Ctrl-C): nothing was saved')));
  const question = (text: string) =>
    new Promise<string>((resolve, reject) => {
      cancel = reject;
      rl.question(text, resolve);
    });
  return {
    ask: (text) => question(text),
    async askSecret(text) {
      ctx.stdout.write(text);
      muted = true;
      try {
        return await question('');
      } finally {
        muted = false;
        ctx.stdout.write('\n');
      }
    },
    close: () => rl.close(),
  };
}

/**
 * Piped answers: lines are read through the async iterator, which buffers them, so answers that
 * arrive before a question is asked are not lost (readline's question() drops them).
 */
function linePrompter(ctx: CliContext): Prompter {
  const rl = createInterface({ input: ctx.stdin, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (text: string) => {
    ctx.stdout.write(text);
    const next = await lines.next();
    if (next.done) throw new UsageError('the input ended before every question of the wizard was answered');
    return String(next.value);
  };
  return { ask, askSecret: ask, close: () => rl.close() };
}

function isTerminal(ctx: CliContext): boolean {
  return Boolean((ctx.stdin as { isTTY?: boolean }).isTTY);
}

/** The error checkSettings reports for one field of the candidate settings, if any. */
function fieldError(settings: Settings, field: string, clientSecret?: string): string | undefined {
  return checkSettings(settings, { clientSecret }).find((p) => p.field === field && p.severity === 'error')?.message;
}

function emptyToUndefined(value: string): string | undefined {
  const v = value.trim();
  return v === '' ? undefined : v;
}

export interface WizardResult {
  /** The secret's Value typed in; undefined keeps the stored one. */
  secret?: string;
}

/**
 * The wizard: each question in the guide's words, the current value as the default, and each answer
 * checked as soon as it is given (with the same rules as `config check`), asked again until it is
 * right, so nothing has to be typed twice.
 */
export async function runSetupWizard(settings: Settings, ctx: CliContext, storedSecret: string | undefined): Promise<WizardResult> {
  const prompter = isTerminal(ctx) ? terminalPrompter(ctx) : linePrompter(ctx);
  /** Asks until `check` accepts the answer (undefined) or says what is wrong (a message). */
  const askValid = async (question: string, current: string | undefined, check: (answer: string) => string | undefined, secret = false) => {
    for (;;) {
      const prompt = `${question}${current && !secret ? ` [${current}]` : ''}: `;
      const typed = (secret ? await prompter.askSecret(prompt) : await prompter.ask(prompt)).trim();
      const answer = typed === '' ? (current ?? '') : typed;
      const problem = check(answer);
      if (problem === undefined) return answer;
      writeLine(ctx.stdout, `  ${problem}`);
    }
  };
  try {
    writeLine(ctx.stdout, 'o365-notify setup: enter what you collected while following the guide.\n');
    writeLine(ctx.stdout, 'Supported account types (Azure portal > App registrations > (your app) > Authentication):');
    const types = [...ACCOUNT_TYPES, 'personal'] as AccountTypeSetting[];
    types.forEach((t, i) => writeLine(ctx.stdout, `  ${i + 1}. ${ACCOUNT_TYPE_LABELS[t]}\n     ${GUIDE_ACCOUNT_TYPES[t]}`));
    const current = settings.account.type ? String(types.indexOf(settings.account.type) + 1) : undefined;
    const choice = await askValid('Account type (1-4)', current, (answer) => {
      const type = types[Number(answer) - 1];
      if (type === 'personal') return 'Personal Microsoft accounts only is NOT supported by the guide. Choose 3 to include personal accounts.';
      return type ? undefined : 'Enter 1, 2 or 3.';
    });
    settings.account.type = types[Number(choice) - 1];

    const account = settings.account;
    account.clientId = emptyToUndefined(
      await askValid('Client ID (Application ID, from the Overview page)', account.clientId, (answer) =>
        fieldError({ ...settings, account: { ...account, clientId: emptyToUndefined(answer) } }, 'account.clientId'),
      ),
    );
    if (account.type === 'multi-tenant-personal') {
      writeLine(ctx.stdout, 'Tenant ID: left blank, as the guide requires for multitenant + personal accounts.');
      account.tenantId = undefined;
    } else {
      const label = account.type === 'single-tenant' ? 'Tenant ID (Directory ID, required)' : 'Tenant ID (optional, Enter to skip; "-" to clear)';
      const tenant = await askValid(label, account.tenantId, (answer) =>
        answer === '-' ? undefined : fieldError({ ...settings, account: { ...account, tenantId: emptyToUndefined(answer) } }, 'account.tenantId'),
      );
      account.tenantId = tenant === '-' ? undefined : emptyToUndefined(tenant);
    }

    const modes = AUTH_MODES.join(' | ');
    account.auth = (await askValid(`Sign-in method (${modes}; device-code for servers without a browser)`, account.auth, (answer) =>
      (AUTH_MODES as readonly string[]).includes(answer) ? undefined : `Enter one of: ${modes}.`,
    )) as AuthMode;
    if (account.auth === 'app-only') {
      account.sender = emptyToUndefined(
        await askValid('Mailbox to send as', account.sender, (answer) =>
          fieldError({ ...settings, account: { ...account, sender: emptyToUndefined(answer) } }, 'account.sender'),
        ),
      );
    }

    const secretQuestion =
      account.auth === 'app-only'
        ? `Client secret Value (required for app-only${storedSecret ? '; Enter keeps the stored one' : ''})`
        : 'Client secret Value (not needed for the Mobile and desktop registration; Enter to skip)';
    const secret = await askValid(
      secretQuestion,
      undefined,
      (answer) => fieldError(settings, 'clientSecret', answer === '' ? storedSecret : answer),
      true,
    );
    if (secret) {
      const expires = await askValid('Secret expiry date from the portal (the "Expires" column)', account.secretExpires, (answer) => {
        if (answer === '') return undefined;
        const parsed = parseCalendarDate(answer);
        return 'problem' in parsed ? `Enter the date as ${DATE_FORMS}: ${parsed.problem}.` : undefined;
      });
      const parsed = expires === '' ? undefined : parseCalendarDate(expires);
      account.secretExpires = parsed && 'date' in parsed ? parsed.date : undefined;
    }
    const to = await askValid('Default recipients (comma separated)', settings.mail.to.join(', '), (answer) => {
      const bad = splitAddresses(answer).flatMap((a) => {
        const why = emailAddressProblem(a);
        return why ? [`"${a}" (${why})`] : [];
      });
      return bad.length === 0 ? undefined : `Not an e-mail address: ${bad.join(', ')}. Enter the list again.`;
    });
    settings.mail.to = splitAddresses(to);
    return { secret: secret || undefined };
  } finally {
    prompter.close();
  }
}

function splitAddresses(text: string): string[] {
  return text
    .split(/[,;]/)
    .map((s) => s.trim())
    .filter(Boolean);
}
