import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { readAuthStatus, startKeepAlive, type AuthStatus } from '../auth/index.js';
import { homeDirModeProblem, loadSettings, resolveHome, settingsPath, smtpOptions, type Settings } from '../config/index.js';
import { SECRET_FILES, SECRETS_DIR_NAME } from '../secrets/index.js';
import { openGraphConnection, type GraphConnection, type DeliveryOptions, GraphChannel } from '../delivery/index.js';
import { NotificationService, runHere, signInRefusalNotice, templatesDir } from '../notify/index.js';
import { createLogger } from '../infra/index.js';
import type { EventIntakeOptions, Store } from '../store/index.js';
import { RelaySender, startRelay, type RelayIdentity, type RunningRelay } from '../relay/index.js';
import { ApiTokenVerifier } from './api-token.js';
import { buildApp } from './app.js';
import { certificateInUse, renewCredentialIfDue } from './credential-renewal.js';
import type { PageContext } from './page/index.js';
import { openServiceStore, type ServiceStore } from './store-backend.js';
import { instanceSharing, localUrlOf, relayOpenMessages, urlOf } from './runtime-parts.js';
import { startCoordination, type ServiceCoordination } from './coordination.js';
import { removeServiceRecord, writeServiceRecord, type ServiceRecord } from './service-record.js';
import { rulesFromSettings } from './rules.js';
import { serviceCertificate, wantsTls, type ServiceCertificate } from './service-tls.js';
import { watchSignIn, type SignInProblem, type SignInWatch } from './sign-in-watch.js';
import { watchFileChanges, type FileChangeWatch } from './file-change-watch.js';

export interface StartServiceOptions {
  home?: string;
  env?: NodeJS.ProcessEnv;
  /** Default: settings `service.host` (127.0.0.1). */
  host?: string;
  /** Default: settings `service.port` (8025); 0 picks a free port. */
  port?: number;
  logger?: Logger;
  /** How often the pipeline looks at its timers. */
  tickIntervalMs?: number;
  /** How often the auth-state file is read for a new sign-in or a sign-in problem. */
  signInCheckEveryMs?: number;
  /** How often the client secret's expiry date is compared with today. */
  secretCheckEveryMs?: number;
  /** How often the keep-alive looks at the refresh token's age. */
  keepAliveCheckEveryMs?: number;
  intake?: EventIntakeOptions;
  delivery?: DeliveryOptions;
  maxBodyBytes?: number;
  /** Leave the settings page out (it is on by default). */
  withoutPage?: boolean;
  /** `serve --smtp-port`: runs the SMTP relay on this port (0: a free one) even if smtp.enabled is off. */
  smtpPort?: number;
  /** Runs the SMTP relay (default: smtp.enabled, or smtpPort given). */
  smtp?: boolean;
  /** `serve --tls`: HTTPS (default: service.tls, or service.tlsCertificate set). */
  tls?: boolean;
}

export interface RunningService {
  /** Where it listens, e.g. http://127.0.0.1:8025. */
  url: string;
  host: string;
  port: number;
  home: string;
  service: NotificationService;
  /** The SQLite store; on PostgreSQL reading it throws (use `backend`). */
  readonly store: Store;
  /** The store the service runs on: SQLite or PostgreSQL (issue 16). */
  backend: ServiceStore;
  /** On PostgreSQL: this instance among the others on the database (undefined on SQLite). */
  coordination: ServiceCoordination | undefined;
  app: FastifyInstance;
  /** What the settings page gets (undefined with `withoutPage`); `createAdminLink(page)` makes a sign-in link to it. */
  page: PageContext | undefined;
  /** The SMTP relay, when it runs. */
  relay: RunningRelay | undefined;
  /** The HTTPS certificate, when the service runs HTTPS. */
  certificate: ServiceCertificate | undefined;
  readonly settings: Settings;
  authStatus(): Promise<AuthStatus>;
  /** Re-reads settings.yaml: rules, the mailer, the keep-alive and the secret expiry check follow. */
  reloadSettings(): Promise<void>;
  /** A sign-in completed: a fresh mailer, and e-mails waiting for the sign-in go out. */
  signedIn(): Promise<void>;
  /** Graceful stop: no new requests, pending intake committed, sends in flight finished, store closed. */
  close(): Promise<void>;
}

const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;

/**
 * The running service, composed: settings -> store -> mailer -> notification pipeline ->
 * keep-alive -> secret-expiry check -> sign-in watch -> HTTP server (API, health, metrics, page).
 */
export async function startService(options: StartServiceOptions = {}): Promise<RunningService> {
  const env = options.env ?? process.env;
  const home = resolveHome(options.home, env);
  const logger = options.logger ?? createLogger({ name: 'o365-notify' });
  let settings = await loadSettings(home, env);
  const homeMode = await homeDirModeProblem(home);
  if (homeMode) logger.warn({ component: 'settings', home }, homeMode.message);

  // SQLite in the home, or the PostgreSQL database of store.url (migrated under its advisory lock).
  const store = await openServiceStore(home, settings, options.intake);
  // The daily recipient budget starts from what the outbox sent in the last 24 hours (a restart does not reset it).
  const recipientHistory = store.recipientHistory;
  let connection: GraphConnection;
  let coordination: ServiceCoordination | undefined;
  let listening = '';
  // On PostgreSQL the sign-in (token cache and state) and each mailbox's pacing are the instances' together.
  const sharing = instanceSharing(home, env, () => settings);
  const shared = async () => ({ retries: 'caller' as const, recipientHistory, ...(store.pg && coordination ? await sharing(store.pg, coordination.instanceId) : {}) });
  try {
    // On PostgreSQL: registered among the instances, heartbeating; its id is its lease owner everywhere.
    if (store.pg) coordination = await startCoordination(store.pg, home, logger, () => ({ url: listening }));
    // The worker owns retries of queued e-mails: the client tries each request once.
    connection = await openGraphConnection({ home, env, settings, ...(await shared()) });
  } catch (err) {
    await coordination?.stop().catch(() => undefined);
    await store.close();
    throw err;
  }
  const channel = new GraphChannel(connection, logger.child({ component: 'delivery' }));
  const relayIdentity = async (): Promise<RelayIdentity> => {
    if (settings.account.auth === 'app-only') {
      const store = channel.connection.session.secrets;
      const secret = (await store.hasClientSecret()) || (await store.hasClientCertificate());
      const mailbox = settings.account.sender;
      return { mailbox, canSend: Boolean(mailbox && secret), reason: !mailbox ? 'account.sender is not set' : 'no client secret or certificate is stored' };
    }
    const status = await authStatus();
    return { mailbox: status.account, canSend: Boolean(status.account), reason: 'nobody has signed in yet' };
  };
  const service = new NotificationService({
    // The store port on the SQLite store; the group commit's options go with it.
    store: store.port,
    // Relayed SMTP messages go through the same worker; RelaySender sends them as MIME.
    channel: new RelaySender({ inner: channel, relay: store.relay, identity: relayIdentity, fromPolicy: () => smtpOptions(settings.smtp).fromPolicy, logger: logger.child({ component: 'smtp' }) }),
    rules: rulesFromSettings(settings, logger),
    templatesDir: templatesDir(home),
    logger: logger.child({ component: 'notify' }),
    tickIntervalMs: options.tickIntervalMs,
    intake: options.intake,
    delivery: coordination ? { ...options.delivery, owner: coordination.instanceId } : options.delivery,
    runOnce: coordination?.runOnce,
    retention: { days: settings.store.retentionDays, failedDays: settings.store.failedRetentionDays },
  });

  let stopKeepAlive: (() => void) | undefined;
  const restartKeepAlive = () => {
    stopKeepAlive?.();
    stopKeepAlive = undefined;
    if (settings.account.auth === 'app-only') return;
    stopKeepAlive = startKeepAlive({
      home,
      provider: channel.connection.tokens,
      authState: channel.connection.session.authState,
      checkEveryMs: options.keepAliveCheckEveryMs,
      onResult: (r) => {
        if (r.refreshed) logger.info({ component: 'sign-in' }, 'refreshed the sign-in (keep-alive): the refresh token was renewed');
        else if (r.error) logger.warn({ component: 'sign-in', err: r.error.message }, 'the keep-alive refresh failed; see `o365-notify status`');
      },
    });
  };

  // The secret's Expires date warns only while the secret is the credential in use: a certificate wins
  // (auth/session.ts), and its own end date is checked by config check, doctor, status and the renewal.
  const checkSecretExpiry = async () => {
    await (coordination?.runOnce ?? runHere)('credential-expiry', checkSecretExpiryHere);
  };
  const checkSecretExpiryHere = async () => {
    try {
      const certificate = settings.account.auth === 'app-only' ? await certificateInUse(channel.connection.session.secrets) : undefined;
      const result = await service.checkSecretExpiry(certificate ? undefined : settings.account.secretExpires);
      if (result?.emailed) logger.warn({ component: 'sign-in', secretExpires: settings.account.secretExpires }, 'the client secret expires soon: warning e-mail queued');
      // Only ends the notices of a certificate no longer in use (`certificate rotate` by hand); the
      // certificate's own notices follow the renewal's check below.
      await service.checkCertificateExpiry(certificate, true);
    } catch (err) {
      logger.error({ err }, 'the client secret expiry check failed');
    }
  };

  // App-only: the client secret or certificate renewed before it expires (credential-renewal.ts).
  const renewSecretIfDue = () =>
    exclusive(() =>
      renewCredentialIfDue({
        home,
        env,
        logger,
        settings: () => settings,
        secrets: () => channel.connection.session.secrets,
        accessToken: () => channel.connection.tokens.getAccessToken(),
        switched: async () => {
          settings = await loadSettings(home, env);
          await freshMailer();
        },
      }),
    )
      // The certificate's expiry notice once the renewal had its chance: none when it renewed in time.
      .then(async (report) => {
        const result = await service.checkCertificateExpiry(report.certificate, report.renewalAhead);
        if (result?.emailed) logger.warn({ component: 'sign-in', certificateExpires: report.certificate?.endDateTime }, 'the client certificate expires soon: warning e-mail queued');
      })
      .catch((err: unknown) => logger.error({ err }, 'renewing the app-only credential failed'));

  // One settings change or sign-in at a time.
  let serial: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = serial.then(fn, fn);
    serial = run.catch(() => undefined);
    return run;
  };

  let watch: SignInWatch | undefined;
  let fileWatch: FileChangeWatch | undefined;
  // The stored certificate's end, for status (polled): decrypted once per credential, not per request.
  let certificateEnd: Promise<string | undefined> | undefined;
  const freshMailer = async () => {
    certificateEnd = undefined;
    channel.replace(await openGraphConnection({ home, env, settings, ...(await shared()) }));
    restartKeepAlive();
  };

  const signedIn = () =>
    exclusive(async () => {
      await freshMailer();
      const resumed = await service.resumeAfterSignIn();
      await watch?.resync();
      logger.info({ component: 'sign-in', resumed }, 'signed in: e-mails waiting for a sign-in are sent now');
    });

  const reloadSettings = () =>
    exclusive(async () => {
      const next = await loadSettings(home, env);
      if (next.service.host !== settings.service.host || next.service.port !== settings.service.port) {
        logger.warn({ component: 'settings' }, 'service.host or service.port changed: restart the service to listen there');
      }
      settings = next;
      await service.setRules(rulesFromSettings(settings, logger));
      await freshMailer();
      await checkSecretExpiry();
      // The change may be the fix (a new secret): a fresh token proves it before the e-mails waiting
      // for it (and the warning about it) get another try.
      if (service.waitingForSignIn) {
        const works = await channel.connection.tokens.getAccessToken({ forceRefresh: true }).then(() => true, () => false);
        if (works) await service.tokenWorks(Date.now());
        await service.retryWaiting();
      }
      await fileWatch?.resync();
      logger.info({ component: 'settings' }, 'settings reloaded');
    });

  const authStatus = async () => {
    const secrets = channel.connection.session.secrets;
    return readAuthStatus(channel.connection.session.authState, settings, { secret: await secrets.hasClientSecret(), certificateEnd: await (certificateEnd ??= secrets.clientCertificateEnd()) });
  };

  const onSignInProblem = (problem: SignInProblem) => {
    const notice = signInRefusalNotice(problem.diagnosis, problem.signInRequired);
    logger.warn(
      { component: 'sign-in', signInRequired: problem.signInRequired, diagnosis: problem.diagnosis && { code: problem.diagnosis.code, title: problem.diagnosis.title, fix: problem.diagnosis.fix, guideStep: problem.diagnosis.guideStep } },
      `sign-in problem: ${problem.reason}`,
    );
    if (!notice) return;
    // The delivery worker may have recorded the same trouble already (from a refused send). For the
    // secret, only an `expired` notice is the same trouble (a "30 days left" one is not).
    void store
      .activeHealthNotices()
      .then(async (active) => {
        if (active.some((n) => n.kind === notice.kind && (notice.kind !== 'secret-expiring' || n.threshold === notice.threshold))) return;
        await service.recordHealthNotice(notice);
      })
      .catch((err: unknown) => logger.error({ err }, 'recording the sign-in problem failed'));
  };

  const timers: NodeJS.Timeout[] = [];
  let app: FastifyInstance | undefined;
  let apiTokens: ApiTokenVerifier | undefined;
  let relay: RunningRelay | undefined;
  let record: ServiceRecord | undefined;

  /**
   * The one ordered shutdown, for close() and for a start that failed half-way: stop taking work
   * (SMTP, then HTTP), stop timers and watches, let a settings reload finish, let the worker finish
   * its sends, close the Graph connection and the store. Each step runs even if one before it failed
   * (the first failure is rethrown), so a relay that fails to close cannot leave the store open.
   */
  const shutdown = async (): Promise<void> => {
    let failure: unknown;
    const step = async (stop: () => unknown) => {
      try {
        await stop();
      } catch (err) {
        failure ??= err;
      }
    };
    await step(() => relay?.close());
    await step(() => app?.close());
    await step(() => {
      apiTokens?.close();
      watch?.stop();
      fileWatch?.stop();
      for (const t of timers) clearInterval(t);
      stopKeepAlive?.();
    });
    await step(() => serial);
    await step(() => service.stop());
    await step(() => channel.close());
    await step(() => coordination?.stop());
    await step(() => store.close());
    // Last, and only once the store is closed: until then the CLI must not take it for its own.
    if (record && !store.isOpen) await removeServiceRecord(home, record).catch(() => undefined);
    if (failure !== undefined) throw failure;
  };

  try {
    await service.start();
    restartKeepAlive();
    await checkSecretExpiry();
    void renewSecretIfDue();
    const secretTimer = setInterval(() => {
      void checkSecretExpiry();
      void renewSecretIfDue();
    }, options.secretCheckEveryMs ?? DAY);
    secretTimer.unref();
    timers.push(secretTimer);
    watch = await watchSignIn({
      home,
      authState: channel.connection.session.sharedAuth?.authState,
      everyMs: options.signInCheckEveryMs ?? 5 * SECOND,
      onSignedIn: async (why) => {
        logger.info({ component: 'sign-in', why }, why === 'new-sign-in' ? 'a new sign-in was recorded' : 'the sign-in works again');
        await signedIn();
      },
      onProblem: onSignInProblem,
      onTokenWorks: (at) => void service.tokenWorks(at).catch((err: unknown) => logger.error({ err }, 'closing the sign-in warnings failed')),
      onError: (err) => logger.error({ err }, 'reading the sign-in state failed'),
    });
    // `setup`, `secret rotate` or `certificate rotate` in another terminal (a new credential, new recipients) reaches the
    // running service as a save on the page does: without it a replaced secret waited for a restart.
    const secretFile = (purpose: keyof typeof SECRET_FILES) => join(home, SECRETS_DIR_NAME, SECRET_FILES[purpose]);
    fileWatch = watchFileChanges([settingsPath(home), secretFile('client-secret'), secretFile('client-certificate')], {
      everyMs: options.signInCheckEveryMs ?? 5 * SECOND,
      onChange: async () => {
        logger.info({ component: 'settings' }, 'the settings, the client secret or the certificate changed on disk: reloading');
        await reloadSettings().catch((err: unknown) => logger.error({ err }, 'reloading the changed settings failed; the service keeps the ones it had'));
      },
    });

    const smtp = smtpOptions(settings.smtp);
    if (options.smtp ?? (smtp.enabled || options.smtpPort !== undefined)) {
      relay = await startRelay({
        home,
        smtp,
        port: options.smtpPort,
        relay: store.relay,
        identity: relayIdentity,
        openMessages: relayOpenMessages(store),
        fsync: settings.service.durability === 'power-loss',
        onAccepted: () => service.outboxRowAdded('relay'),
        logger: logger.child({ component: 'smtp' }),
      });
    }

    let url = '';
    const page: PageContext | undefined = options.withoutPage
      ? undefined
      : {
          home,
          env,
          baseUrl: () => url,
          service,
          store: { eventById: (id) => store.eventById(id), relay: store.relay },
          authSession: async () => channel.connection.session,
          reloadSettings,
          signedIn,
        };
    const certificate = wantsTls(settings.service, options.tls) ? await serviceCertificate(home, settings.service) : undefined;
    apiTokens = new ApiTokenVerifier(home);
    app = await buildApp({
      https: certificate ? { cert: certificate.cert, key: certificate.key } : undefined,
      service,
      tokens: apiTokens,
      authStatus,
      logger: logger.child({ component: 'http' }),
      maxBodyBytes: options.maxBodyBytes,
      tokenEndpointCalls: () => channel.tokenEndpointCalls,
      instance: coordination?.instanceId,
      readiness: () => {
        const reasons: string[] = [];
        if (!store.isOpen) reasons.push('the store is closed');
        const database = coordination?.databaseProblem();
        if (database) reasons.push(database);
        if (!service.running) reasons.push('the delivery worker is not running');
        return { ready: reasons.length === 0, reasons };
      },
      page,
    });
    await app.listen({ host: options.host ?? settings.service.host, port: options.port ?? settings.service.port });
    const address = app.server.address() as AddressInfo;
    url = urlOf(address, certificate !== undefined);
    listening = url;
    if (!['127.0.0.1', '::1', 'localhost'].includes(address.address)) {
      logger.warn(
        { component: 'http', address: address.address, https: certificate !== undefined },
        certificate
          ? 'the service listens beyond this machine (HTTPS): the API still needs its token, but consider a firewall'
          : 'the service listens beyond this machine over plain HTTP: the API token, the admin password and the session cookie cross the network readable; turn on HTTPS (serve --tls, or service.tls: true)',
      );
    }
    record = await writeServiceRecord(home, localUrlOf(address, certificate !== undefined));
    logger.info({ component: 'http', url, store: store.where }, 'o365-notify service started');

    let closing: Promise<void> | undefined;
    const running: RunningService = {
      url,
      host: address.address,
      port: address.port,
      home,
      service,
      get store(): Store {
        if (!store.sqlite) throw new Error('This service runs on PostgreSQL (store.url): it has no SQLite store; use `backend`.');
        return store.sqlite;
      },
      backend: store,
      coordination,
      app,
      certificate,
      page,
      relay,
      get settings() {
        return settings;
      },
      authStatus,
      reloadSettings,
      signedIn,
      close() {
        closing ??= (async () => {
          logger.info({ component: 'http' }, 'stopping: no new requests; finishing what is in flight');
          await shutdown();
          logger.info({}, 'o365-notify service stopped');
        })();
        return closing;
      },
    };
    return running;
  } catch (err) {
    await shutdown().catch(() => undefined);
    throw err;
  }
}

