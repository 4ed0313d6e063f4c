import type { Logger } from 'pino';
import { maskAddress } from '../shared/index.js';
import type { GraphConnection } from './graph-connection.js';
import { NOTIFY_ID_HEADER, NOTIFY_KIND_HEADER, outcomeOfError, type DeliveryChannel, type DeliveryOutcome, type OutgoingMessage } from './channel.js';

interface Held {
  connection: GraphConnection;
  inFlight: number;
  retired: boolean;
  closed: boolean;
}

function closeWhenIdle(h: Held): void {
  if (!h.retired || h.inFlight > 0 || h.closed) return;
  h.closed = true;
  h.connection.close();
}

/**
 * The delivery channel through Microsoft Graph, on the configured connection (sign-in session ->
 * token provider -> mail client with `retries: 'caller'`: one try per attempt, the worker retries).
 * The connection can be replaced while the service runs (after a sign-in or a settings change);
 * sends already under way finish on the old one, which is closed after them. Every attempt is
 * logged as one line; failures carry their diagnosis (what, why, fix).
 */
export class GraphChannel implements DeliveryChannel {
  private held: Held;
  private retiredTokenCalls = 0;

  constructor(
    connection: GraphConnection,
    private readonly logger: Logger,
  ) {
    this.held = { connection, inFlight: 0, retired: false, closed: false };
  }

  get connection(): GraphConnection {
    return this.held.connection;
  }

  /** Token endpoint calls of every connection this channel used (for /metrics). */
  get tokenEndpointCalls(): number {
    return this.retiredTokenCalls + this.held.connection.tokens.tokenEndpointCalls;
  }

  replace(connection: GraphConnection): void {
    const old = this.held;
    this.retiredTokenCalls += old.connection.tokens.tokenEndpointCalls;
    old.retired = true;
    this.held = { connection, inFlight: 0, retired: false, closed: false };
    closeWhenIdle(old);
  }

  close(): void {
    this.held.retired = true;
    closeWhenIdle(this.held);
  }

  /**
   * Runs `fn` with the current connection, counted as in flight so that a replace() does not close
   * it under the call (the SMTP relay sends its MIME messages this way).
   */
  async use<T>(fn: (connection: GraphConnection) => Promise<T>): Promise<T> {
    const held = this.held;
    held.inFlight++;
    try {
      return await fn(held.connection);
    } finally {
      held.inFlight--;
      closeWhenIdle(held);
    }
  }

  async send(email: OutgoingMessage, options: { signal: AbortSignal }): Promise<DeliveryOutcome> {
    const held = this.held;
    const { [NOTIFY_ID_HEADER]: id, ...headers } = email.headers;
    const kind = headers[NOTIFY_KIND_HEADER];
    const started = Date.now();
    held.inFlight++;
    try {
      const report = await held.connection.client.send(
        {
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
        },
        { signal: options.signal },
      );
      this.logger.info(
        // Subject and masked recipients: "did the mail to X go out?" is answered from the log.
        { id, kind, subject: email.subject, to: [...email.to, ...email.cc, ...email.bcc].map(maskAddress), recipients: email.to.length + email.cc.length + email.bcc.length, messageId: report.messageId, graphAttempts: report.attempts, requests: report.requests, ms: Date.now() - started },
        'e-mail accepted by Microsoft Graph',
      );
      return { kind: 'sent', messageId: report.messageId, requests: report.requests };
    } catch (err) {
      const outcome = outcomeOfError(err);
      const { problem } = outcome;
      const d = problem.diagnosis;
      if (outcome.kind === 'deferred') {
        // Held back here (the daily recipient budget), nothing asked of Graph: not a failure.
        this.logger.info({ id, kind, subject: email.subject, code: problem.code, outcome: outcome.kind, requests: 0, waitMs: outcome.afterMs }, `e-mail held back: ${problem.message}`);
        return outcome;
      }
      this.logger.warn(
        {
          id,
          kind,
          subject: email.subject,
          to: [...email.to, ...email.cc, ...email.bcc].map(maskAddress),
          ms: Date.now() - started,
          status: problem.statusCode,
          code: problem.code,
          outcome: outcome.kind,
          requests: outcome.requests,
          diagnosis: d ? { code: d.code, title: d.title, cause: d.cause, fix: d.fix, guideStep: d.guideStep } : undefined,
        },
        `e-mail not sent: ${d ? `${d.title}. ${d.fix}` : problem.message}`,
      );
      return outcome;
    } finally {
      held.inFlight--;
      closeWhenIdle(held);
    }
  }
}
