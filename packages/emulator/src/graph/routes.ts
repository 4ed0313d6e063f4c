import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { publicBaseUrl, type EmulatorContext } from '../context.js';
import type { User } from '../directory.js';
import { authenticate, callerOf, hasAny, PROFILE_PERMISSIONS, requireMailbox, requireMailPermission, resolveTarget, setCaller, type GraphCaller } from './auth.js';
import { cannotConvert, GraphError, sendGraphError, stampRequestIds, TEXT } from './errors.js';
import { bodyBytes, checkDeclaredSize, endpointOf, installGraphErrorHandler, installJsonParsers } from './http.js';
import {
  checkMessageSize,
  checkRecipients,
  distinctRecipients,
  parseFileAttachment,
  parseMessage,
  prop,
  type EmailAddress,
  type MessageFields,
} from './message.js';
import { registerApplicationRoutes } from './applications.js';
import { MimeBody, parseMimeMessage } from './mime-message.js';
import { graphAttachment, graphMessage, userProfile } from './resources.js';
import type { GraphState } from './state.js';
import type { StoredAttachment, StoredMessage } from './store.js';
import { MAX_SESSION_BYTES } from './uploads.js';

/**
 * Graph v1.0 mail routes, each under /me and /users/{id | userPrincipalName}:
 * GET /me, POST sendMail, POST messages (draft), GET messages/{id}, POST messages/{id}/attachments,
 * POST messages/{id}/attachments/createUploadSession, POST messages/{id}/send.
 */

type Params = { userId?: string; messageId?: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Graph matches path segments case-insensitively; register the all-lower-case spelling too. */
function spellings(path: string): string[] {
  const lower = path
    .split('/')
    .map((s) => (s.startsWith(':') ? s : s.toLowerCase()))
    .join('/');
  return lower === path ? [path] : [path, lower];
}

/** OData rejects unknown action parameters. */
function checkParameters(body: Record<string, unknown>, allowed: string[], action: string): void {
  for (const key of Object.keys(body)) {
    if (key.startsWith('@odata.') || allowed.includes(key.toLowerCase())) continue;
    throw new GraphError(400, 'BadRequest', `The parameter '${key.slice(0, 100)}' in the request payload is not a valid parameter for the operation '${action}'.`);
  }
}

function requireBody(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (body === undefined) throw new GraphError(400, 'BadRequest', TEXT.emptyPayload);
  if (body instanceof MimeBody) throw new GraphError(415, 'UnsupportedMediaType', 'The emulator takes MIME (text/plain) only for sendMail and createMessage.');
  if (!isObject(body)) throw new GraphError(400, 'BadRequest', TEXT.invalidJson);
  return body;
}

/** mailparser gives `<id@host>`; the store keeps Graph's internetMessageId form, angle brackets included. */
function normalMessageId(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const bare = id.trim().replace(/^<|>$/g, '');
  return bare.includes('@') && !/[\s<>]/.test(bare) ? `<${bare}>` : undefined;
}

export function registerGraphApi(ctx: EmulatorContext, state: GraphState) {
  const { store, limits, uploads } = state;

  /** Who the message is from: the mailbox itself, or an address it holds Send As on (else ErrorSendAsDenied). */
  function resolveFrom(mailbox: User, requested: EmailAddress | undefined): EmailAddress {
    const owner = { name: mailbox.displayName, address: mailbox.upn };
    if (!requested || requested.address.toLowerCase() === mailbox.upn) return owner;
    const address = requested.address.toLowerCase();
    if (!mailbox.sendAs.includes(address)) throw new GraphError(403, 'ErrorSendAsDenied', TEXT.sendAsDenied);
    const shared = ctx.directory.findUser(address);
    return { name: shared?.displayName ?? requested.name ?? address, address: shared?.upn ?? address };
  }

  /** Resolution, limits and permission of a request to a mailbox, in Graph's order. */
  function mailboxRequest(request: FastifyRequest, permission: 'Mail.Send' | 'Mail.ReadWrite' | 'Mail.Read') {
    const caller = callerOf(request);
    const params = request.params as Params;
    const target = resolveTarget(ctx, caller, params.userId);
    requireMailbox(target);
    limits.admit(request.raw, `${caller.appId}|${target.id}`, bodyBytes(request));
    requireMailPermission(caller, target, permission);
    return { caller, target, userSegment: params.userId ?? target.id };
  }

  function findMessage(target: User, messageId: string | undefined): StoredMessage {
    const message = messageId ? store.findMessage(target, messageId) : undefined;
    if (!message) throw new GraphError(404, 'ErrorItemNotFound', TEXT.itemNotFound);
    return message;
  }

  /** Submits a message: recipients, size, Send As, Exchange's sending limits, then delivery. */
  function submit(
    caller: GraphCaller,
    mailbox: User,
    fields: Omit<MessageFields, 'attachments'>,
    attachments: () => StoredAttachment[],
    sizes: number[],
    options: { saveToSentItems: boolean; via: 'sendMail' | 'draft'; draft?: StoredMessage; internetMessageId?: string },
  ): void {
    checkRecipients(fields);
    checkMessageSize(fields.body.content.length, sizes);
    const from = resolveFrom(mailbox, fields.from);
    const admission = limits.admitMessage(mailbox.id, distinctRecipients(fields).length);
    const over = admission && 'refuse' in admission ? admission.refuse : undefined;
    if (options.draft) store.removeMessage(mailbox, options.draft);
    const { subject, body, toRecipients, ccRecipients, bccRecipients, replyTo, importance, internetMessageHeaders } = fields;
    const outgoing = {
      mailbox,
      from,
      // Send As: no trace of the delegate, sender equals from (Send on Behalf is not emulated).
      sender: from,
      fields: { subject, body, toRecipients, ccRecipients, bccRecipients, replyTo, importance, internetMessageHeaders },
      attachments: over ? [] : attachments(),
      saveToSentItems: options.saveToSentItems,
      nowMs: ctx.clock.now(),
      appId: caller.appId,
      via: options.via,
      draft: options.draft,
      internetMessageId: options.internetMessageId ?? options.draft?.internetMessageId,
    };
    // Over a sending limit, Exchange answers after the 202: the sender gets the NDR (issue 13.7).
    if (over) {
      store.refuseAfterAcceptance(outgoing, over);
      ctx.stats.nonDeliveryReports += 1;
      return;
    }
    // Carried over to a later minute ("delay"): delivered, and counted, when its time comes.
    if (admission && 'delayUntilMs' in admission) {
      store.deliverLater({ ...outgoing, nowMs: admission.delayUntilMs });
      return;
    }
    store.deliver(outgoing);
    ctx.stats.messagesDelivered += 1;
  }

  return async function graphApi(scope: FastifyInstance): Promise<void> {
    installJsonParsers(scope, ctx);
    installGraphErrorHandler(scope, ctx);

    // The front door: ids on every answer, Graph's request-size limit, then the bearer token.
    scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      stampRequestIds(request, reply);
      checkDeclaredSize(ctx, request);
      if (!endpointOf(request)) return;
      setCaller(request, await authenticate(ctx, request.headers.authorization));
    });

    scope.setNotFoundHandler(async (request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split('?')[0]!.replace(/\/+$/, '');
      const segment = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
      const action = ['sendmail', 'send', 'createuploadsession'].includes(segment.toLowerCase());
      const message = action
        ? `The request URI is not valid. Since the segment '${segment}' refers to an action, the only supported HTTP method is POST.`
        : `Resource not found for the segment '${segment}'.`;
      return sendGraphError(request, reply, new GraphError(400, 'BadRequest', message), ctx.clock.now());
    });

    // App registrations (`register`): the same hooks (ids, size limit, bearer token) apply.
    await scope.register(registerApplicationRoutes(ctx));

    const route = (method: 'GET' | 'POST' | 'DELETE', path: string, endpoint: string, handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) => {
      for (const base of ['/me', '/users/:userId']) {
        for (const url of spellings(`${base}${path}`)) scope.route({ method, url, config: { endpoint }, handler });
      }
    };

    for (const url of spellings('/me')) {
      scope.get(url, { config: { endpoint: 'graph.me' } }, async (request) => {
        const caller = callerOf(request);
        if (caller.kind === 'app' || !caller.user) throw new GraphError(400, 'BadRequest', TEXT.meAppOnly);
        if (!hasAny(caller, PROFILE_PERMISSIONS)) throw new GraphError(403, 'Authorization_RequestDenied', TEXT.insufficientPrivileges);
        return userProfile(caller.user, publicBaseUrl(request));
      });
    }

    route('POST', '/sendMail', 'graph.sendMail', async (request, reply) => {
      const { caller, target } = mailboxRequest(request, 'Mail.Send');
      if (request.body instanceof MimeBody) {
        const { attachments, internetMessageId, ...fields } = await parseMimeMessage(request.body);
        const at = ctx.clock.now();
        submit(caller, target, fields, () => attachments.map((a) => store.attachment(a, at)), attachments.map((a) => a.content.length), {
          saveToSentItems: true,
          via: 'sendMail',
          internetMessageId: normalMessageId(internetMessageId),
        });
        return reply.code(202).send();
      }
      const body = requireBody(request);
      checkParameters(body, ['message', 'savetosentitems'], 'sendMail');
      const messageJson = prop(body, 'message');
      if (messageJson === undefined || messageJson === null) {
        throw new GraphError(400, 'BadRequest', "The parameter 'Message' in the request payload is missing.");
      }
      // Graph's own user-sendmail examples send `"saveToSentItems": "false"` (a string): OData reads
      // "true"/"false" as Edm.Boolean, so both forms are accepted (issue 13.12).
      const rawSave = prop(body, 'saveToSentItems');
      const save = typeof rawSave === 'string' && /^(true|false)$/i.test(rawSave) ? rawSave.toLowerCase() === 'true' : rawSave;
      if (save !== undefined && save !== null && typeof save !== 'boolean') throw cannotConvert(save, 'Edm.Boolean');
      const { attachments, ...fields } = parseMessage(messageJson);
      const now = ctx.clock.now();
      submit(caller, target, fields, () => attachments.map((a) => store.attachment(a, now)), attachments.map((a) => a.content.length), {
        saveToSentItems: save !== false,
        via: 'sendMail',
      });
      return reply.code(202).send();
    });

    route('POST', '/messages', 'graph.createMessage', async (request, reply) => {
      const { caller, target, userSegment } = mailboxRequest(request, 'Mail.ReadWrite');
      // createMessage takes JSON or MIME (text/plain, base64): user-post-messages, "Create a draft of
      // a new message in either JSON or MIME format".
      const mime = request.body instanceof MimeBody ? await parseMimeMessage(request.body) : undefined;
      const fields = mime ?? parseMessage(requireBody(request));
      checkMessageSize(fields.body.content.length, fields.attachments.map((a) => a.content.length));
      const draft = store.createDraft(target, fields, ctx.clock.now(), caller.appId, normalMessageId(mime?.internetMessageId));
      return reply.code(201).send(graphMessage(draft, publicBaseUrl(request), userSegment));
    });

    route('GET', '/messages/:messageId', 'graph.getMessage', async (request) => {
      const { target, userSegment } = mailboxRequest(request, 'Mail.Read');
      const message = findMessage(target, (request.params as Params).messageId);
      return graphMessage(message, publicBaseUrl(request), userSegment);
    });

    // DELETE moves the message to Deleted Items in Exchange; the emulator simply drops it.
    route('DELETE', '/messages/:messageId', 'graph.deleteMessage', async (request, reply) => {
      const { target } = mailboxRequest(request, 'Mail.ReadWrite');
      store.removeMessage(target, findMessage(target, (request.params as Params).messageId));
      return reply.code(204).send();
    });

    route('POST', '/messages/:messageId/attachments', 'graph.addAttachment', async (request, reply) => {
      const { target, userSegment } = mailboxRequest(request, 'Mail.ReadWrite');
      const message = findMessage(target, (request.params as Params).messageId);
      const attachment = parseFileAttachment(requireBody(request));
      checkMessageSize(message.body.content.length, [...message.attachments.map((a) => a.size), attachment.content.length]);
      const now = ctx.clock.now();
      const stored = store.attachment(attachment, now);
      message.attachments.push(stored);
      message.lastModifiedDateTime = new Date(now).toISOString();
      return reply.code(201).send(graphAttachment(stored, publicBaseUrl(request), userSegment, message.id, true));
    });

    route('POST', '/messages/:messageId/attachments/createUploadSession', 'graph.createUploadSession', async (request, reply) => {
      const { caller, target } = mailboxRequest(request, 'Mail.ReadWrite');
      const message = findMessage(target, (request.params as Params).messageId);
      const body = requireBody(request);
      checkParameters(body, ['attachmentitem'], 'createUploadSession');
      const item = prop(body, 'AttachmentItem');
      if (!isObject(item)) throw new GraphError(400, 'BadRequest', "The parameter 'AttachmentItem' in the request payload is missing.");
      const type = prop(item, 'attachmentType');
      if (typeof type !== 'string' || type.toLowerCase() !== 'file') throw cannotConvert(type ?? null, 'microsoft.graph.attachmentType');
      const name = prop(item, 'name');
      const size = prop(item, 'size');
      const contentType = prop(item, 'contentType');
      const isInline = prop(item, 'isInline');
      const contentId = prop(item, 'contentId');
      if (typeof name !== 'string' || name === '') throw new GraphError(400, 'ErrorInvalidRequest', 'The attachment name is required.');
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) throw cannotConvert(size ?? null, 'Edm.Int64');
      if (contentType !== undefined && contentType !== null && typeof contentType !== 'string') throw cannotConvert(contentType, 'Edm.String');
      if (isInline !== undefined && isInline !== null && typeof isInline !== 'boolean') throw cannotConvert(isInline, 'Edm.Boolean');
      if (contentId !== undefined && contentId !== null && typeof contentId !== 'string') throw cannotConvert(contentId, 'Edm.String');
      // The code from Microsoft's page (outlook-large-attachments, "Errors"); the text is ours.
      if (size < ctx.limits.minUploadSessionBytes) {
        throw new GraphError(
          400,
          'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize',
          `Attachment size must be at least ${ctx.limits.minUploadSessionBytes} bytes to use an upload session. Attach smaller files with a single POST to the attachments collection.`,
        );
      }
      if (size > MAX_SESSION_BYTES) throw new GraphError(400, 'ErrorAttachmentSizeLimitExceeded', 'The attachment exceeds the maximum supported size of 150 MB.');
      checkMessageSize(message.body.content.length, [...message.attachments.map((a) => a.size), size]);
      const now = ctx.clock.now();
      const session = uploads.create(
        {
          appId: caller.appId,
          tenantId: target.tenantId,
          mailboxUserId: target.id,
          messageId: message.id,
          name,
          size,
          contentType: typeof contentType === 'string' ? contentType : 'application/octet-stream',
          isInline: isInline === true,
          contentId: typeof contentId === 'string' ? contentId : undefined,
        },
        now,
      );
      const base = publicBaseUrl(request);
      return reply.code(201).send({
        '@odata.context': `${base}/v1.0/$metadata#microsoft.graph.uploadSession`,
        uploadUrl: `${base}/api/v2.0/Users('${target.id}@${target.tenantId}')/Messages('${message.id}')/AttachmentSessions('${session.id}')?authtoken=${session.authToken}`,
        expirationDateTime: new Date(session.expiresAtMs).toISOString(),
        nextExpectedRanges: ['0-'],
      });
    });

    route('POST', '/messages/:messageId/send', 'graph.sendDraft', async (request, reply) => {
      const { caller, target } = mailboxRequest(request, 'Mail.Send');
      const draft = findMessage(target, (request.params as Params).messageId);
      if (!draft.isDraft) throw new GraphError(404, 'ErrorItemNotFound', TEXT.itemNotFound);
      submit(caller, target, draft, () => draft.attachments, draft.attachments.map((a) => a.size), {
        saveToSentItems: true,
        via: 'draft',
        draft,
      });
      return reply.code(202).send();
    });
  };
}
