/**
 * The SMTP relay (issue 11): a listener that takes mail from ImageManager and any SMTP-only
 * sender, stores it durably before answering 250, and a sender that delivers it through the
 * outbox worker to Graph as MIME, with the envelope deciding who receives it.
 */
export { startRelay, type RunningRelay, type StartRelayOptions } from './start.js';
export { INLINE_LIMIT, MAX_OPEN_MESSAGES, type RelayIdentity } from './listener.js';
export { RelaySender, type ConnectionAccess, type RelaySenderOptions } from './relay-sender.js';
export { addRelayUser, listRelayUsers, removeRelayUser, RelayUserError, type AddedUser } from './users.js';
export { buildOutgoingMime, type OutgoingMime } from './outgoing.js';
export { isLoopbackIp } from './policy.js';
export { relayCertificatePath, selfSignedCertificate } from './certificate.js';
