import type { Logger } from 'pino';
import { maskAddress } from '../shared/index.js';
import type { Mailer } from './mailer.js';
import { NOTIFY_ID_HEADER, describeSendError, type MailSender, type OutgoingEmail, type SendResult } from './index.js';

interface Held {
  mailer: Mailer;
  inFlight: number;
  retired: boolean;
  closed: boolean;
}

function closeWhenIdle(h: Held): void {
  if (!h.retired || h.inFlight > 0 || h.closed) return;
  h.closed = true;
  h.mailer.close();
}

/**
 * The pipeline's MailSender on top of the configured mailer (sign-in session -> token provider ->
 * Graph mail client). The mailer can be replaced while the service runs (after a sign-in or a
 * settings change); sends already under way finish on the old one, which is closed after them.
 * Every result is logged as one line; failures carry their diagnosis (what, why, fix).
 */
export class ServiceMailSender implements MailSender {
  private held: Held;
  private retiredTokenCalls = 0;

  constructor(
    mailer: Mailer,
    private readonly logger: Logger,
  ) {
    this.held = { mailer, inFlight: 0, retired: false, closed: false };
  }

  get mailer(): Mailer {
    return this.held.mailer;
  }

  /** Token endpoint calls of every mailer this sender used (for /metrics). */
  get tokenEndpointCalls(): number {
    return this.retiredTokenCalls + this.held.mailer.tokens.tokenEndpointCalls;
  }

  replace(mailer: Mailer): void {
    const old = this.held;
    this.retiredTokenCalls += old.mailer.tokens.tokenEndpointCalls;
    old.retired = true;
    this.held = { mailer, inFlight: 0, retired: false, closed: false };
    closeWhenIdle(old);
  }

  close(): void {
    this.held.retired = true;
    closeWhenIdle(this.held);
  }

  /**
   * Runs `fn` with the current mailer, counted as in flight so that a replace() does not close it
   * under the call (the SMTP relay sends its MIME messages this way).
   */
  async use<T>(fn: (mailer: Mailer) => Promise<T>): Promise<T> {
    const held = this.held;
    held.inFlight++;
    try {
      return await fn(held.mailer);
    } finally {
      held.inFlight--;
      closeWhenIdle(held);
    }
  }

  async send(email: OutgoingEmail): Promise<SendResult> {
    const held = this.held;
    const { [NOTIFY_ID_HEADER]: id, ...headers } = email.headers;
    const kind = headers['x-o365-notify-kind'];
    const started = Date.now();
    held.inFlight++;
    try {
      const result = await held.mailer.send({
        id,
        to: email.to,
        cc: email.cc,
        bcc: email.bcc,
        subject: email.subject,
        html: email.html,
        text: email.text,
        importance: email.importance,
        headers,
        attachments: [],
      });
      this.logger.info(
        // Subject and masked recipients: "did the mail to X go out?" is answered from the log.
        { id, kind, subject: email.subject, to: [...email.to, ...email.cc, ...email.bcc].map(maskAddress), recipients: email.to.length + email.cc.length + email.bcc.length, messageId: result.messageId, graphAttempts: result.attempts, ms: Date.now() - started },
        'e-mail accepted by Microsoft Graph',
      );
      return { messageId: result.messageId };
    } catch (err) {
      const failure = describeSendError(err);
      const d = failure.diagnosis;
      this.logger.warn(
        {
          id,
          kind,
          subject: email.subject,
          to: [...email.to, ...email.cc, ...email.bcc].map(maskAddress),
          ms: Date.now() - started,
          status: failure.statusCode,
          code: failure.code,
          retryable: failure.retryable,
          diagnosis: d ? { code: d.code, title: d.title, cause: d.cause, fix: d.fix, guideStep: d.guideStep } : undefined,
        },
        `e-mail not sent: ${d ? `${d.title}. ${d.fix}` : failure.message}`,
      );
      throw err;
    } finally {
      held.inFlight--;
      closeWhenIdle(held);
    }
  }
}
