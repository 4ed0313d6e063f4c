import type { DiagnoseContext } from '../diagnose/index.js';
import { systemClock, type Clock } from './clock.js';
import { diagnoseFailure, mailReadWriteDiagnosis } from './diagnosis.js';
import { GraphSendError } from './errors.js';
import { createHttpsTransport, type HttpTransport } from './http.js';
import { prepareMessage, type MailMessage, type PreparedAttachment, type PreparedMessage } from './message.js';
import { appConcurrencyLimiter, DEFAULT_PACING, MailboxPacer, mailboxRecipientBudget, type PacingOptions } from './pacing.js';
import type { SharedMailboxPacing } from './pacing-port.js';
import { withRecipientBudget } from './recipient-budget.js';
import { fileAttachment, graphMessage, sendMailBody } from './payload.js';
import { GraphRequester, newTrace, type ClientCounters, type GraphCall, type RetryOwner, type SendTrace } from './requester.js';
import { DEFAULT_RETRY, tokenFailureRetry, type RetryOptions } from './retry.js';
import { jsonField } from './json-field.js';
import { describeAttachments, dropUntilInline, megabytes, mimeFits } from './request-fit.js';
import { TokenSource } from './token-source.js';
import { grantedPermissions, type TokenProvider } from './token-provider.js';
import { uploadAttachment, type UploadSessions } from './upload-session.js';
import { checkChunkBytes, DEFAULT_CHUNK_BYTES, needsUploadSession, planDelivery, type DeliveryPlan } from './upload-plan.js';

/**
 * The mail client: one message model in, Graph's 202 out. Small messages go in one sendMail;
 * larger ones through a draft, upload sessions and a send. Every request is paced per mailbox
 * and retried by the rules in retry.ts; every failure is a GraphSendError with a diagnosis.
 */

export type SendMode = 'delegated' | 'app-only';

export interface MailClientOptions {
  /** `https://graph.microsoft.com/v1.0`, or the emulator's `{url}/v1.0`. */
  baseUrl: string;
  /** An extra CA to trust (PEM) - the emulator's; the system's roots stay trusted. */
  ca?: string | Buffer;
  tokenProvider: TokenProvider;
  /** Delegated: `POST /me/sendMail`; app-only: `POST /users/{sender}/sendMail`. */
  mode: SendMode;
  /** App-only: the mailbox that sends (UPN or object id). */
  sender?: string;
  pacing?: PacingOptions;
  /**
   * The Client ID: the mail clients of one app in this process share Graph's concurrency limit,
   * which counts per app whichever mailbox (appConcurrencyLimiter). Without it, per mailbox.
   */
  appId?: string;
  /**
   * Several instances on one database (issue 16): slots and message turns also taken from this
   * pacing, shared by the instances (src/store/postgres/coordination). Without it, this process's alone.
   */
  sharedPacing?: SharedMailboxPacing;
  retry?: Partial<RetryOptions>;
  /**
   * `internal` (default): the client waits and retries as retry.ts decides (direct sends).
   * `caller`: one try per request; a retryable failure comes back at once with Graph's
   * Retry-After, for the outbox worker, which owns the retries of queued e-mails.
   */
  retries?: RetryOwner;
  /** Per HTTP request (default 60 s). */
  requestTimeoutMs?: number;
  /** Without Mail.ReadWrite: send without the attachments that need an upload session, and say so in the body. */
  dropOversizeAttachments?: boolean;
  /** Upload range size: a multiple of 320 KiB under 4 MiB (default 3.75 MiB). */
  uploadChunkBytes?: number;
  /** Lets diagnoses name the tenant, app and authority (admin-consent URL). */
  diagnoseContext?: DiagnoseContext;
  /** For tests: time, randomness and the HTTP layer. */
  clock?: Clock;
  random?: () => number;
  transport?: HttpTransport;
}

/** What Graph's acceptance of one message looked like. */
export interface GraphSendReport {
  /** Our `x-o365-notify-id` (Graph's 202 carries no message id). */
  messageId: string;
  /** HTTP attempts of the request Graph accepted the message with. */
  attempts: number;
  /** Graph's `request-id` of every answer while sending this message. */
  requestIds: string[];
  path: 'sendMail' | 'draft';
  /** Attachments left out (dropOversizeAttachments). */
  droppedAttachments: string[];
  requests: number;
  timings: { totalMs: number; httpMs: number; pacingWaitMs: number; retryWaitMs: number };
}

export interface MailClientStats extends ClientCounters {
  /** Most requests seen in flight at once, per mailbox. */
  peakConcurrency: Record<string, number>;
  /** Requests waiting now for their turn in the 10-minute request budget, per mailbox. */
  waitingForRequestBudget: Record<string, number>;
}

export interface SendOptions {
  /** Aborts the HTTP request under way (and any wait); the send rejects with GraphSendError `Cancelled`. */
  signal?: AbortSignal;
  /**
   * `message` already checked and cleaned by prepareMessage (the recipient budget counts from it):
   * used instead of preparing it again. Must be prepareMessage(message) itself.
   */
  prepared?: PreparedMessage;
}

export interface MailClient {
  /** Resolves once Graph accepted the message (202); rejects with GraphSendError. */
  send(message: MailMessage, options?: SendOptions): Promise<GraphSendReport>;
  /**
   * A ready RFC 5322 message (the SMTP relay's), sent as Graph's "sendMail in MIME format": the
   * base64 of the MIME as a text/plain body; Graph takes the recipients from its To, Cc and Bcc.
   * https://learn.microsoft.com/en-us/graph/api/user-sendmail#example-4-send-a-new-message-using-mime-format
   * Only while the base64 fits Graph's 4 MB request limit (mimeFits); larger ones go through send().
   */
  sendMime(mime: Buffer, id: string): Promise<GraphSendReport>;
  /**
   * A MIME message over the request limit, its largest parts taken out (`mime` must fit): a draft
   * from the MIME (user-post-messages, "JSON or MIME format"), so the text/HTML alternatives and
   * the inline images left in it stay as the sender wrote them; the parts go on as attachments
   * (upload sessions from 3 MB, inline ones with isInline and contentId); then the draft is sent.
   * Needs Mail.ReadWrite, as send()'s draft path.
   */
  sendMimeThroughDraft(mime: Buffer, attachments: PreparedAttachment[], id: string, options?: SendOptions): Promise<GraphSendReport>;
  stats(): MailClientStats;
  /** Closes kept-alive connections. */
  close(): void;
}

export function createMailClient(options: MailClientOptions): MailClient {
  const client = new GraphMailClient(options);
  // The daily recipient budget is the mailbox's, shared by every client of this process.
  const sender = options.mode === 'app-only' ? (options.sender ?? '') : 'the signed-in mailbox';
  const key = `${options.baseUrl}|${options.appId?.toLowerCase() ?? ''}|${options.mode === 'app-only' ? sender.toLowerCase() : 'me'}`;
  const budget = mailboxRecipientBudget(key, options.pacing?.recipientsPerDay ?? DEFAULT_PACING.recipientsPerDay, options.clock ?? systemClock, options.pacing?.recipientHistory);
  return withRecipientBudget(client, budget, sender);
}

class GraphMailClient implements MailClient {
  private readonly clock: Clock;
  private readonly transport: HttpTransport;
  private readonly tokens: TokenSource;
  private readonly requester: GraphRequester;
  private readonly counters: ClientCounters = { requests: 0, retries: 0, throttled: 0, serverErrors: 0, networkErrors: 0, forcedTokenRefreshes: 0 };
  private readonly pacers = new Map<string, MailboxPacer>();
  private readonly mailboxUrl: string;
  private readonly mailboxKey: string;
  private readonly chunkBytes: number;

  constructor(private readonly options: MailClientOptions) {
    const base = new URL(options.baseUrl);
    if (base.protocol !== 'https:') throw new Error(`createMailClient: baseUrl must be https (got ${base.protocol})`);
    const baseUrl = options.baseUrl.replace(/\/+$/, '');
    if (options.mode === 'app-only') {
      if (!options.sender) throw new Error('createMailClient: app-only sending needs the sender mailbox (sender: UPN or object id)');
      this.mailboxUrl = `${baseUrl}/users/${encodeURIComponent(options.sender)}`;
      this.mailboxKey = options.sender.toLowerCase();
    } else if (options.mode === 'delegated') {
      this.mailboxUrl = `${baseUrl}/me`;
      this.mailboxKey = 'me';
    } else {
      throw new Error(`createMailClient: mode must be "delegated" or "app-only"`);
    }
    this.chunkBytes = options.uploadChunkBytes ?? DEFAULT_CHUNK_BYTES;
    checkChunkBytes(this.chunkBytes);
    this.clock = options.clock ?? systemClock;
    this.transport = options.transport ?? createHttpsTransport({ ca: options.ca });
    this.tokens = new TokenSource(options.tokenProvider);
    this.requester = new GraphRequester({
      transport: this.transport,
      clock: this.clock,
      tokens: this.tokens,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      random: options.random ?? Math.random,
      requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
      counters: this.counters,
      diagnoseContext: options.diagnoseContext ?? {},
      retries: options.retries ?? 'internal',
    });
  }

  stats(): MailClientStats {
    const peakConcurrency: Record<string, number> = {};
    const waitingForRequestBudget: Record<string, number> = {};
    for (const [key, pacer] of this.pacers) {
      peakConcurrency[key] = pacer.slots.peak;
      waitingForRequestBudget[key] = pacer.requests.waiting;
    }
    return { ...this.counters, peakConcurrency, waitingForRequestBudget };
  }

  close(): void {
    this.transport.close();
  }

  private pacer(): MailboxPacer {
    let pacer = this.pacers.get(this.mailboxKey);
    if (!pacer) {
      const { appId, pacing } = this.options;
      const appKey = appId ? `${this.options.baseUrl}|${appId.toLowerCase()}` : undefined;
      const shared = appKey ? appConcurrencyLimiter(appKey, pacing?.concurrency ?? DEFAULT_PACING.concurrency) : undefined;
      const rateKey = `${this.options.baseUrl}|${appId?.toLowerCase() ?? ''}|${this.mailboxKey}`;
      const acrossInstances = this.options.sharedPacing ? { pacing: this.options.sharedPacing, slotKey: appKey ?? rateKey, rateKey } : undefined;
      pacer = new MailboxPacer(this.clock, pacing, shared, acrossInstances);
      this.pacers.set(this.mailboxKey, pacer);
    }
    return pacer;
  }

  async send(message: MailMessage, options: SendOptions = {}): Promise<GraphSendReport> {
    const trace = newTrace(this.clock.now(), options.signal);
    let msg: PreparedMessage;
    let plan: DeliveryPlan;
    try {
      msg = options.prepared ?? prepareMessage(message);
      plan = planDelivery(msg);
    } catch (err) {
      throw withDiagnosis(err, this.options.diagnoseContext, trace);
    }

    let dropped: string[] = [];
    if (plan.kind === 'draft') {
      const ready = await this.checkDraftPermission(msg, plan, trace);
      if (ready) ({ msg, plan, dropped } = ready);
    }

    try {
      const outcome = plan.kind === 'inline' ? await this.sendInline(msg, plan.attachments, trace) : await this.sendThroughDraft(msg, plan, trace);
      const totalMs = this.clock.now() - trace.startedAt;
      return {
        messageId: msg.id,
        attempts: outcome.attempts,
        requestIds: trace.requestIds,
        path: plan.kind === 'inline' ? 'sendMail' : 'draft',
        droppedAttachments: dropped,
        requests: trace.requests,
        timings: { totalMs, httpMs: trace.httpMs, pacingWaitMs: trace.pacingWaitMs, retryWaitMs: trace.retryWaitMs },
      };
    } catch (err) {
      if (err instanceof GraphSendError && err.code === 'ErrorSendAsDenied' && msg.from) {
        err.message = `Graph refused to send as ${msg.from.address}: the account that signed in has no Send As right on that mailbox. ${err.message}`;
      }
      throw withDiagnosis(err, this.options.diagnoseContext, trace);
    }
  }

  async sendMime(mime: Buffer, id: string): Promise<GraphSendReport> {
    const trace = newTrace(this.clock.now());
    const body = Buffer.from(mime.toString('base64'), 'latin1');
    if (!mimeFits(mime.length)) {
      throw new GraphSendError({ status: 0, code: 'MimeTooLarge', message: `the MIME message is ${megabytes(body.length)} as base64, over Graph's 4 MB request limit`, attempts: 0, retryable: false });
    }
    try {
      const call = this.call('sendMail (MIME)', 'POST', '/sendMail', undefined, { body, contentType: 'text/plain', countsAsMessage: true, okStatuses: [202] });
      const { attempts } = await this.requester.execute(call, this.pacer(), trace);
      const totalMs = this.clock.now() - trace.startedAt;
      return {
        messageId: id,
        attempts,
        requestIds: trace.requestIds,
        path: 'sendMail',
        droppedAttachments: [],
        requests: trace.requests,
        timings: { totalMs, httpMs: trace.httpMs, pacingWaitMs: trace.pacingWaitMs, retryWaitMs: trace.retryWaitMs },
      };
    } catch (err) {
      throw withDiagnosis(err, this.options.diagnoseContext, trace);
    }
  }

  /**
   * The draft path needs Mail.ReadWrite. Checked on the token before anything is sent: fail with
   * the permission to add, or (by option) fall back to sendMail without the big attachments.
   */
  private async checkDraftPermission(
    msg: PreparedMessage,
    plan: Extract<DeliveryPlan, { kind: 'draft' }>,
    trace: SendTrace,
  ): Promise<{ msg: PreparedMessage; plan: DeliveryPlan; dropped: string[] } | undefined> {
    const missing = await this.withoutReadWrite();
    if (!missing) return undefined;
    if (this.options.dropOversizeAttachments) {
      const reduced = dropUntilInline(msg);
      return { ...reduced, plan: planDelivery(reduced.msg) };
    }
    throw this.readWriteRequired(plan.uploadedAttachments.length > 0 ? plan.uploadedAttachments : msg.attachments, missing.account, trace);
  }

  /** Undefined when the token carries Mail.ReadWrite (or does not say); else whose token it is. */
  private async withoutReadWrite(): Promise<{ account: string | undefined } | undefined> {
    let token;
    try {
      token = (await this.tokens.get()).token;
    } catch (err) {
      const e = err as Error & { code?: string };
      const error = new GraphSendError({
        status: 0,
        code: 'TokenAcquisitionFailed',
        message: `no access token could be obtained: ${e?.message ?? String(err)}`,
        attempts: 0,
        ...tokenFailureRetry(err),
        cause: err,
      });
      error.diagnosis = diagnoseFailure(error, { cause: err }, this.options.diagnoseContext);
      throw error;
    }
    const permissions = grantedPermissions(token);
    if (!permissions || permissions.has('mail.readwrite')) return undefined;
    return { account: token.account };
  }

  private readWriteRequired(attachments: PreparedAttachment[], account: string | undefined, trace: SendTrace): GraphSendError {
    const names = describeAttachments(attachments);
    return new GraphSendError({
      status: 0,
      code: 'MailReadWriteRequired',
      message: `Not sent: with ${names} the request is over Graph's 4 MB limit, so it must go through a draft and an upload session, which needs the Microsoft Graph permission Mail.ReadWrite; the access token${account ? ` of ${account}` : ''} does not carry it.`,
      attempts: 0,
      requestIds: trace.requestIds,
      retryable: false,
      diagnosis: mailReadWriteDiagnosis(this.options.mode, names),
    });
  }

  async sendMimeThroughDraft(mime: Buffer, attachments: PreparedAttachment[], id: string, options: SendOptions = {}): Promise<GraphSendReport> {
    const trace = newTrace(this.clock.now(), options.signal);
    const missing = await this.withoutReadWrite();
    if (missing && this.options.dropOversizeAttachments) {
      // What fits one request goes out; the parts taken out are reported as left out.
      return { ...(await this.sendMime(mime, id)), droppedAttachments: attachments.map((a) => a.name) };
    }
    try {
      if (missing) throw this.readWriteRequired(attachments, missing.account, trace);
      if (!mimeFits(mime.length)) {
        throw new GraphSendError({ status: 0, code: 'MimeTooLarge', message: `the MIME message without its attachments is ${megabytes(mime.length)}, over Graph's 4 MB request limit`, attempts: 0, retryable: false });
      }
      const body = Buffer.from(mime.toString('base64'), 'latin1');
      const posted = attachments.filter((a) => !needsUploadSession(a));
      const uploaded = attachments.filter((a) => needsUploadSession(a));
      const created = await this.createDraft(this.call('create the draft (MIME)', 'POST', '/messages', undefined, { body, contentType: 'text/plain', okStatuses: [201] }), uploaded.length > 0 ? uploaded : attachments, trace);
      const { attempts } = await this.completeDraft(created, posted, uploaded, trace);
      const totalMs = this.clock.now() - trace.startedAt;
      return {
        messageId: id,
        attempts,
        requestIds: trace.requestIds,
        path: 'draft',
        droppedAttachments: [],
        requests: trace.requests,
        timings: { totalMs, httpMs: trace.httpMs, pacingWaitMs: trace.pacingWaitMs, retryWaitMs: trace.retryWaitMs },
      };
    } catch (err) {
      throw withDiagnosis(err, this.options.diagnoseContext, trace);
    }
  }

  private call(step: string, method: GraphCall['method'], path: string, json?: unknown, extra: Partial<GraphCall> = {}): GraphCall {
    return {
      step,
      method,
      url: path.startsWith('https://') ? path : `${this.mailboxUrl}${path}`,
      ...(json === undefined ? {} : { body: Buffer.from(JSON.stringify(json), 'utf8'), contentType: 'application/json' }),
      authenticated: true,
      okStatuses: [200, 201, 202, 204],
      ...extra,
    };
  }

  private async sendInline(msg: PreparedMessage, attachments: PreparedAttachment[], trace: SendTrace): Promise<{ attempts: number }> {
    const call = this.call('sendMail', 'POST', '/sendMail', sendMailBody(msg, attachments), { countsAsMessage: true, okStatuses: [202] });
    const { attempts } = await this.requester.execute(call, this.pacer(), trace);
    return { attempts };
  }

  private async sendThroughDraft(msg: PreparedMessage, plan: Extract<DeliveryPlan, { kind: 'draft' }>, trace: SendTrace): Promise<{ attempts: number }> {
    const call = this.call('create the draft', 'POST', '/messages', graphMessage(msg, plan.draftAttachments), { okStatuses: [201] });
    const created = await this.createDraft(call, plan.uploadedAttachments.length > 0 ? plan.uploadedAttachments : msg.attachments, trace);
    return this.completeDraft(created, plan.postedAttachments, plan.uploadedAttachments, trace);
  }

  private async createDraft(call: GraphCall, attachments: PreparedAttachment[], trace: SendTrace): Promise<Awaited<ReturnType<GraphRequester['execute']>>> {
    try {
      return await this.requester.execute(call, this.pacer(), trace);
    } catch (err) {
      // The token did not say which permissions it has (an opaque token): Graph's 403 here means Mail.ReadWrite.
      if (err instanceof GraphSendError && err.status === 403 && err.code === 'ErrorAccessDenied') {
        err.diagnosis = mailReadWriteDiagnosis(this.options.mode, describeAttachments(attachments));
      }
      throw err;
    }
  }

  /** The draft's attachments (posted, then uploaded), then its send; an unsent draft is deleted. */
  private async completeDraft(
    created: Awaited<ReturnType<GraphRequester['execute']>>,
    posted: PreparedAttachment[],
    uploaded: PreparedAttachment[],
    trace: SendTrace,
  ): Promise<{ attempts: number }> {
    const pacer = this.pacer();
    const draftId = jsonField(created.response, 'id');
    if (typeof draftId !== 'string' || draftId === '') {
      throw new GraphSendError({ status: created.response.status, code: 'InvalidResponse', message: 'create the draft: Graph answered without a message id', attempts: created.attempts, requestIds: trace.requestIds, retryable: true });
    }
    const draftPath = `/messages/${encodeURIComponent(draftId)}`;
    try {
      for (const a of posted) {
        await this.requester.execute(this.call(`attach ${a.name}`, 'POST', `${draftPath}/attachments`, fileAttachment(a), { okStatuses: [201] }), pacer, trace);
      }
      for (const a of uploaded) await uploadAttachment(this.uploads(), draftPath, a, trace);
      const sent = await this.requester.execute(this.call('send the draft', 'POST', `${draftPath}/send`, undefined, { countsAsMessage: true, okStatuses: [202], body: Buffer.alloc(0) }), pacer, trace);
      return { attempts: sent.attempts };
    } catch (err) {
      await this.deleteDraft(draftPath, trace);
      throw err;
    }
  }

  private uploads(): UploadSessions {
    return {
      requester: this.requester,
      pacer: () => this.pacer(),
      call: (...args) => this.call(...args),
      chunkBytes: this.chunkBytes,
      maxAttempts: { ...DEFAULT_RETRY, ...this.options.retry }.maxAttempts,
    };
  }

  private async deleteDraft(draftPath: string, trace: SendTrace): Promise<void> {
    try {
      await this.requester.execute(this.call('delete the unsent draft', 'DELETE', draftPath, undefined, { okStatuses: [204, 200, 404], maxAttempts: 2 }), this.pacer(), trace);
    } catch {
      // Best effort: the draft stays in Drafts; the send error is what matters.
    }
  }
}

function withDiagnosis(err: unknown, context: DiagnoseContext | undefined, trace: SendTrace): unknown {
  if (err instanceof GraphSendError) {
    if (!err.diagnosis) err.diagnosis = diagnoseFailure(err, undefined, context);
    // Every HTTP request of this message, the draft steps included, not only the failed step's.
    err.requests = trace.requests;
  }
  return err;
}
