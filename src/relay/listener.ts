import { mkdir, rm, statfs } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { SMTPServer, SMTPServerAddress, SMTPServerAuthentication, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { isEmailAddress, type SmtpOptions } from '../config/index.js';
import { noopLogger, type NotifyLogger } from '../infra/index.js';
import type { RelayStore } from '../store/index.js';
import { allowedBy, sameAddress } from './addresses.js';
import type { RelayCertificate } from './certificate.js';
import { timeOrderedId } from './ids.js';
import { verifyPassword } from './passwords.js';
import { AuthLockout, ConnectionCount, NetworkList, RateLimit, isLoopbackIp, normalizeIp } from './policy.js';
import { receiveMessage } from './receive.js';
import { carriesEnhancedCode, replies, SmtpReply } from './replies.js';

/** Who the relay sends as, and whether it can send at all yet. */
export interface RelayIdentity {
  /** The signed-in account (delegated) or account.sender (app-only); undefined before a sign-in. */
  mailbox: string | undefined;
  /** False when nothing could be sent (never signed in): MAIL FROM gets a 4xx. */
  canSend: boolean;
  reason?: string;
}

export interface RelayListenerOptions {
  home: string;
  smtp: SmtpOptions;
  /** `serve --smtp-port` (0 picks a free port). */
  port?: number;
  tlsPort?: number;
  relay: RelayStore;
  certificate: RelayCertificate;
  identity: () => Promise<RelayIdentity>;
  /** Open relay messages right now (queued, sending, waiting); past maxQueued new ones get 452. */
  openMessages: () => Promise<number>;
  /** fsync spool files before the commit (service.durability power-loss). */
  fsync: boolean;
  onAccepted?: (id: string) => void;
  logger?: NotifyLogger;
  clock?: () => number;
  hostname?: string;
}

export interface RelayListener {
  host: string;
  port: number;
  tlsPort: number | undefined;
  spoolDir: string;
  /** Connections open now. */
  connections(): number;
  close(): Promise<void>;
}

/** Messages up to this size live in the database row; larger ones in a spool file. */
export const INLINE_LIMIT = 256 * 1024;
/** Open relay messages before new ones are refused with 452 (the outbox is not a mail store). */
export const MAX_OPEN_MESSAGES = 20_000;

interface SessionState {
  ip?: string;
  user?: { name: string; allowedFrom: string[]; allowedRecipients: string[] };
}

export async function startRelayListener(o: RelayListenerOptions): Promise<RelayListener> {
  // Loaded when the relay starts: a service without it never pays for smtp-server (issue 14: idle RSS).
  const { SMTPServer } = await import('smtp-server');
  const logger = o.logger ?? noopLogger;
  const clock = o.clock ?? Date.now;
  const smtp = o.smtp;
  const name = o.hostname ?? osHostname();
  const spoolDir = join(o.home, 'relay-spool');
  await mkdir(spoolDir, { recursive: true, mode: 0o700 });
  const maxBytes = smtp.maxMessageMb * 1024 * 1024;
  const allowedClients = new NetworkList(smtp.allowedClients);
  const plainClients = new NetworkList(smtp.plainClients);
  const lockout = new AuthLockout(smtp.authFailuresBeforeLockout, smtp.lockoutMinutes * 60_000, clock);
  const rate = new RateLimit(smtp.messagesPerMinute, clock);
  const connections = new ConnectionCount();
  const states = new Map<string, SessionState>();
  const state = (s: SMTPServerSession) => {
    let st = states.get(s.id);
    if (!st) states.set(s.id, (st = {}));
    return st;
  };
  // Normalised once per connection: every check of a message asks for it.
  const ipOf = (s: SMTPServerSession) => (states.get(s.id)?.ip ?? normalizeIp(s.remoteAddress));
  // Free disk space, looked at most once a second (a syscall per message costs throughput).
  let disk: { at: number; bytes: number | undefined } = { at: -Infinity, bytes: undefined };
  const freeSpace = async () => {
    if (clock() - disk.at > 1000) {
      const s = await statfs(spoolDir).catch(() => undefined);
      disk = { at: clock(), bytes: s ? s.bavail * s.bsize : undefined };
    }
    return disk.bytes;
  };
  const plainAllowed = (s: SMTPServerSession) => s.secure || isLoopbackIp(s.remoteAddress) || plainClients.has(s.remoteAddress);
  const authRequired = (s: SMTPServerSession) => smtp.requireAuth ?? !isLoopbackIp(s.remoteAddress);
  const fail = (cb: (err?: Error | null) => void, reply: SmtpReply, s: SMTPServerSession, what: string) => {
    // states.get, not state(): a refused connection must not get an entry (onClose would release a slot it never took).
    logger.info({ component: 'smtp', session: s.id, client: ipOf(s), user: states.get(s.id)?.user?.name, reply: reply.responseCode, what }, `refused: ${reply.message}`);
    cb(reply);
  };

  const handlers: Partial<SMTPServerOptions> = {
    onConnect(session, cb) {
      const ip = ipOf(session);
      if (!isLoopbackIp(ip) && !allowedClients.has(ip)) return fail(cb, replies.clientNotAllowed(ip), session, 'connect');
      if (!connections.tryOpen(ip, smtp.maxConnectionsPerClient)) return fail(cb, replies.tooManyConnections(ip, smtp.maxConnectionsPerClient), session, 'connect');
      state(session).ip = ip;
      cb();
    },
    onClose(session) {
      if (states.delete(session.id)) connections.close(ipOf(session));
    },
    onAuth(auth: SMTPServerAuthentication, session, cb) {
      const ip = ipOf(session);
      if (!plainAllowed(session)) return fail(cb, replies.authNeedsTls(), session, 'auth');
      const locked = lockout.lockedUntil(ip);
      if (locked) return fail(cb, replies.lockedOut(ip, locked, smtp.authFailuresBeforeLockout), session, 'auth');
      const username = auth.username ?? '';
      void (async () => {
        const user = username ? await o.relay.user(username) : undefined;
        const ok = user ? await verifyPassword(auth.password ?? '', user.passwordHash) : false;
        if (!ok || !user) {
          lockout.failed(ip);
          return fail(cb, replies.authFailed(), session, 'auth');
        }
        lockout.succeeded(ip);
        state(session).user = { name: user.name, allowedFrom: user.allowedFrom, allowedRecipients: user.allowedRecipients };
        await o.relay.userUsed(user.name, clock());
        cb(null, { user: user.name });
      })().catch((err: unknown) => {
        logger.error({ component: 'smtp', err }, 'AUTH check failed');
        cb(replies.storeFailed());
      });
    },
    onMailFrom(address: SMTPServerAddress, session, cb) {
      void (async () => {
        const ip = ipOf(session);
        const st = state(session);
        if (!plainAllowed(session)) return fail(cb, replies.tlsRequired(), session, 'mail');
        if (authRequired(session) && !st.user) return fail(cb, replies.authRequired(), session, 'mail');
        const from = address.address;
        if (from !== '' && !isEmailAddress(from)) return fail(cb, replies.badSender(from), session, 'mail');
        const identity = await o.identity();
        if (!identity.canSend) return fail(cb, replies.notSignedIn(identity.reason ?? 'not signed in'), session, 'mail');
        if (!allowedBy(smtp.allowedFrom, from)) return fail(cb, replies.senderNotAllowed(from, identity.mailbox), session, 'mail');
        if (st.user && !allowedBy(st.user.allowedFrom, from)) return fail(cb, replies.senderNotAllowedForUser(from, st.user.name, st.user.allowedFrom), session, 'mail');
        if (smtp.fromPolicy === 'reject' && identity.mailbox && !sameAddress(from, identity.mailbox)) {
          return fail(cb, replies.sendAsRejected(from, identity.mailbox), session, 'mail');
        }
        const key = st.user ? `user:${st.user.name}` : `ip:${ip}`;
        if (!rate.take(key)) return fail(cb, replies.rateLimited(st.user ? `SMTP user ${st.user.name}` : `Client ${ip}`, smtp.messagesPerMinute), session, 'mail');
        cb();
      })().catch((err: unknown) => {
        logger.error({ component: 'smtp', err }, 'MAIL FROM check failed');
        cb(replies.storeFailed());
      });
    },
    onRcptTo(address: SMTPServerAddress, session, cb) {
      const to = address.address;
      const st = state(session);
      if (!isEmailAddress(to)) return fail(cb, replies.badRecipient(to), session, 'rcpt');
      if (session.envelope.rcptTo.length >= smtp.maxRecipients) return fail(cb, replies.tooManyRecipients(smtp.maxRecipients), session, 'rcpt');
      if (!allowedBy(smtp.allowedRecipients, to)) return fail(cb, replies.recipientNotAllowed(to), session, 'rcpt');
      if (st.user && !allowedBy(st.user.allowedRecipients, to)) return fail(cb, replies.recipientNotAllowedForUser(to, st.user.name, st.user.allowedRecipients), session, 'rcpt');
      cb();
    },
    onData(stream: Readable & { sizeExceeded?: boolean }, session, cb) {
      const id = timeOrderedId(clock());
      const st = state(session);
      const recipients = session.envelope.rcptTo.map((r) => r.address);
      const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      let spoolFile: string | null = null;
      void (async () => {
        const received = await receiveMessage(stream, id, { spoolDir, inlineLimit: INLINE_LIMIT, maxBytes, hostname: name, fsync: o.fsync, now: () => new Date(clock()) });
        spoolFile = received.spoolFile;
        if (received.tooBig || stream.sizeExceeded) return fail(cb, replies.tooBig(smtp.maxMessageMb), session, 'data');
        if (recipients.length === 0) return fail(cb, replies.noRecipients(), session, 'data');
        const headerFrom = received.header.headerFrom;
        // Only fromPolicy reject looks at the header From here; MAIL FROM already checked canSend.
        if (smtp.fromPolicy === 'reject' && headerFrom) {
          const identity = await o.identity();
          if (identity.mailbox && !sameAddress(headerFrom, identity.mailbox)) return fail(cb, replies.sendAsRejected(headerFrom, identity.mailbox), session, 'data');
        }
        const open = await o.openMessages();
        if (open >= MAX_OPEN_MESSAGES) return fail(cb, replies.storeFull(open), session, 'data');
        const free = await freeSpace();
        if (free !== undefined && free < 2 * maxBytes + received.size) return fail(cb, replies.storeFull(open), session, 'data');
        await o.relay.accept({
          id,
          receivedAt: clock(),
          clientAddress: ipOf(session),
          smtpUser: st.user?.name ?? null,
          envelopeFrom,
          recipients,
          size: received.size,
          headerFrom,
          messageId: received.header.messageId,
          subject: received.header.subject,
          raw: received.raw,
          spoolFile: received.spoolFile,
        });
        spoolFile = null;
        logger.info(
          { component: 'smtp', id, client: ipOf(session), user: st.user?.name, recipients: recipients.length, bytes: received.size, repairs: received.header.repairs },
          'message accepted and stored; it is delivered through Microsoft Graph',
        );
        o.onAccepted?.(id);
        cb(null, `Queued as ${id}: stored, it goes out through Microsoft 365`);
      })()
        .catch((err: unknown) => {
          logger.error({ component: 'smtp', id, err }, 'storing a relayed message failed');
          stream.resume();
          cb(replies.storeFailed());
        })
        .finally(() => {
          // Not committed: the spool file is not referenced by any row.
          if (spoolFile) void rm(spoolFile, { force: true });
        });
    },
  };

  const base: SMTPServerOptions = {
    name,
    banner: 'o365-notify SMTP relay (Microsoft 365 through Graph)',
    key: o.certificate.key,
    cert: o.certificate.cert,
    size: maxBytes,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: true,
    // AUTH is offered before TLS too, so that loopback and smtp.plainClients can use it; onAuth refuses it elsewhere.
    allowInsecureAuth: true,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: true,
    disableReverseLookup: true,
    maxClients: 500,
    socketTimeout: 60_000,
    closeTimeout: 10_000,
    logger: false,
    ...handlers,
  };

  const servers: SMTPServer[] = [];
  const listen = async (server: SMTPServer, port: number): Promise<number> => {
    patchEnhancedCodes(server);
    server.on('error', (err) => logger.warn({ component: 'smtp', err: err.message }, 'SMTP connection error'));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, smtp.host, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    servers.push(server);
    return (server.server.address() as AddressInfo).port;
  };

  try {
    const port = await listen(new SMTPServer({ ...base, secure: false }), o.port ?? smtp.port);
    const tlsWanted = o.tlsPort ?? smtp.tlsPort;
    const tlsPort = tlsWanted === undefined ? undefined : await listen(new SMTPServer({ ...base, secure: true }), tlsWanted);
    logger.info({ component: 'smtp', host: smtp.host, port, tlsPort }, 'SMTP relay listening');
    return {
      host: smtp.host,
      port,
      tlsPort,
      spoolDir,
      connections: () => connections.total,
      close: () => Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined),
    };
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    throw err;
  }
}

type Send = (code: number, data?: unknown, context?: unknown) => void;

/**
 * smtp-server prefixes every reply with a generic enhanced status code chosen by the reply code
 * (550 -> 5.1.1); ours carry the exact one already, so for them it must add none.
 */
function patchEnhancedCodes(server: SMTPServer): void {
  const s = server as unknown as { connect(socket: unknown, options: unknown): void; connections: Set<{ send: Send }> };
  const connect = s.connect.bind(server);
  s.connect = (socket, options) => {
    const before = new Set(s.connections);
    connect(socket, options);
    for (const c of s.connections) {
      if (before.has(c)) continue;
      const send = c.send.bind(c);
      c.send = (code, data, context) => send(code, data, context === undefined && carriesEnhancedCode(data) ? false : context);
    }
  };
}
