/**
 * The way out: the outbox worker (the one owner of retries) and the Graph channel that sends
 * through the configured sign-in (settings -> session -> token provider -> mail client).
 */
export {
  NOTIFY_ID_HEADER,
  NOTIFY_KIND_HEADER,
  SIGN_IN_GUIDE_STEPS,
  describeSendError,
  type MailSender,
  type OutgoingEmail,
  type SendFailure,
  type SendResult,
} from './mail-sender.js';
export { openMailer, sendMail, type Mailer, type OpenMailerOptions } from './mailer.js';
export { ServiceMailSender } from './service-mail-sender.js';
export { DEFAULT_DELIVERY_OPTIONS, DeliveryWorker, type DeliveryOptions, type DeliveryResult } from './worker.js';
