import type { CatalogEntry } from './catalog-types.js';

// Microsoft Graph `error.code` values met when sending mail, and the HTTP statuses that matter
// without a code (learn.microsoft.com/graph/errors, /graph/throttling, user-sendmail).

const APP = 'In the Azure portal open App registrations > (your app)';
const LIMITS =
  'Graph limits each app per mailbox (4 concurrent requests, 10,000 requests per 10 minutes) and Exchange Online limits each mailbox (30 messages a minute, 10,000 recipients a day).';

export const graphEntries: readonly CatalogEntry[] = [
  {
    code: 'ErrorAccessDenied',
    source: 'graph',
    title: 'Mail.Send not granted',
    microsoftText: 'Access is denied. Check credentials and try again.',
    cause:
      'The access token does not allow sending from this mailbox: the Delegated permission Mail.Send is missing or not consented (app-only: the Application permission Mail.Send, or an Exchange application access policy excludes the sender).',
    fix:
      `${APP} > API permissions > Add a permission > Microsoft Graph > Delegated permissions, check Mail.Send and click Add permissions (app-only: Application permissions > Mail.Send, then Grant admin consent). Then run \`o365-notify login\` so the new token carries it.`,
    guideStep: 'api-permissions',
  },
  {
    code: 'NoPermissionsInAccessToken',
    source: 'graph',
    title: 'Token carries no permissions',
    microsoftText: 'The token contains no permissions, or permissions can not be understood.',
    cause:
      'The access token has neither delegated scopes nor application roles: for app-only sending no Application permission has been granted admin consent; a delegated token lacks Mail.Send.',
    fix:
      `${APP} > API permissions > Add a permission > Microsoft Graph: add Mail.Send (Delegated for browser or device-code sign-in; Application for app-only, followed by Grant admin consent). Then run \`o365-notify login\` again.`,
    guideStep: 'api-permissions',
  },
  {
    code: 'Authorization_RequestDenied',
    source: 'graph',
    title: 'Insufficient privileges',
    microsoftText: 'Insufficient privileges to complete the operation.',
    cause: 'The app or the signed-in account lacks the Graph permission this call needs.',
    fix:
      `${APP} > API permissions: check that Microsoft Graph Mail.Send is listed with Status Granted; add it (Add a permission > Microsoft Graph > Delegated permissions > Mail.Send) or grant consent, then run \`o365-notify login\`.`,
    guideStep: 'api-permissions',
  },
  {
    code: 'InvalidAuthenticationToken',
    source: 'graph',
    title: 'Access token not accepted',
    microsoftText: 'Access token has expired or is not yet valid.',
    cause:
      'Graph refused the access token: it has expired, is empty or malformed, or was issued for another service than https://graph.microsoft.com.',
    fix:
      'Run `o365-notify login` to get a new token. If it fails again right after signing in, check the computer\'s clock and time zone (tokens carry their validity times).',
    guideStep: 'sign-in-again',
  },
  {
    code: 'MailboxNotEnabledForRESTAPI',
    source: 'graph',
    aliases: ['MailboxNotSupportedForRESTAPI'],
    title: 'Sending account has no Exchange Online mailbox',
    microsoftText: 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
    cause:
      'The account that sends has no usable Exchange Online mailbox: it has no licence that includes Exchange Online, the new mailbox is not provisioned yet, or the mailbox is on-premises.',
    fix:
      'In the Microsoft 365 admin center open Users > Active users > (sending account) > Licenses and apps, assign a licence that includes Exchange Online and wait for the mailbox to be created; or sign in (app-only: `--sender`) with an account that has a mailbox.',
    guideStep: 'mailbox',
  },
  {
    code: 'ErrorInvalidUser',
    source: 'graph',
    title: 'Sending user not found',
    microsoftText: "The requested user '{user}' is invalid.",
    cause: 'The mailbox to send as (app-only `--sender`) does not exist in the tenant.',
    fix: 'Set the sender to the user principal name or object ID of an existing mailbox: `o365-notify setup --sender ADDRESS`.',
    guideStep: 'mailbox',
  },
  {
    code: 'ErrorSendAsDenied',
    source: 'graph',
    title: 'Not allowed to send as this address',
    microsoftText:
      'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.',
    cause: 'The message\'s From address is another mailbox, and the signed-in account has no Send As (or Send on behalf) right on it.',
    fix:
      'Send as the signed-in account (no From address), or give it the right in the Exchange admin center: Recipients > Mailboxes > (the From mailbox) > Delegation > Send as > Edit, add the signed-in account.',
    guideStep: 'mailbox',
  },
  {
    code: 'ErrorQuotaExceeded',
    source: 'graph',
    aliases: ['ErrorSendQuotaExceeded'],
    title: 'Mailbox quota exceeded',
    microsoftText: 'The mailbox quota has been exceeded.',
    cause: 'The sending mailbox is full (sent messages are saved in it), or its sending quota is used up.',
    fix:
      'Free space in the sending mailbox (empty Deleted Items, clean up Sent Items), or an administrator raises its storage quota or licence (Exchange admin center > Recipients > Mailboxes > (mailbox)).',
    guideStep: 'mailbox',
  },
  {
    code: 'ErrorInvalidRecipients',
    source: 'graph',
    aliases: ['ErrorInvalidRecipient', 'ErrorRecipientNotFound', 'ErrorInvalidSmtpAddress'],
    title: 'Recipient not valid',
    microsoftText:
      "At least one recipient is not valid., Recipient '{address}' is not resolved. All recipients must be resolved before a message can be submitted.",
    cause: 'A To, Cc or Bcc address is malformed or cannot be resolved.',
    fix: 'Correct the recipient addresses in the settings (`o365-notify setup --to ...`) or in the rule that sent this message.',
    guideStep: 'recipients',
  },
  {
    code: 'ErrorMessageSizeExceeded',
    source: 'graph',
    title: 'Message too large for the mailbox',
    microsoftText: 'The message exceeds the maximum supported size.',
    cause: 'The message with its attachments is bigger than the mailbox may send (Exchange Online allows 35 MB by default).',
    fix:
      'Send smaller or fewer attachments, or an Exchange administrator raises the mailbox\'s maximum send size (Exchange admin center > Recipients > Mailboxes > (mailbox) > Mailbox settings).',
    guideStep: 'message-size',
  },
  {
    code: 'ApplicationThrottled',
    source: 'graph',
    aliases: ['MailboxConcurrency'],
    title: 'Throttled by Microsoft Graph',
    microsoftText: 'Application is over its MailboxConcurrency limit.',
    cause: `Too many requests for this mailbox at once or in a short time. ${LIMITS}`,
    fix: 'Nothing to change in the portal: o365-notify waits as long as Retry-After says and retries. If it happens often, lower the messages per minute in the settings or group more events into one e-mail.',
    guideStep: 'throttling',
  },
  {
    code: 'ErrorItemNotFound',
    source: 'graph',
    title: 'Draft or item not found',
    microsoftText: 'The specified object was not found in the store.',
    cause: 'Graph could not find the draft message or attachment o365-notify referred to (deleted meanwhile, or looked up in another mailbox).',
    fix: 'Try again; make sure nothing deletes drafts in the sending mailbox\'s Drafts folder. If it persists report it with the output of `o365-notify explain`.',
    guideStep: 'request',
  },

  // --- HTTP statuses without a more specific code -------------------------------------------
  {
    code: 'HTTP413',
    source: 'http',
    aliases: ['RequestEntityTooLarge', 'RequestBodyTooLarge', 'ErrorRequestEntityTooLarge'],
    title: 'Request over 4 MB',
    microsoftText: 'Request Entity Too Large: the request size exceeds the maximum limit.',
    cause:
      'The sendMail request was bigger than Graph accepts (4 MB); attachments grow by a third when encoded. Attachments over about 3 MB must be uploaded in pieces.',
    fix:
      `Send smaller attachments, or let o365-notify upload large ones through an upload session, which needs the Delegated permission Mail.ReadWrite (in the Azure portal App registrations > (your app) > API permissions > Add a permission > Microsoft Graph > Delegated permissions > Mail.ReadWrite > Add permissions), then run \`o365-notify login\`.`,
    guideStep: 'message-size',
  },
  {
    code: 'HTTP429',
    source: 'http',
    aliases: ['TooManyRequests'],
    title: 'Too many requests',
    microsoftText:
      'Too Many Requests: the client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed.',
    cause: `Microsoft 365 throttled the requests. ${LIMITS}`,
    fix: 'Nothing to change in the portal: o365-notify waits as long as Retry-After says and retries. If it happens often, lower the messages per minute in the settings.',
    guideStep: 'throttling',
  },
  {
    code: 'HTTP503',
    source: 'http',
    aliases: ['ServiceUnavailable', 'serviceNotAvailable'],
    title: 'Service unavailable',
    microsoftText:
      'Service Unavailable: the service is temporarily unavailable for maintenance or is overloaded. You may repeat the request after a delay, the length of which may be specified in a Retry-After header.',
    cause: 'Microsoft Graph is overloaded or in maintenance for a moment; nothing is wrong with the settings.',
    fix: 'Nothing to change: o365-notify waits as long as Retry-After says and retries.',
    guideStep: 'throttling',
  },
];
