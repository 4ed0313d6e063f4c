import { settingsProblems } from '../../notify/index.js';
import { SETTING_FIELDS, type Problem, type Settings, setField, parseFieldValue } from '../../config/index.js';

/**
 * The Account form: the values the guide produced, as the page sends them. Each value is read
 * exactly as settings.yaml's would be, and checked with the same rules as `config check`, so the
 * page says what the CLI says.
 */
export interface AccountForm {
  type?: string;
  clientId?: string;
  tenantId?: string;
  auth?: string;
  sender?: string;
  redirectPort?: string;
  secretExpires?: string;
  /** A new client secret Value; blank keeps the stored one. Never sent back. */
  secret?: string;
  /** Forget the stored secret. */
  clearSecret?: boolean;
}

const FORM_FIELDS: Record<Exclude<keyof AccountForm, 'secret' | 'clearSecret'>, string> = {
  type: 'account.type',
  clientId: 'account.clientId',
  tenantId: 'account.tenantId',
  auth: 'account.auth',
  sender: 'account.sender',
  redirectPort: 'account.redirectPort',
  secretExpires: 'account.secretExpires',
};

/** Fields the Account form owns: its save is refused only for errors in these. */
export function isAccountField(field: string): boolean {
  return field.startsWith('account.') || field === 'clientSecret';
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** Reads the JSON body of the form; anything but text is ignored. */
export function readAccountForm(body: unknown): AccountForm {
  const b = (body !== null && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const form: AccountForm = {};
  for (const name of Object.keys(FORM_FIELDS) as (keyof typeof FORM_FIELDS)[]) {
    const value = text(b[name]);
    if (value !== undefined) form[name] = value;
  }
  const secret = text(b.secret);
  if (secret !== undefined && secret.trim() !== '') form.secret = secret.trim();
  form.clearSecret = b.clearSecret === true || b.clearSecret === 'on' || b.clearSecret === 'true';
  return form;
}

/**
 * Puts the form's values into `settings` (a copy made by the caller). Returns the values that
 * cannot be used, in settings.yaml's words ("account.redirectPort must be a port number ...").
 */
export function applyAccountForm(settings: Settings, form: AccountForm): Problem[] {
  const problems: Problem[] = [];
  for (const [name, key] of Object.entries(FORM_FIELDS) as [keyof typeof FORM_FIELDS, string][]) {
    const value = form[name];
    if (value === undefined) continue;
    const spec = SETTING_FIELDS.find((f) => f.key === key)!;
    const parsed = parseFieldValue(spec, value);
    if (!parsed.ok) {
      problems.push({ field: key, severity: 'error', message: `${key} must be ${parsed.expected}.`, guideStep: spec.guideStep });
      continue;
    }
    setField(settings, spec, parsed.value);
  }
  // A blank sign-in method means the default, as in settings.yaml.
  if (settings.account.auth === undefined) settings.account.auth = 'browser';
  return problems;
}

/** The problems `config check` would list for these settings, with the secret the form would leave stored. */
export function checkAccount(settings: Settings, unreadable: Problem[], clientSecret: string | undefined): Problem[] {
  const skip = new Set(unreadable.filter((p) => p.severity === 'error').map((p) => p.field));
  return [...unreadable, ...settingsProblems(settings, { clientSecret }).filter((p) => !skip.has(p.field))];
}

export function copySettings(settings: Settings): Settings {
  return structuredClone(settings);
}
