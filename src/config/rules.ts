import { badRecipientMessage, cleanText } from '../shared/index.js';
import { calendarDaysUntil, EXPIRY_WARNING_DAYS, rotateDays } from './expiry.js';
import type { GuideStep } from './guide-step.js';
import {
  CONSUMER_TENANT_ID,
  TENANT_ALIASES,
  findGuid,
  isDomainName,
  emailAddressProblem,
  isEmailAddress,
  isGuid,
  isLoopbackHost,
} from './identifiers.js';
import type { Problem, Severity } from './problems.js';
import { checkSmtp } from './smtp.js';
import { ACCOUNT_TYPE_LABELS, ACCOUNT_TYPES, type AccountType, type Settings } from './settings.js';

/** Exchange Online's sending limit per mailbox. */
export const EXCHANGE_MESSAGES_PER_MINUTE = 30;
/** Graph's Outlook limit per app and mailbox (https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits). */
export const GRAPH_REQUESTS_PER_10_MINUTES = 10_000;
/** Exchange Online's recipient rate limit per mailbox (rolling 24 hours). */
export const EXCHANGE_RECIPIENTS_PER_DAY = 10_000;

export interface CheckContext {
  /**
   * The stored client secret, when there is one. Only its shape is looked at (a GUID means the
   * Secret ID was pasted); it never appears in a message.
   */
  clientSecret?: string;
  /** A certificate credential is stored (`certificate create`): app-only signs in with it, not the secret. */
  clientCertificate?: boolean;
  /** The stored certificate's end date (ISO 8601), read from the certificate itself. */
  clientCertificateEnd?: string;
  /** Today, for the expiry checks (tests pass a fixed date). */
  now?: Date;
}

const OVERVIEW = 'App registrations > (your app) > Overview';
const SECRETS = 'App registrations > (your app) > Certificates & secrets > Client secrets';

/** What the guide says for "Personal Microsoft accounts only". */
export const PERSONAL_ACCOUNTS_REFUSAL =
  'account.type "personal" ("Personal Microsoft accounts only") is not supported: the guide says ' +
  '"Personal Microsoft accounts only is NOT supported". Register the app with "Accounts in any ' +
  'organizational directory (Any Microsoft Entra ID tenant - Multitenant) and personal Microsoft ' +
  'accounts" to include personal accounts, and set account.type to multi-tenant-personal.';

class ProblemList {
  readonly items: Problem[] = [];

  add(field: string, guideStep: GuideStep | null, message: string, severity: Severity = 'error'): void {
    this.items.push({ field, severity, message, guideStep });
  }
}

function label(type: AccountType): string {
  return `"${ACCOUNT_TYPE_LABELS[type]}"`;
}

function checkAccountType(settings: Settings, out: ProblemList): AccountType | undefined {
  const type = settings.account.type;
  if (type === undefined) {
    out.add(
      'account.type',
      'account-type',
      `account.type is not set: choose the "Supported account types" the app was registered with ` +
        `(${ACCOUNT_TYPES.join(', ')}); the portal shows it on ${OVERVIEW} as "Supported account types".`,
    );
    return undefined;
  }
  if (type === 'personal') {
    out.add('account.type', 'account-type', PERSONAL_ACCOUNTS_REFUSAL);
    return undefined;
  }
  return type;
}

function checkClientId(settings: Settings, out: ProblemList): void {
  const clientId = settings.account.clientId;
  if (clientId === undefined) {
    out.add(
      'account.clientId',
      'client-id',
      `account.clientId is not set: copy the "Application (client) ID" from ${OVERVIEW}.`,
    );
    return;
  }
  if (isGuid(clientId)) return;
  const inside = findGuid(clientId);
  if (inside) {
    out.add(
      'account.clientId',
      'client-id',
      `account.clientId must be only the "Application (client) ID" GUID; it contains ${inside} with other text around it.`,
    );
  } else if (isDomainName(clientId)) {
    out.add(
      'account.clientId',
      'client-id',
      `account.clientId "${clientId}" is a domain, not the "Application (client) ID": copy the GUID from ${OVERVIEW}. ` +
        'A domain belongs in account.tenantId.',
    );
  } else {
    out.add(
      'account.clientId',
      'client-id',
      `account.clientId is not a GUID: copy the "Application (client) ID" (like 00000000-0000-0000-0000-000000000000) from ${OVERVIEW}.`,
    );
  }
}

function tenantShapeProblem(tenantId: string): string | undefined {
  if (isGuid(tenantId)) return undefined;
  if ((TENANT_ALIASES as readonly string[]).includes(tenantId.toLowerCase())) {
    return (
      `account.tenantId "${tenantId}" is an endpoint name, not a tenant: enter the "Directory (tenant) ID" ` +
      `from ${OVERVIEW}, or leave it blank where the account type allows (multitenant).`
    );
  }
  if (isDomainName(tenantId)) return undefined;
  const inside = findGuid(tenantId);
  if (inside) {
    return `account.tenantId must be only the "Directory (tenant) ID" GUID; it contains ${inside} with other text around it.`;
  }
  return (
    `account.tenantId is neither a GUID nor a domain: copy the "Directory (tenant) ID" from ${OVERVIEW} ` +
    '(a verified domain such as contoso.onmicrosoft.com also works).'
  );
}

function checkTenantId(settings: Settings, type: AccountType | undefined, out: ProblemList): void {
  const { tenantId, clientId } = settings.account;
  if (type === 'multi-tenant-personal') {
    if (tenantId !== undefined) {
      out.add(
        'account.tenantId',
        'tenant-id',
        `account.tenantId must be blank for ${label(type)}: the guide says "Tenant ID is not required and ` +
          'MUST BE left blank". Remove account.tenantId (sign-in then uses the /common endpoint).',
      );
    }
    return;
  }
  if (tenantId === undefined) {
    if (type === 'single-tenant') {
      out.add(
        'account.tenantId',
        'tenant-id',
        `account.tenantId is required for ${label(type)}: copy the "Directory (tenant) ID" from ${OVERVIEW}.`,
      );
    }
    return;
  }
  const shape = tenantShapeProblem(tenantId);
  if (shape) {
    out.add('account.tenantId', 'tenant-id', shape);
    return;
  }
  if (clientId !== undefined && tenantId.toLowerCase() === clientId.toLowerCase()) {
    out.add(
      'account.tenantId',
      'tenant-id',
      'account.tenantId is the same as account.clientId: the "Application (client) ID" was pasted twice. ' +
        `Copy the "Directory (tenant) ID" from ${OVERVIEW}.`,
    );
  } else if (tenantId.toLowerCase() === CONSUMER_TENANT_ID) {
    out.add(
      'account.tenantId',
      'tenant-id',
      `account.tenantId ${CONSUMER_TENANT_ID} is the tenant of personal Microsoft accounts, which is not supported ` +
        'for this account type: enter your organization\'s "Directory (tenant) ID".',
    );
  }
}

/**
 * Warned account.secretRotateDays (default 30) before the certificate in use ends, the days the
 * service would renew it by itself; after its end, app-only sign-in fails (AADSTS700027).
 */
function checkCertificateEnd(settings: Settings, context: CheckContext, out: ProblemList): void {
  const end = context.clientCertificateEnd;
  if (!end) return;
  const day = end.slice(0, 10);
  const daysLeft = calendarDaysUntil(day, context.now ?? new Date());
  const renew =
    'The service renews it by itself when the app may (`o365-notify register --self-rotate`); otherwise an administrator runs ' +
    '`o365-notify certificate create` (a new certificate, uploaded to Certificates & secrets > Certificates, and switched to once it works).';
  if (Date.parse(end) <= (context.now ?? new Date()).getTime()) {
    out.add('clientCertificate', 'client-secret', `The certificate expired on ${day} (its own end date): app-only sign-in fails with AADSTS700027. ${renew}`);
  } else if (daysLeft <= rotateDays(settings)) {
    out.add('clientCertificate', 'client-secret', `The certificate expires on ${day} (its own end date), in ${daysLeft} day${daysLeft === 1 ? '' : 's'}. ${renew}`, 'warning');
  }
}

function checkClientSecret(settings: Settings, context: CheckContext, out: ProblemList): void {
  const secret = context.clientSecret;
  const { auth, clientId, secretExpires } = settings.account;
  // The certificate's end date is its own (notAfter), not a typed one.
  if (auth === 'app-only' && context.clientCertificate) return checkCertificateEnd(settings, context, out);
  if (secret === undefined || secret === '') {
    if (auth === 'app-only') {
      out.add(
        'clientSecret',
        'client-secret',
        `account.auth app-only needs a client secret: in ${SECRETS}, click "New client secret", copy its Value, ` +
          'and enter it with `o365-notify setup`.',
      );
    }
    return;
  }
  if (clientId !== undefined && secret.trim().toLowerCase() === clientId.toLowerCase()) {
    out.add(
      'clientSecret',
      'client-secret',
      `The client secret is the "Application (client) ID": copy the secret's Value from ${SECRETS} instead.`,
    );
  } else if (isGuid(secret.trim())) {
    out.add(
      'clientSecret',
      'client-secret',
      'The client secret looks like a GUID: that is the "Secret ID", not the secret. The guide says to copy ' +
        `the secret's Value (shown only once, right after "Add"): in ${SECRETS}, create a new client secret, ` +
        'copy the Value column, and enter it again with `o365-notify setup`.',
    );
  }
  if (secretExpires === undefined) {
    out.add(
      'account.secretExpires',
      'client-secret',
      `account.secretExpires is not set: enter the secret's "Expires" date from ${SECRETS} so o365-notify can ` +
        'warn before it expires.',
      'warning',
    );
    return;
  }
  const daysLeft = calendarDaysUntil(secretExpires, context.now ?? new Date());
  const renew = `In ${SECRETS}, click "New client secret", then enter its Value and Expires date with \`o365-notify setup\`.`;
  if (daysLeft < 0) {
    out.add(
      'account.secretExpires',
      'client-secret',
      `The client secret expired on ${secretExpires} (account.secretExpires). ${renew}`,
      // A delegated sign-in on the Mobile and desktop platform does not use the secret.
      auth === 'app-only' ? 'error' : 'warning',
    );
  } else if (daysLeft <= EXPIRY_WARNING_DAYS) {
    out.add(
      'account.secretExpires',
      'client-secret',
      `The client secret expires on ${secretExpires} (account.secretExpires), in ${daysLeft} day${daysLeft === 1 ? '' : 's'}. ${renew}`,
      'warning',
    );
  }
}

function checkAppOnly(settings: Settings, type: AccountType | undefined, out: ProblemList): void {
  const { auth, sender, tenantId } = settings.account;
  if (auth !== 'app-only') {
    if (sender !== undefined) {
      out.add(
        'account.sender',
        'mailbox',
        `account.sender is only used with account.auth app-only; with ${auth} sign-in mail is sent as the signed-in user.`,
        'warning',
      );
    }
    return;
  }
  // Client credentials are issued by one directory: they need /{tenant}, never /common or /organizations.
  if (type === 'multi-tenant-personal') {
    out.add(
      'account.auth',
      'account-type',
      `account.auth app-only is not possible with ${label(type)}: app-only sign-in needs the Tenant ID, which ` +
        'this account type requires to be blank. Use browser or device-code sign-in, or register the app as ' +
        'single tenant or multitenant.',
    );
  } else if (type === 'multi-tenant' && tenantId === undefined) {
    out.add(
      'account.tenantId',
      'tenant-id',
      `account.tenantId is required for account.auth app-only: app-only sign-in is issued by one directory. ` +
        `Enter the "Directory (tenant) ID" of the organization whose mailbox sends (${OVERVIEW}).`,
    );
  }
  if (sender === undefined) {
    out.add(
      'account.sender',
      'mailbox',
      'account.sender is required for account.auth app-only: enter the address of the mailbox to send as.',
    );
  } else if (!isEmailAddress(sender) && !isGuid(sender)) {
    out.add(
      'account.sender',
      'mailbox',
      `account.sender "${sender}" is not an e-mail address or a user object ID.`,
    );
  }
}

function checkMail(settings: Settings, out: ProblemList): void {
  // Each bad address is its own problem; the service leaves out only that one and mails the rest.
  const othersRemain = settings.mail.to.some((address) => emailAddressProblem(address) === undefined);
  for (const address of settings.mail.to) {
    const why = emailAddressProblem(address);
    if (why === undefined) continue;
    out.add(
      'mail.to',
      'recipients',
      `mail.to: ${badRecipientMessage(cleanText(address.slice(0, 100)), why, othersRemain)} Correct it in settings.yaml or with \`o365-notify setup --to\`.`,
    );
  }
  if (settings.mail.to.length === 0) {
    out.add(
      'mail.to',
      'recipients',
      'mail.to is empty: notifications have no default recipients (add them with `o365-notify setup --to`).',
      'warning',
    );
  }
  if (settings.mail.messagesPerMinute > EXCHANGE_MESSAGES_PER_MINUTE) {
    out.add(
      'mail.messagesPerMinute',
      'throttling',
      `mail.messagesPerMinute ${settings.mail.messagesPerMinute} is over Exchange Online's limit of ` +
        `${EXCHANGE_MESSAGES_PER_MINUTE} messages a minute per mailbox: the excess would be throttled.`,
      'warning',
    );
  }
  if (settings.mail.recipientsPerDay > EXCHANGE_RECIPIENTS_PER_DAY) {
    out.add(
      'mail.recipientsPerDay',
      'throttling',
      `mail.recipientsPerDay ${settings.mail.recipientsPerDay} is over Exchange Online's limit of ${EXCHANGE_RECIPIENTS_PER_DAY} ` +
        'recipients per mailbox in 24 hours: over it Exchange accepts e-mails and then refuses them with a non-delivery report. ' +
        `Set it to ${EXCHANGE_RECIPIENTS_PER_DAY} or less in settings.yaml.`,
      'warning',
    );
  }
  if (settings.mail.requestsPer10Minutes > GRAPH_REQUESTS_PER_10_MINUTES) {
    out.add(
      'mail.requestsPer10Minutes',
      'throttling',
      `mail.requestsPer10Minutes ${settings.mail.requestsPer10Minutes} is over Microsoft Graph's limit of ` +
        `${GRAPH_REQUESTS_PER_10_MINUTES} requests per 10 minutes per app and mailbox: Graph would answer 429 (throttled). ` +
        `Set it to ${GRAPH_REQUESTS_PER_10_MINUTES} or less in settings.yaml.`,
      'warning',
    );
  }
}

function checkEndpoints(settings: Settings, out: ProblemList): void {
  const { emulator, emulatorCa } = settings.endpoints;
  if (emulator !== undefined && !emulator.startsWith('https://')) {
    out.add(
      'endpoints.emulator',
      null,
      `endpoints.emulator must be an https:// URL (msal-node refuses an authority that is not HTTPS); the emulator serves HTTPS.`,
    );
  }
  if (emulatorCa !== undefined && emulator === undefined) {
    out.add(
      'endpoints.emulatorCa',
      null,
      'endpoints.emulatorCa is ignored: endpoints.emulator is not set, and the CA is trusted only for the emulator.',
      'warning',
    );
  }
}

function checkService(settings: Settings, out: ProblemList): void {
  if (!isLoopbackHost(settings.service.host)) {
    out.add(
      'service.host',
      null,
      `service.host ${settings.service.host} makes the service reachable from other hosts; keep 127.0.0.1 unless that is intended.`,
      'warning',
    );
  }
}

/**
 * Every problem with the settings under the guide's rules (DESIGN.md section 2), errors and
 * warnings, in file order. An empty list means the settings follow the guide.
 */
export function checkSettings(settings: Settings, context: CheckContext = {}): Problem[] {
  const out = new ProblemList();
  const type = checkAccountType(settings, out);
  checkClientId(settings, out);
  checkTenantId(settings, type, out);
  checkAppOnly(settings, type, out);
  checkClientSecret(settings, context, out);
  checkMail(settings, out);
  checkEndpoints(settings, out);
  checkService(settings, out);
  out.items.push(...checkSmtp(settings.smtp));
  return out.items;
}
