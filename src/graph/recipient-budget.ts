import { GraphSendError } from './errors.js';
import type { MailClient } from './mail-client.js';
import { prepareMessage, type MailMessage, type PreparedMessage } from './message.js';
import type { RollingBudget } from './pacing.js';

/**
 * Exchange Online's recipient rate limit (10,000 recipients per mailbox in a rolling 24 hours,
 * mail.recipientsPerDay): over it Exchange still answers 202 and then sends the sender a
 * non-delivery report (5.1.90), so the e-mail would be lost without an error. Each send takes its
 * recipients from the mailbox's budget first; when the budget has no room it fails at once,
 * retryable, with the time until it has, marked as a hold of our own (`heldLocally`: Microsoft
 * was not asked): the outbox worker re-queues it for then without counting an attempt.
 */

/** The message checked once, here, and handed to send() (so it is not prepared twice); undefined when invalid. */
function prepared(message: MailMessage): PreparedMessage | undefined {
  try {
    return prepareMessage(message);
  } catch {
    return undefined; // An invalid message fails in send() with its own error.
  }
}

/** Every address of To, Cc and Bcc, duplicates included (at least as many as Exchange counts). */
function messageRecipients(m: PreparedMessage | undefined): number {
  return m ? m.to.length + m.cc.length + m.bcc.length : 0;
}

/** Addresses in the To, Cc and Bcc header fields of a MIME message (Graph takes recipients from them). */
export function mimeRecipients(mime: Buffer): number {
  // Only the header is read: a relayed message can be megabytes, its header a few hundred bytes.
  const ends = [mime.indexOf('\n\n'), mime.indexOf('\n\r\n')].filter((i) => i >= 0);
  const end = ends.length > 0 ? Math.min(...ends) : -1;
  const header = mime.toString('latin1', 0, end < 0 ? mime.length : end).replace(/\r?\n[ \t]+/g, ' ');
  let count = 0;
  for (const line of header.split(/\r?\n/)) {
    if (!/^(to|cc|bcc)\s*:/i.test(line)) continue;
    count += (line.slice(line.indexOf(':') + 1).match(/[^\s<>",;:]+@[^\s<>",;]+/g) ?? []).length;
  }
  return count;
}

function overBudget(sender: string, budget: RollingBudget, recipients: number, waitMs: number): GraphSendError {
  const limitText = `Exchange Online's daily recipient limit for ${sender} (mail.recipientsPerDay = ${budget.limit} in a rolling 24 hours)`;
  if (!Number.isFinite(waitMs)) {
    return new GraphSendError({
      status: 0,
      code: 'RecipientRateLimit',
      message: `Not sent: the e-mail has ${recipients} recipients, more than ${limitText}; Exchange would refuse it with a non-delivery report. Send it to fewer recipients.`,
      attempts: 0,
      retryable: false,
    });
  }
  const at = new Date(budget.clock.now() + waitMs).toISOString();
  // No room yet: nothing sent, no request made; the delivery port reads heldLocally as a wait, not a failed try.
  return new GraphSendError({
    status: 0,
    code: 'RecipientRateLimit',
    message:
      `Waiting for the daily recipient budget until ${at}: not sent yet, its ${recipients} recipient(s) would go over ${limitText}, ` +
      `and over it Exchange accepts the e-mail and then refuses it with a non-delivery report. It goes then, when the oldest recipients leave the 24 hours. ` +
      `To send more in a day, send fewer e-mails (group alerts) or send as a second mailbox.`,
    attempts: 0,
    retryable: true,
    retryAfterMs: Math.ceil(waitMs),
    heldLocally: true,
  });
}

/** The client with each send counted against the mailbox's recipient budget. */
export function withRecipientBudget(inner: MailClient, budget: RollingBudget, sender: string): MailClient {
  const hold = async <T>(recipients: number, run: () => Promise<T>): Promise<T> => {
    const taken = budget.take(recipients);
    if ('waitMs' in taken) throw overBudget(sender, budget, recipients, taken.waitMs);
    try {
      return await run();
    } catch (err) {
      // Not accepted: Exchange did not count these recipients.
      taken.release();
      throw err;
    }
  };
  return {
    send: (message, options) => {
      const m = options?.prepared ?? prepared(message);
      return hold(messageRecipients(m), () => inner.send(message, m ? { ...options, prepared: m } : options));
    },
    sendMime: (mime, id) => hold(mimeRecipients(mime), () => inner.sendMime(mime, id)),
    sendMimeThroughDraft: (mime, attachments, id, options) => hold(mimeRecipients(mime), () => inner.sendMimeThroughDraft(mime, attachments, id, options)),
    stats: () => inner.stats(),
    close: () => inner.close(),
  };
}
