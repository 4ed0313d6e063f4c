import { ACCOUNT_TYPE_LABELS, ACCOUNT_TYPES, type Problem } from '../../config/index.js';

/**
 * Settings problems in the page's words (issue 10.3). The checks are the CLI's (`config check`,
 * one function); their messages name settings.yaml keys and commands, which mean nothing on a page
 * whose fields are labelled "Tenant ID" or "Recipients". The same problem is reworded here, once,
 * for every place the page shows it (field messages, summaries, the checklist, the banner).
 */

/** settings.yaml keys -> the label of the page's field. Longer keys first (a key can prefix another). */
const LABELS: [string, string][] = [
  ['notifications.daily_report.timezone', 'Daily status report: Time zone'],
  ['notifications.daily_report.time', 'Daily status report: At'],
  ['notifications.admin_recipients', 'Administrator recipients'],
  ['notifications.recipients', 'Recipients'],
  ['notifications.min_severity', 'Minimum severity'],
  ['notifications.group_by', 'Group by'],
  ['notifications.group_wait', 'Wait before the first e-mail'],
  ['notifications.group_interval', 'At most one e-mail per group every'],
  ['notifications.repeat_interval', 'Repeat while still failing every'],
  ['account.secretExpires', 'Secret expires on'],
  ['account.redirectPort', 'Redirect URI port'],
  ['account.clientId', 'Client ID'],
  ['account.tenantId', 'Tenant ID'],
  ['account.sender', 'Send as (app-only)'],
  ['account.type', 'Supported account types'],
  ['account.auth', 'Sign-in method'],
  ['mail.to', 'Recipients'],
];

/** Longest first: "multi-tenant" must not match the start of "multi-tenant-personal". */
const TYPES = [...ACCOUNT_TYPES].sort((a, b) => b.length - a.length).join('|');

const typeLabel = (type: string): string => `"${ACCOUNT_TYPE_LABELS[type as keyof typeof ACCOUNT_TYPE_LABELS] ?? type}"`;

/** Command-line steps -> the page's step, applied before the keys are renamed. */
const PHRASES: [RegExp, string | ((...groups: string[]) => string)][] = [
  [/ Correct it in settings\.yaml or with `o365-notify setup --to`\./g, ''],
  [/ ?\(add them with `o365-notify setup --to`\)/g, ' (enter them under Notifications > Recipients)'],
  [/ Set notifications\.recipients or mail\.to \(`o365-notify setup --to \.\.\.`\)\./g, ' Enter them under Notifications > Recipients.'],
  [/then enter its Value and Expires date with `o365-notify setup`/g, 'then paste its Value under Client secret and its date under Secret expires on'],
  [/and enter it( again)? with `o365-notify setup`/g, 'and paste it under Client secret'],
  [/Remove account\.tenantId/g, 'Leave Tenant ID blank'],
  [new RegExp(`\\(${ACCOUNT_TYPES.join(', ')}\\)`, 'g'), '(one of the choices under Microsoft 365 account)'],
  [new RegExp(`account\\.type to (${TYPES})\\b`, 'g'), (_m, type) => `Supported account types to ${typeLabel(type)}`],
  [/account\.auth (app-only|browser|device-code)\b/g, (_m, mode) => `Sign-in method "${mode === 'app-only' ? 'App-only' : mode === 'browser' ? 'Browser' : 'Device code'}"`],
];

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const KEY_PATTERN = new RegExp(`\\b(${LABELS.map(([key]) => escape(key)).join('|')})\\b`, 'g');
const LABEL_OF = new Map(LABELS);

/** One message in the page's words; anything left in backticks loses them (the page shows text, not Markdown). */
export function pageMessage(message: string): string {
  let text = message;
  for (const [pattern, replacement] of PHRASES) text = text.replace(pattern, replacement as string);
  text = text.replace(KEY_PATTERN, (key) => LABEL_OF.get(key) ?? key);
  return text.replace(/`([^`]*)`/g, '$1');
}

/** The problem as the page shows it: the same field and severity, the message reworded. */
export function pageProblem(problem: Problem): Problem {
  return { ...problem, message: pageMessage(problem.message) };
}

export function pageProblems(problems: readonly Problem[]): Problem[] {
  return problems.map(pageProblem);
}
