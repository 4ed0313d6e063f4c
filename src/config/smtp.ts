import { isLoopbackHost } from './identifiers.js';
import type { Problem } from './problems.js';
import type { FieldKind, FieldSpec } from './settings.js';

/**
 * The `smtp:` section: the SMTP relay that takes ImageManager's (and any SMTP-only sender's)
 * notification e-mails and delivers them through Graph. Every field is optional in the file;
 * smtpOptions() applies the defaults in one place, so settings.yaml only holds what was chosen.
 */
export const FROM_POLICIES = ['rewrite', 'send-as', 'reject'] as const;
export type FromPolicy = (typeof FROM_POLICIES)[number];

export interface SmtpSettings {
  enabled?: boolean;
  host?: string;
  port?: number;
  /** Implicit TLS (SMTPS) for senders that cannot do STARTTLS; off when unset. */
  tlsPort?: number;
  /** Unset: required for every client but loopback. */
  requireAuth?: boolean;
  allowedClients?: string[];
  /** Clients that may send without TLS (plain SMTP); loopback always may. */
  plainClients?: string[];
  allowedFrom?: string[];
  allowedRecipients?: string[];
  fromPolicy?: FromPolicy;
  maxMessageMb?: number;
  maxRecipients?: number;
  maxConnectionsPerClient?: number;
  messagesPerMinute?: number;
  authFailuresBeforeLockout?: number;
  lockoutMinutes?: number;
  certificate?: string;
  certificateKey?: string;
}

/** The relay's settings with every default applied. */
export interface SmtpOptions extends Required<Omit<SmtpSettings, 'tlsPort' | 'requireAuth' | 'certificate' | 'certificateKey'>> {
  tlsPort?: number;
  requireAuth?: boolean;
  certificate?: string;
  certificateKey?: string;
}

export const SMTP_DEFAULTS = {
  enabled: false,
  host: '127.0.0.1',
  port: 2525,
  allowedClients: ['127.0.0.0/8', '::1'],
  plainClients: [] as string[],
  allowedFrom: [] as string[],
  allowedRecipients: [] as string[],
  fromPolicy: 'rewrite' as FromPolicy,
  // Exchange Online's default message size limit (35 MB) and recipient limit per message (500).
  maxMessageMb: 35,
  maxRecipients: 500,
  maxConnectionsPerClient: 10,
  messagesPerMinute: 60,
  authFailuresBeforeLockout: 5,
  lockoutMinutes: 15,
} satisfies SmtpOptions;

export function smtpOptions(smtp: SmtpSettings | undefined): SmtpOptions {
  const set = Object.fromEntries(Object.entries(smtp ?? {}).filter(([, v]) => v !== undefined));
  return { ...SMTP_DEFAULTS, ...set } as SmtpOptions;
}

function spec(name: keyof SmtpSettings, kind: FieldKind, description: string, comment: string[] = [description]): FieldSpec {
  const env = `O365_NOTIFY_SMTP_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
  return { key: `smtp.${name}`, section: 'smtp', name, env, kind, guideStep: null, comment, description };
}

export const SMTP_FIELDS: readonly FieldSpec[] = [
  spec('enabled', { type: 'boolean' }, 'Run the SMTP relay in `serve` (true/false; default false)'),
  spec('host', { type: 'string' }, 'Address the SMTP relay listens on (default 127.0.0.1; 0.0.0.0 to take mail from other hosts)'),
  spec('port', { type: 'port' }, 'Submission port with STARTTLS (default 2525)'),
  spec('tlsPort', { type: 'port' }, 'Optional implicit-TLS (SMTPS) port for senders that cannot do STARTTLS; unset means off'),
  spec('requireAuth', { type: 'boolean' }, 'Require AUTH (an `o365-notify smtp user`); unset means required for every client but loopback'),
  spec('allowedClients', { type: 'network-list' }, 'Client IP addresses or CIDR ranges allowed to connect (default loopback only)'),
  spec('plainClients', { type: 'network-list' }, 'Clients allowed to send without TLS besides loopback (IP addresses or CIDR ranges)'),
  spec('allowedFrom', { type: 'address-or-domain-list' }, 'Envelope senders allowed (addresses or domains); empty means any'),
  spec('allowedRecipients', { type: 'address-or-domain-list' }, 'Recipients allowed (addresses or domains); empty means any'),
  spec('fromPolicy', { type: 'enum', values: FROM_POLICIES }, 'A From that is not the sending mailbox: rewrite (default; original kept as Reply-To), send-as (needs Send As rights) or reject', [
    'A From that is not the sending mailbox: rewrite (default: From becomes the mailbox, the original goes',
    'to Reply-To), send-as (kept; the mailbox needs "Send As" rights in the Exchange admin center), or reject.',
  ]),
  spec('maxMessageMb', { type: 'positive-integer' }, 'Largest message accepted, in MB (default 35, Exchange Online\'s default)'),
  spec('maxRecipients', { type: 'positive-integer' }, 'Most recipients per message (default 500, Exchange Online\'s limit)'),
  spec('maxConnectionsPerClient', { type: 'positive-integer' }, 'Most connections at once from one client address (default 10)'),
  spec('messagesPerMinute', { type: 'positive-integer' }, 'Most messages a minute per SMTP user or client address (default 60)'),
  spec('authFailuresBeforeLockout', { type: 'positive-integer' }, 'Failed AUTH attempts from one client before it is locked out (default 5)'),
  spec('lockoutMinutes', { type: 'positive-integer' }, 'How long a locked-out client waits, in minutes (default 15)'),
  spec('certificate', { type: 'string' }, 'TLS certificate (PEM file) for STARTTLS; unset means one generated at first start in the home dir'),
  spec('certificateKey', { type: 'string' }, 'The private key (PEM file) of smtp.certificate'),
];

export const SMTP_SECTION_COMMENT = ' The SMTP relay for ImageManager\'s notification e-mails (`o365-notify serve`).';

/** The relay's settings problems (checkSettings adds them). */
export function checkSmtp(smtp: SmtpSettings | undefined): Problem[] {
  const problems: Problem[] = [];
  const o = smtpOptions(smtp);
  const add = (field: string, message: string, severity: Problem['severity'] = 'error') =>
    problems.push({ field, severity, message, guideStep: null });
  if ((o.certificate === undefined) !== (o.certificateKey === undefined)) {
    add('smtp.certificate', 'smtp.certificate and smtp.certificateKey go together: set both (PEM files), or neither to use the generated certificate.');
  }
  if (o.tlsPort !== undefined && o.tlsPort === o.port) {
    add('smtp.tlsPort', `smtp.tlsPort ${o.tlsPort} is the same as smtp.port: give the implicit-TLS listener its own port (465 is usual) or unset it.`);
  }
  if (o.requireAuth === false && !isLoopbackHost(o.host)) {
    add('smtp.requireAuth', `smtp.requireAuth is false while the relay listens on ${o.host}: any allowed client can send as the mailbox without a password. Keep it unset (required for all but loopback) unless smtp.allowedClients is narrow.`, 'warning');
  }
  return problems;
}
