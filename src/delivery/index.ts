/**
 * The way out: the delivery port (DeliveryChannel), the outbox worker (the one owner of retries for
 * queued e-mails) and the Graph adapter (GraphChannel on a GraphConnection: settings -> session ->
 * token provider -> mail client).
 */
export {
  NOTIFY_ID_HEADER,
  NOTIFY_KIND_HEADER,
  SIGN_IN_GUIDE_STEPS,
  outcomeOfError,
  type DeliveryChannel,
  type DeliveryOutcome,
  type DeliveryOutcomeKind,
  type DeliveryProblem,
  type OutgoingMessage,
} from './channel.js';
export { openGraphConnection, sendMail, type GraphConnection, type OpenGraphConnectionOptions } from './graph-connection.js';
export { GraphChannel } from './graph-channel.js';
// The outbox's records and shapes (a store keeps them as they are).
export * from './outbox-types.js';
export type { CarriedEvents, DeliveryStore, DeliveryStoreTx, OutboxStore } from './outbox-port.js';
export { DEFAULT_DELIVERY_OPTIONS, DeliveryWorker, type DeliveryOptions, type DeliveryResult } from './worker.js';
