/**
 * Mail delivery through Microsoft Graph: the message model, sendMail or draft + upload session,
 * pacing per mailbox, retries, and GraphSendError with a diagnosis.
 */
export { mimeFits } from './request-fit.js';
export { createMailClient, type MailClient, type MailClientOptions, type MailClientStats, type SendMode, type GraphSendReport, type SendOptions } from './mail-client.js';
export { GraphSendError, type Diagnosis, type GraphSendErrorFields } from './errors.js';
export { grantedPermissions, type AccessTokenResult, type TokenProvider } from './token-provider.js';
export { prepareMessage, NOTIFY_ID_HEADER, type Importance, type MailAttachment, type MailMessage, type PreparedAttachment, type PreparedMessage } from './message.js';
export type { AddressInput, Mailbox } from './addresses.js';
export { addressProblem, parseAddress } from './addresses.js';
export { DEFAULT_PACING, type PacingOptions, type RecipientHistory } from './pacing.js';
export { DEFAULT_RETRY, backoffDelay, type RetryOptions } from './retry.js';
export { systemClock, type Clock } from './clock.js';
export { createHttpsTransport, type HttpTransport } from './http.js';
export type { RetryOwner } from './requester.js';
export { InProcessMailboxPacing, type SharedMailboxPacing } from './pacing-port.js';
