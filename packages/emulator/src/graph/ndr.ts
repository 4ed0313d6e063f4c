import type { Outgoing, StoredMessage } from './store.js';
import { newInternetMessageId, newItemId } from './store.js';

/**
 * Non-delivery reports as Exchange Online files them in the sender's Inbox, from "Microsoft
 * Outlook" <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@domain> (the system mailbox name
 * seen on Exchange Online NDRs). Sources per reason are in docs/emulator.md (issue 13.7).
 */

/** Why Exchange did not deliver a message it had accepted. */
export type OverLimit =
  /** A directory user without a mailbox (550 5.1.10). */
  | { kind: 'recipient-not-found'; addresses: string[] }
  /** Over the message rate limit (Exchange Online: 30 a minute). */
  | { kind: 'messages-per-minute'; limit: number }
  /** Over the recipient rate limit (Exchange Online: 10,000 in a rolling 24 hours). */
  | { kind: 'recipients-per-day'; limit: number };

/** What the report says: its first paragraph and the diagnostic line ("Remote server returned ..."). */
function wording(reason: OverLimit): { summary: string; diagnostics: string[] } {
  switch (reason.kind) {
    case 'recipient-not-found':
      return {
        summary: "Your message couldn't be delivered. The recipient's email address wasn't found in the recipient's email system (it has no Exchange Online mailbox).",
        diagnostics: reason.addresses.map((a) => `${a}\r\nRemote server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'`),
      };
    case 'recipients-per-day':
      // 5.1.90 and its text as Exchange Online sends them (MicrosoftDocs/OfficeDocs-Exchange#2729).
      return {
        summary: `Your message can't be sent because you've reached your daily limit for message recipients (${reason.limit} in a rolling 24 hours).`,
        diagnostics: ["Remote server returned '550 5.1.90 Your message can't be sent because you've reached your daily limit for message recipients'"],
      };
    case 'messages-per-minute':
      // Microsoft documents a delay for this limit, or a rejection; the NDR is the stricter reading
      // (docs/emulator.md, to confirm). Text: the "submission quota" NDR and Exchange's SMTP answer.
      return {
        summary: `The message can't be submitted because the sender's submission quota was exceeded (${reason.limit} messages a minute).`,
        diagnostics: ["Remote server returned '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException'"],
      };
  }
}

/** The original message's headers, as an NDR quotes them (so a reader finds its x-o365-notify-id). */
function originalHeaders(out: Outgoing): string[] {
  return [
    `From: ${out.from.address}`,
    `To: ${out.fields.toRecipients.map((r) => r.address).join(', ')}`,
    `Subject: ${out.fields.subject}`,
    ...(out.internetMessageId ? [`Message-ID: ${out.internetMessageId}`] : []),
    ...out.fields.internetMessageHeaders.map((h) => `${h.name}: ${h.value}`),
  ];
}

export function nonDeliveryReport(out: Outgoing, senderAddress: string, reason: OverLimit): StoredMessage {
  const now = new Date(out.nowMs).toISOString();
  const domain = senderAddress.split('@')[1] ?? 'contoso.onmicrosoft.com';
  const system = { name: 'Microsoft Outlook', address: `MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@${domain}` };
  const { summary, diagnostics } = wording(reason);
  const content = [summary, ...diagnostics, `Original message headers:\r\n${originalHeaders(out).join('\r\n')}`].join('\r\n\r\n');
  return {
    id: newItemId(),
    folder: 'inbox',
    mailbox: senderAddress,
    internetMessageId: newInternetMessageId(),
    conversationId: newItemId('AAQkAG'),
    createdDateTime: now,
    lastModifiedDateTime: now,
    receivedDateTime: now,
    sentDateTime: now,
    isDraft: false,
    isRead: false,
    from: { ...system },
    sender: { ...system },
    toRecipients: [{ ...out.sender }],
    ccRecipients: [],
    bccRecipients: [],
    replyTo: [],
    subject: `Undeliverable: ${out.fields.subject}`,
    body: { contentType: 'text', content },
    importance: 'normal',
    internetMessageHeaders: [],
    attachments: [],
    origin: { appId: out.appId, via: 'system' },
  };
}
