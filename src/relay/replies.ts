/**
 * Every refusal the relay gives: an SMTP reply code, an RFC 3463 enhanced status code, and one
 * sentence that says what happened and the fix. 4xx for what is temporary (the client retries),
 * 5xx for what only a change of settings fixes.
 */
export class SmtpReply extends Error {
  readonly responseCode: number;

  constructor(code: number, enhanced: string, text: string) {
    super(`${enhanced} ${text}`);
    this.responseCode = code;
  }
}

const ENHANCED_PREFIX = /^[245]\.\d{1,3}\.\d{1,3} /;

/** smtp-server adds a generic enhanced code by reply code; ours already carry the exact one. */
export function carriesEnhancedCode(text: unknown): boolean {
  return typeof text === 'string' && ENHANCED_PREFIX.test(text);
}

/** A user's allow list in a reply line (which stays under 512 octets, RFC 5321 section 4.5.3.1.5). */
function listed(entries: readonly string[]): string {
  return entries.length <= 3 ? entries.join(', ') : `${entries.slice(0, 3).join(', ')} and ${entries.length - 3} more`;
}

export const replies = {
  clientNotAllowed: (ip: string) =>
    new SmtpReply(554, '5.7.1', `Client ${ip} is not allowed to use this relay: add it (or its network, e.g. 192.168.1.0/24) to smtp.allowedClients in the o365-notify settings.`),
  tooManyConnections: (ip: string, max: number) =>
    new SmtpReply(421, '4.7.0', `Too many connections from ${ip} (more than ${max} at once): try again later, or raise smtp.maxConnectionsPerClient.`),
  lockedOut: (ip: string, until: Date, failures: number) =>
    new SmtpReply(454, '4.7.0', `Too many failed AUTH attempts from ${ip} (${failures}, smtp.authFailuresBeforeLockout): locked out until ${until.toISOString().slice(11, 16)} UTC (smtp.lockoutMinutes). Check the user name and password in the sender's SMTP settings (\`o365-notify smtp user list\`).`),
  tlsRequired: () =>
    new SmtpReply(530, '5.7.0', 'Must issue a STARTTLS command first: set the sender\'s SMTP security to STARTTLS (or TLS on smtp.tlsPort), or add this client to smtp.plainClients.'),
  // RFC 3207 section 4: a server that requires TLS answers other commands with 530 5.7.0 until
  // STARTTLS; AUTH is one of them here (the password must not cross the network in clear text).
  authNeedsTls: () =>
    new SmtpReply(530, '5.7.0', 'Must issue a STARTTLS command first: AUTH would send the password in clear text. Set the sender\'s SMTP security to STARTTLS (or TLS on smtp.tlsPort), or add this client to smtp.plainClients.'),
  authRequired: () =>
    new SmtpReply(530, '5.7.0', 'Authentication required: enter an SMTP user name and password in the sender\'s settings (create one with `o365-notify smtp user add NAME`).'),
  authFailed: () =>
    new SmtpReply(535, '5.7.8', 'Authentication failed: the user name or password is wrong. Check them in the sender\'s SMTP settings, or set a new password with `o365-notify smtp user add NAME`.'),
  rateLimited: (who: string, perMinute: number) =>
    new SmtpReply(451, '4.7.1', `${who} sent more than ${perMinute} messages in the last minute: try again shortly, or raise smtp.messagesPerMinute.`),
  notSignedIn: (why: string) =>
    new SmtpReply(451, '4.7.0', `o365-notify cannot send through Microsoft 365 yet (${why}): messages are taken again once it can; run \`o365-notify login\` (or set up app-only access) on the relay host.`),
  senderNotAllowed: (from: string, mailbox: string | undefined) =>
    new SmtpReply(550, '5.7.1', `Sender ${from || '<>'} is not allowed: add it (or its domain) to smtp.allowedFrom${mailbox ? `, or send as ${mailbox}` : ''}.`),
  /** The SMTP user's own list (`smtp user add NAME --allow-from`) refused it, not smtp.allowedFrom. */
  senderNotAllowedForUser: (from: string, user: string, allowed: readonly string[]) =>
    new SmtpReply(550, '5.7.1', `Sender ${from || '<>'} is not allowed for SMTP user ${user}, which may send from ${listed(allowed)}: send from one of those, or change the user's list with \`o365-notify smtp user add ${user} --allow-from ...\` (this also sets a new password).`),
  sendAsRejected: (from: string, mailbox: string) =>
    new SmtpReply(550, '5.7.1', `Sender ${from || '<>'} is not ${mailbox}, and smtp.fromPolicy is reject: send as ${mailbox}, or set smtp.fromPolicy to rewrite (or send-as, after giving ${mailbox} "Send As" rights in the Exchange admin center > Recipients > Mailboxes > Delegation).`),
  badSender: (from: string) =>
    new SmtpReply(553, '5.1.7', `Sender address ${from.slice(0, 100)} is not a valid e-mail address: set a full address such as alerts@contoso.com as the sender (From) in the sender's settings.`),
  badRecipient: (to: string) =>
    new SmtpReply(553, '5.1.3', `Recipient address ${to.slice(0, 100)} is not a valid e-mail address: use a full address such as admin@contoso.com.`),
  recipientNotAllowed: (to: string) =>
    new SmtpReply(550, '5.7.1', `Recipient ${to} is not allowed: add it (or its domain) to smtp.allowedRecipients.`),
  recipientNotAllowedForUser: (to: string, user: string, allowed: readonly string[]) =>
    new SmtpReply(550, '5.7.1', `Recipient ${to} is not allowed for SMTP user ${user}, which may send to ${listed(allowed)}: change the user's list with \`o365-notify smtp user add ${user} --allow-to ...\` (this also sets a new password).`),
  tooManyRecipients: (max: number) =>
    new SmtpReply(452, '4.5.3', `Too many recipients: at most ${max} per message (smtp.maxRecipients; Exchange Online's limit is 500): send the rest in another message.`),
  noRecipients: () => new SmtpReply(554, '5.5.1', 'No valid recipients: give at least one RCPT TO the relay accepted.'),
  tooBig: (maxMb: number) =>
    new SmtpReply(552, '5.3.4', `Message too big: the limit is ${maxMb} MB (smtp.maxMessageMb, Exchange Online's default is 35 MB); send a smaller message or a link.`),
  storeFull: (queued: number) =>
    new SmtpReply(452, '4.3.1', `The relay's outbox is full (${queued} messages waiting to be sent): try again later; \`o365-notify status\` says why they are waiting.`),
  storeFailed: () =>
    new SmtpReply(451, '4.3.0', 'The message could not be stored (local error): try again later; the relay\'s log says why.'),
} as const;
