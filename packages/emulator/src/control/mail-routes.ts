import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../context.js';
import { graphStateFor } from '../graph/index.js';
import { PAGE_CSP, renderMailboxPage } from '../graph/mailbox-page.js';
import { MAILBOX_SCRIPT, MAILBOX_SCRIPT_PATH } from '../graph/mailbox-script.js';
import type { EmailAddress } from '../graph/message.js';
import { FOLDERS, type FolderName, type Mailbox, type StoredMessage } from '../graph/store.js';

/**
 * Reading the emulated mailboxes (ours, not Microsoft's):
 *   GET    /_emulator/mailboxes                      every mailbox with message counts
 *   GET    /_emulator/mailboxes/{address}/messages   ?folder=inbox|sentitems|drafts|all, ?includeContent=1
 *   DELETE /_emulator/mailboxes[/{address}]          empty all (or one) mailboxes
 *   GET    /_emulator/messages?internetMessageId=<id>|notifyId=<x-o365-notify-id>[&header=Name:value]
 *          which mailboxes hold a copy of one message (recipients' inboxes, the sender's Sent Items),
 *          so a test proves who received it (the SMTP relay's envelope rule)
 *   GET    /_emulator/                               the page for people
 */

function recipient(a: EmailAddress): { name: string | null; address: string } {
  return { name: a.name ?? null, address: a.address };
}

/** One message as the control API shows it: Graph's field names, recipients flattened to {name, address}. */
export function controlMessage(m: StoredMessage, includeContent: boolean) {
  return {
    id: m.id,
    mailbox: m.mailbox,
    folder: m.folder,
    internetMessageId: m.internetMessageId,
    receivedDateTime: m.receivedDateTime,
    sentDateTime: m.sentDateTime ?? null,
    isDraft: m.isDraft,
    from: m.from ? recipient(m.from) : null,
    sender: m.sender ? recipient(m.sender) : null,
    toRecipients: m.toRecipients.map(recipient),
    ccRecipients: m.ccRecipients.map(recipient),
    bccRecipients: m.bccRecipients.map(recipient),
    replyTo: m.replyTo.map(recipient),
    subject: m.subject,
    importance: m.importance,
    body: { contentType: m.body.contentType, content: m.body.content },
    internetMessageHeaders: m.internetMessageHeaders.map((h) => ({ name: h.name, value: h.value })),
    hasAttachments: m.attachments.length > 0,
    attachments: m.attachments.map((a) => ({
      id: a.id,
      name: a.name,
      contentType: a.contentType,
      size: a.size,
      isInline: a.isInline,
      contentId: a.contentId ?? null,
      sha256: a.blob.sha256,
      /** False once the bytes were dropped to keep the emulator's memory bounded. */
      contentAvailable: a.blob.content !== undefined,
      ...(includeContent && a.blob.content ? { contentBytes: a.blob.content.toString('base64') } : {}),
    })),
    appId: m.origin.appId,
    via: m.origin.via,
  };
}

/** The filter of GET /_emulator/messages, or the problem with the query. */
function messageMatcher(query: { internetMessageId?: string; notifyId?: string; header?: string }): ((m: StoredMessage) => boolean) | string {
  const tests: ((m: StoredMessage) => boolean)[] = [];
  if (query.internetMessageId) {
    const id = query.internetMessageId.trim().replace(/^<|>$/g, '').toLowerCase();
    tests.push((m) => m.internetMessageId.replace(/^<|>$/g, '').toLowerCase() === id);
  }
  const headers: [string, string][] = [];
  if (query.notifyId) headers.push(['x-o365-notify-id', query.notifyId]);
  if (query.header) {
    const colon = query.header.indexOf(':');
    if (colon <= 0) return 'header: Name:value, e.g. X-Alert-Id:42';
    headers.push([query.header.slice(0, colon).trim().toLowerCase(), query.header.slice(colon + 1).trim()]);
  }
  for (const [name, value] of headers) {
    tests.push((m) => m.internetMessageHeaders.some((h) => h.name.toLowerCase() === name && h.value.trim() === value));
  }
  if (tests.length === 0) return 'give internetMessageId, notifyId (the x-o365-notify-id header) or header=Name:value';
  return (m) => tests.every((t) => t(m));
}

function summary(box: Mailbox) {
  return {
    address: box.address,
    displayName: box.displayName ?? null,
    userId: box.userId ?? null,
    external: box.external,
    counts: { inbox: box.folders.inbox.length, sentitems: box.folders.sentitems.length, drafts: box.folders.drafts.length },
  };
}

export async function registerMailControlRoutes(app: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const state = graphStateFor(ctx);

  app.get('/_emulator/mailboxes', { config: { endpoint: 'control.mailboxes' } }, async () => state.store.list().map(summary));

  app.get('/_emulator/mailboxes/:address/messages', { config: { endpoint: 'control.mailboxes' } }, async (request, reply) => {
    const { address } = request.params as { address: string };
    const query = request.query as { folder?: string; includeContent?: string };
    const box = state.store.find(address);
    if (!box) {
      const user = ctx.directory.findUser(address);
      const why = user ? `${user.upn} has no mailbox` : `no user and no external address "${address}" received mail`;
      return reply.code(404).send({ error: `unknown mailbox: ${why}` });
    }
    const folder = query.folder ?? 'inbox,sentitems';
    const wanted: FolderName[] = folder === 'all' ? FOLDERS : (folder.split(',') as FolderName[]);
    if (wanted.some((f) => !FOLDERS.includes(f))) {
      return reply.code(400).send({ error: `folder: one of ${FOLDERS.join(', ')}, a comma-separated list, or all` });
    }
    const includeContent = query.includeContent === '1' || query.includeContent === 'true';
    return wanted
      .flatMap((f) => box.folders[f])
      .sort((a, b) => a.receivedDateTime.localeCompare(b.receivedDateTime))
      .map((m) => controlMessage(m, includeContent));
  });

  app.get('/_emulator/messages', { config: { endpoint: 'control.mailboxes' } }, async (request, reply) => {
    const query = request.query as { internetMessageId?: string; notifyId?: string; header?: string };
    const match = messageMatcher(query);
    if (typeof match === 'string') return reply.code(400).send({ error: match });
    const copies = state.store
      .list()
      .flatMap((box) => FOLDERS.flatMap((f) => box.folders[f]))
      .filter(match)
      .sort((a, b) => a.mailbox.localeCompare(b.mailbox) || a.folder.localeCompare(b.folder));
    const inboxes = copies.filter((m) => m.folder === 'inbox');
    return {
      count: copies.length,
      /** Every mailbox whose Inbox received a copy, once per copy (a duplicate shows twice). */
      receivedBy: inboxes.map((m) => m.mailbox),
      sentBy: copies.filter((m) => m.folder === 'sentitems').map((m) => m.mailbox),
      copies: copies.map((m) => ({ ...controlMessage(m, false), body: undefined })),
    };
  });

  app.delete('/_emulator/mailboxes', { config: { endpoint: 'control.mailboxes' } }, async (_request, reply) => {
    state.store.clear();
    state.uploads.clear();
    state.limits.reset();
    return reply.code(204).send();
  });

  app.delete('/_emulator/mailboxes/:address', { config: { endpoint: 'control.mailboxes' } }, async (request, reply) => {
    const box = state.store.find((request.params as { address: string }).address);
    if (!box) return reply.code(404).send({ error: 'unknown mailbox' });
    state.store.clearMailbox(box);
    return reply.code(204).send();
  });

  app.get('/_emulator', { config: { endpoint: 'control.page' } }, async (_request, reply) => reply.redirect('/_emulator/'));

  app.get(MAILBOX_SCRIPT_PATH, { config: { endpoint: 'control.page' } }, async (_request, reply) =>
    reply.header('X-Content-Type-Options', 'nosniff').header('Cache-Control', 'no-cache').type('text/javascript; charset=utf-8').send(MAILBOX_SCRIPT),
  );

  app.get('/_emulator/', { config: { endpoint: 'control.page' } }, async (request, reply) => {
    const selectedAddress = (request.query as { mailbox?: string }).mailbox;
    const mailboxes = state.store.list();
    const selected = selectedAddress ? mailboxes.find((b) => b.address === selectedAddress.toLowerCase()) : undefined;
    const html = renderMailboxPage({
      mailboxes,
      selected,
      nowIso: new Date(ctx.clock.now()).toISOString(),
      stats: { messagesDelivered: ctx.stats.messagesDelivered, throttled429: ctx.stats.throttled429, nonDeliveryReports: ctx.stats.nonDeliveryReports },
    });
    return reply
      .header('Content-Security-Policy', PAGE_CSP)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'no-referrer')
      .header('Cache-Control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(html);
  });
}
