import type { GuideStep } from './guide-step.js';
import { SMTP_FIELDS, SMTP_SECTION_COMMENT, type SmtpSettings } from './smtp.js';

/** The guide's "Supported account types" we support, by the names used in settings and flags. */
export const ACCOUNT_TYPES = ['single-tenant', 'multi-tenant', 'multi-tenant-personal'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

/**
 * "Personal Microsoft accounts only" is accepted as a value so that it can be refused with the
 * guide's reason (by checkSettings) instead of a bare "unknown value".
 */
export const REFUSED_ACCOUNT_TYPE = 'personal';
export type AccountTypeSetting = AccountType | typeof REFUSED_ACCOUNT_TYPE;

/** The portal's label for each account type, as shown under "Supported account types". */
export const ACCOUNT_TYPE_LABELS: Record<AccountTypeSetting, string> = {
  'single-tenant': 'Accounts in this organizational directory only (Single tenant)',
  'multi-tenant': 'Accounts in any organizational directory (Any Microsoft Entra ID tenant - Multitenant)',
  'multi-tenant-personal':
    'Accounts in any organizational directory (Any Microsoft Entra ID tenant - Multitenant) and personal Microsoft accounts (e.g. Skype, Xbox)',
  personal: 'Personal Microsoft accounts only',
};

export const AUTH_MODES = ['browser', 'device-code', 'app-only'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export interface AccountSettings {
  type?: AccountTypeSetting;
  /** Application (client) ID. */
  clientId?: string;
  /** Directory (tenant) ID or a verified domain. */
  tenantId?: string;
  auth: AuthMode;
  /** app-only: the mailbox (UPN or object ID) to send as. */
  sender?: string;
  /** Port of the loopback redirect URI; absent means `http://localhost` and any free port. */
  redirectPort?: number;
  /** The client secret's Expires date from the portal, YYYY-MM-DD. */
  secretExpires?: string;
  /** App-only: the service renews the secret this many days before it expires (default 30), when the app may. */
  secretRotateDays?: number;
}

export interface MailSettings {
  /** Default recipients. */
  to: string[];
  /** Pacing towards Exchange Online (its limit is 30 a minute per mailbox). */
  messagesPerMinute: number;
  /**
   * Graph requests per 10 minutes per app and mailbox at most (Graph's Outlook limit: 10,000,
   * https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits).
   */
  requestsPer10Minutes: number;
  /** Recipients per day at most (Exchange Online's recipient rate limit: 10,000 in a rolling 24 hours). */
  recipientsPerDay: number;
}

export interface EndpointSettings {
  /** Base URL of the emulator; when set it replaces login.microsoftonline.com and graph.microsoft.com. */
  emulator?: string;
  /** The emulator's CA certificate (PEM), trusted only when the emulator is the target. */
  emulatorCa?: string;
}

export interface ServiceSettings {
  host: string;
  port: number;
  /**
   * When an event counts as stored: `process-crash` (default) survives the service being killed at
   * any point (SQLite WAL, synchronous=NORMAL); `power-loss` also survives a power cut, at the cost of
   * an fsync per commit.
   */
  durability: 'process-crash' | 'power-loss';
  /** HTTPS for the API and the settings page (issue 10.9): with tlsCertificate/tlsKey, or a generated self-signed certificate. */
  tls?: boolean;
  /** The service's certificate (PEM file; the chain after it); with tlsKey. */
  tlsCertificate?: string;
  /** The private key (PEM file) of tlsCertificate. */
  tlsKey?: string;
}

/** The notification store's history (issue 14): how long it is kept, so the database does not grow without bound. */
export interface StoreSettings {
  /** Days delivered e-mails and settled events are kept (default 90). */
  retentionDays: number;
  /** Days e-mails that failed for good, and their events, are kept (default 365: the evidence of a problem outlives the routine). */
  failedRetentionDays: number;
  /**
   * Where the store lives (issue 16): unset or `sqlite:` the embedded SQLite file, `postgres://...` a
   * database several instances share. As given (it can hold a password): shown only through redactStoreUrl.
   */
  url?: string;
}

export interface Settings {
  account: AccountSettings;
  mail: MailSettings;
  endpoints: EndpointSettings;
  service: ServiceSettings;
  /** The SMTP relay (src/config/smtp.ts); every field optional, defaults from smtpOptions(). */
  smtp: SmtpSettings;
  store: StoreSettings;
  /**
   * Top-level sections this version does not model (e.g. `notifications` from a later issue):
   * kept as parsed and written back unchanged, so older code never drops newer settings.
   */
  otherSections: Record<string, unknown>;
}

export const SETTINGS_SECTIONS = ['account', 'mail', 'endpoints', 'service', 'smtp', 'store'] as const;
export type SettingsSection = (typeof SETTINGS_SECTIONS)[number];

export function defaultSettings(): Settings {
  return {
    account: { auth: 'browser' },
    mail: { to: [], messagesPerMinute: 30, requestsPer10Minutes: 10_000, recipientsPerDay: 10_000 },
    endpoints: {},
    service: { host: '127.0.0.1', port: 8025, durability: 'process-crash' },
    smtp: {},
    store: { retentionDays: 90, failedRetentionDays: 365 },
    otherSections: {},
  };
}

/** How a field's text (from YAML or an environment variable) becomes a value. */
export type FieldKind =
  | { type: 'string' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'port' }
  | { type: 'positive-integer' }
  | { type: 'date' }
  | { type: 'url' }
  | { type: 'list' }
  | { type: 'boolean' }
  /** IP addresses or CIDR ranges. */
  | { type: 'network-list' }
  /** E-mail addresses or domain names. */
  | { type: 'address-or-domain-list' }
  /** sqlite: or a postgres:// URL (src/shared/store-url.ts); its password is never shown. */
  | { type: 'store-url' };

/** One setting: where it lives, its environment variable, and how it is explained. */
export interface FieldSpec {
  /** Dotted path, e.g. `account.clientId`. */
  key: string;
  section: SettingsSection;
  name: string;
  env: string;
  kind: FieldKind;
  guideStep: GuideStep | null;
  /** The comment written above the field in settings.yaml (one string per line). */
  comment: string[];
  /** One line for the README's table. */
  description: string;
}

function field(
  key: `${SettingsSection}.${string}`,
  env: string,
  kind: FieldKind,
  guideStep: GuideStep | null,
  description: string,
  comment: string[] = [description],
): FieldSpec {
  const [section, name] = key.split('.') as [SettingsSection, string];
  return { key, section, name, env, kind, guideStep, comment, description };
}

/** Every setting, in file order. The single source for parsing, env overrides, comments and docs. */
export const SETTING_FIELDS: readonly FieldSpec[] = [
  field(
    'account.type',
    'O365_NOTIFY_ACCOUNT_TYPE',
    { type: 'enum', values: [...ACCOUNT_TYPES, REFUSED_ACCOUNT_TYPE] },
    'account-type',
    'Supported account types chosen when registering the app: single-tenant, multi-tenant or multi-tenant-personal',
    [
      'Supported account types, as chosen on "Register an application":',
      '  single-tenant          Accounts in this organizational directory only (Single tenant)',
      '  multi-tenant           Accounts in any organizational directory (Multitenant)',
      '  multi-tenant-personal  ... (Multitenant) and personal Microsoft accounts; Tenant ID must be blank',
      '"Personal Microsoft accounts only" is not supported.',
    ],
  ),
  field(
    'account.clientId',
    'O365_NOTIFY_CLIENT_ID',
    { type: 'string' },
    'client-id',
    'Application (client) ID, from the app\'s Overview page',
    ['Application (client) ID: App registrations > (your app) > Overview.'],
  ),
  field(
    'account.tenantId',
    'O365_NOTIFY_TENANT_ID',
    { type: 'string' },
    'tenant-id',
    'Directory (tenant) ID or a verified domain; required for single-tenant, blank for multi-tenant-personal',
    [
      'Directory (tenant) ID (or a verified domain such as contoso.onmicrosoft.com): Overview page.',
      'Required for single-tenant, optional for multi-tenant, blank for multi-tenant-personal.',
    ],
  ),
  field(
    'account.auth',
    'O365_NOTIFY_AUTH',
    { type: 'enum', values: AUTH_MODES },
    null,
    'How to sign in: browser, device-code or app-only',
    [
      'How to sign in: browser (http://localhost redirect, "Mobile and desktop applications"),',
      'device-code (needs "Allow public client flows" = Yes), or app-only (client secret and the',
      'Application permission Mail.Send with admin consent; sends as account.sender).',
    ],
  ),
  field(
    'account.sender',
    'O365_NOTIFY_SENDER',
    { type: 'string' },
    'mailbox',
    'app-only: the mailbox to send as (address or user object ID)',
    ['app-only: the mailbox to send as (its address or user object ID).'],
  ),
  field(
    'account.redirectPort',
    'O365_NOTIFY_REDIRECT_PORT',
    { type: 'port' },
    'redirect-uri',
    'Port of the redirect URI http://localhost:PORT; unset means http://localhost and any free port',
    [
      'Port of the redirect URI registered under "Mobile and desktop applications":',
      'unset means http://localhost (any free port is used), a number means http://localhost:PORT.',
    ],
  ),
  field(
    'account.secretExpires',
    'O365_NOTIFY_SECRET_EXPIRES',
    { type: 'date' },
    'client-secret',
    'The client secret\'s Expires date (YYYY-MM-DD) from Certificates & secrets, to warn ahead of time',
    [
      'The client secret\'s Expires date (YYYY-MM-DD) from Certificates & secrets.',
      'The secret itself is not stored here: it is kept encrypted in the secrets folder.',
    ],
  ),
  field(
    'account.secretRotateDays',
    'O365_NOTIFY_SECRET_ROTATE_DAYS',
    { type: 'positive-integer' },
    'client-secret',
    'App-only: the service renews the client secret or certificate this many days before it expires (default 30)',
    [
      'App-only: this many days before the credential in use expires (account.secretExpires for a client',
      'secret; for a certificate from `certificate create`, the certificate\'s own end date) the service adds',
      'a new one to its app (as long-lived as the one it replaces, at least this + 30 days), switches to it',
      'once it gets a token and removes the old one (default 30);',
      'status, doctor and the page warn from then on. The app needs the application permission',
      'Application.ReadWrite.OwnedBy and to own itself (`register --self-rotate`); without it the service',
      'warns and `o365-notify secret rotate` / `certificate rotate` does it with an administrator.',
    ],
  ),
  field('mail.to', 'O365_NOTIFY_TO', { type: 'list' }, 'recipients', 'Default recipients (environment: comma-separated)', [
    'Default recipients.',
  ]),
  field(
    'mail.messagesPerMinute',
    'O365_NOTIFY_MESSAGES_PER_MINUTE',
    { type: 'positive-integer' },
    'throttling',
    'Messages sent per minute at most (Exchange Online allows 30 per mailbox)',
    ['Messages sent per minute at most (Exchange Online allows 30 per mailbox).'],
  ),
  field(
    'mail.requestsPer10Minutes',
    'O365_NOTIFY_REQUESTS_PER_TEN_MINUTES',
    { type: 'positive-integer' },
    'throttling',
    'Microsoft Graph requests per 10 minutes at most (Graph allows 10,000 per app and mailbox)',
    [
      'Microsoft Graph requests per 10 minutes at most, every request of a send counted (token refresh excluded).',
      'Graph allows 10,000 per app and mailbox; lower it when other apps share the mailbox\'s budget.',
    ],
  ),
  field(
    'mail.recipientsPerDay',
    'O365_NOTIFY_RECIPIENTS_PER_DAY',
    { type: 'positive-integer' },
    'throttling',
    'Recipients per rolling 24 hours at most (Exchange Online allows 10,000 per mailbox)',
    [
      'Recipients (To, Cc and Bcc of every e-mail) per rolling 24 hours at most. Exchange Online allows 10,000 per',
      'mailbox and over it accepts an e-mail, then refuses it with a non-delivery report; an e-mail over the budget waits instead.',
    ],
  ),
  field(
    'endpoints.emulator',
    'O365_NOTIFY_EMULATOR',
    { type: 'url' },
    null,
    'Emulator base URL (https) to use instead of login.microsoftonline.com and graph.microsoft.com',
    ['Emulator base URL (https): replaces login.microsoftonline.com and graph.microsoft.com.'],
  ),
  field(
    'endpoints.emulatorCa',
    'O365_NOTIFY_EMULATOR_CA',
    { type: 'string' },
    null,
    'The emulator\'s CA certificate (PEM file), trusted only when the emulator is the target',
    ['The emulator\'s CA certificate (PEM), trusted only for the emulator.'],
  ),
  field('service.host', 'O365_NOTIFY_SERVICE_HOST', { type: 'string' }, null, 'Address the service listens on', [
    'Address the service listens on (keep 127.0.0.1 unless it must be reached from other hosts).',
  ]),
  field('service.port', 'O365_NOTIFY_SERVICE_PORT', { type: 'port' }, null, 'Port the service listens on', [
    'Port the service listens on.',
  ]),
  field(
    'service.durability',
    'O365_NOTIFY_SERVICE_DURABILITY',
    { type: 'enum', values: ['process-crash', 'power-loss'] },
    null,
    'When an accepted event is safe: process-crash (default; survives the service being killed) or power-loss (also a power cut; an fsync per commit, slower)',
    ['process-crash (default): an accepted event survives the service being killed at any point.', 'power-loss: it also survives a power cut (an fsync per commit; slower intake).'],
  ),
  field('service.tls', 'O365_NOTIFY_SERVICE_TLS', { type: 'boolean' }, null, 'Serve the API and the settings page over HTTPS (true/false): with service.tlsCertificate, or a generated self-signed certificate', [
    'HTTPS for the API and the settings page (needed when they are used from another machine):',
    'service.tlsCertificate + service.tlsKey, or a generated self-signed certificate (its fingerprint is printed).',
  ]),
  field('service.tlsCertificate', 'O365_NOTIFY_SERVICE_TLS_CERTIFICATE', { type: 'string' }, null, 'The service\'s HTTPS certificate (PEM file, chain after it)'),
  field('service.tlsKey', 'O365_NOTIFY_SERVICE_TLS_KEY', { type: 'string' }, null, 'The private key (PEM file) of service.tlsCertificate'),
  ...SMTP_FIELDS,
  field(
    'store.retentionDays',
    'O365_NOTIFY_STORE_RETENTION_DAYS',
    { type: 'positive-integer' },
    null,
    'Days delivered e-mails and settled events are kept in the history (default 90)',
    ['Days delivered e-mails and settled events are kept (default 90); older ones are deleted once a day.'],
  ),
  field(
    'store.failedRetentionDays',
    'O365_NOTIFY_STORE_FAILED_RETENTION_DAYS',
    { type: 'positive-integer' },
    null,
    'Days e-mails that failed for good, and their events, are kept (default 365)',
    ['Days e-mails that failed for good, and their events, are kept (default 365).'],
  ),
  field(
    'store.url',
    'O365_NOTIFY_STORE_URL',
    { type: 'store-url' },
    null,
    'Where the store lives: sqlite: (default, the file in the home directory) or postgres://USER@HOST/DATABASE (several instances share it)',
    [
      'Where the store lives: sqlite: (default: o365-notify.db in the home directory), or',
      'postgres://USER@HOST:5432/DATABASE: serve runs on that database (migrated when it starts) and several',
      'instances can share it. Keep the password in PGPASSWORD or ~/.pgpass rather than here.',
    ],
  ),
];

export const SECTION_COMMENTS: Record<SettingsSection, string> = {
  account: ' The app registration in the Azure portal (Microsoft Entra ID > App registrations).',
  mail: ' E-mail delivery.',
  endpoints: ' Where Microsoft is: unset for the real service.',
  service: ' The notification service (`o365-notify serve`).',
  smtp: SMTP_SECTION_COMMENT,
  store: ' The notification history (e-mails, attempts, events).',
};

/** Reads a field by its spec; the model's sections are plain records underneath. */
export function getField(settings: Settings, spec: FieldSpec): unknown {
  return (settings[spec.section] as unknown as Record<string, unknown>)[spec.name];
}

export function setField(settings: Settings, spec: FieldSpec, value: unknown): void {
  const section = settings[spec.section] as unknown as Record<string, unknown>;
  if (value === undefined) delete section[spec.name];
  else section[spec.name] = value;
}
