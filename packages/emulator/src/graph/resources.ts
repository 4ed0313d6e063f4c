import type { User } from '../directory.js';
import type { EmailAddress } from './message.js';
import type { StoredAttachment, StoredMessage } from './store.js';

/** Graph's JSON shapes of the resources the emulator returns (user, message, fileAttachment). */

/** Graph writes timestamps without milliseconds. */
function graphTime(iso: string): string {
  return iso.replace(/\.\d{3}Z$/, 'Z');
}

function graphRecipient(a: EmailAddress): { emailAddress: { name: string; address: string } } {
  return { emailAddress: { name: a.name ?? a.address, address: a.address } };
}

export function userProfile(user: User, base: string) {
  return {
    '@odata.context': `${base}/v1.0/$metadata#users/$entity`,
    businessPhones: [],
    displayName: user.displayName,
    givenName: null,
    jobTitle: null,
    // Entra sets `mail` for users with an Exchange mailbox.
    mail: user.hasMailbox ? user.upn : null,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: null,
    userPrincipalName: user.upn,
    id: user.id,
  };
}

function bodyPreview(body: StoredMessage['body']): string {
  const text = body.contentType === 'html' ? body.content.replace(/<[^>]*>/g, ' ') : body.content;
  return text.replace(/\s+/g, ' ').trim().slice(0, 255);
}

const FOLDER_IDS: Record<StoredMessage['folder'], string> = {
  inbox: 'AAMkAGInbox',
  sentitems: 'AAMkAGSentItems',
  drafts: 'AAMkAGDrafts',
};

export function graphMessage(m: StoredMessage, base: string, userSegment: string) {
  return {
    '@odata.context': `${base}/v1.0/$metadata#users('${encodeURIComponent(userSegment)}')/messages/$entity`,
    '@odata.etag': `W/"${Buffer.from(m.lastModifiedDateTime).toString('base64')}"`,
    id: m.id,
    createdDateTime: graphTime(m.createdDateTime),
    lastModifiedDateTime: graphTime(m.lastModifiedDateTime),
    changeKey: Buffer.from(m.lastModifiedDateTime).toString('base64'),
    categories: [],
    receivedDateTime: graphTime(m.receivedDateTime),
    sentDateTime: m.sentDateTime ? graphTime(m.sentDateTime) : null,
    hasAttachments: m.attachments.some((a) => !a.isInline),
    internetMessageId: m.internetMessageId,
    subject: m.subject,
    bodyPreview: bodyPreview(m.body),
    importance: m.importance,
    parentFolderId: FOLDER_IDS[m.folder],
    conversationId: m.conversationId,
    isDeliveryReceiptRequested: false,
    isReadReceiptRequested: false,
    isRead: m.isRead,
    isDraft: m.isDraft,
    webLink: `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(m.id)}&exvsurl=1&viewmodel=ReadMessageItem`,
    inferenceClassification: 'focused',
    body: { contentType: m.body.contentType, content: m.body.content },
    sender: m.sender ? graphRecipient(m.sender) : null,
    from: m.from ? graphRecipient(m.from) : null,
    toRecipients: m.toRecipients.map(graphRecipient),
    ccRecipients: m.ccRecipients.map(graphRecipient),
    bccRecipients: m.bccRecipients.map(graphRecipient),
    replyTo: m.replyTo.map(graphRecipient),
    flag: { flagStatus: 'notFlagged' },
  };
}

export function graphAttachment(a: StoredAttachment, base: string, userSegment: string, messageId: string, withContent: boolean) {
  return {
    '@odata.context': `${base}/v1.0/$metadata#users('${encodeURIComponent(userSegment)}')/messages('${encodeURIComponent(messageId)}')/attachments/$entity`,
    '@odata.type': '#microsoft.graph.fileAttachment',
    '@odata.mediaContentType': a.contentType,
    id: a.id,
    lastModifiedDateTime: graphTime(a.lastModifiedDateTime),
    name: a.name,
    contentType: a.contentType,
    size: a.size,
    isInline: a.isInline,
    contentId: a.contentId ?? null,
    contentLocation: null,
    ...(withContent && a.blob.content ? { contentBytes: a.blob.content.toString('base64') } : {}),
  };
}
