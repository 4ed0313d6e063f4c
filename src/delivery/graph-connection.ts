import { readFile } from 'node:fs/promises';
import { createTokenProvider, openAuthSession, type AuthSession, type SessionTokenProvider, type SharedAuthStorage, diagnoseContext } from '../auth/index.js';
import { graphBaseUrl, usesEmulator, type Settings } from '../config/index.js';
import { createMailClient, type GraphSendReport, type MailClient, type MailMessage, type RecipientHistory, type RetryOwner, type SharedMailboxPacing } from '../graph/index.js';

/**
 * The configured connection to Microsoft 365: settings -> sign-in session -> token provider ->
 * Graph mail client. `send`, `test` and doctor use it directly (the client retries); the service
 * wraps it in a GraphChannel (the outbox worker retries).
 */
export interface GraphConnection {
  session: AuthSession;
  tokens: SessionTokenProvider;
  client: MailClient;
  close(): void;
}

export interface OpenGraphConnectionOptions {
  home?: string;
  env?: NodeJS.ProcessEnv;
  settings?: Settings;
  /** Send without attachments that need Mail.ReadWrite, saying so in the body. */
  dropOversizeAttachments?: boolean;
  /** Who retries a retryable answer: the client (default, direct sends) or the caller (the outbox worker). */
  retries?: RetryOwner;
  /** The store's sent e-mails (outbox.sentRecipientsSince): the daily recipient budget starts from them, not zero. */
  recipientHistory?: RecipientHistory;
  /** The sign-in several instances share (store on PostgreSQL: server/shared-auth.ts); default: the home's files. */
  sharedAuth?: SharedAuthStorage;
  /** Per-mailbox pacing held with the other instances (store on PostgreSQL: PgMailboxPacing); default: this process's own. */
  sharedPacing?: SharedMailboxPacing;
}

export async function openGraphConnection(options: OpenGraphConnectionOptions = {}): Promise<GraphConnection> {
  const session = await openAuthSession({ home: options.home, env: options.env, settings: options.settings, sharedAuth: options.sharedAuth });
  const { settings } = session;
  const tokens = createTokenProvider(session);
  const ca = usesEmulator(settings) && settings.endpoints.emulatorCa ? await readFile(settings.endpoints.emulatorCa, 'utf8') : undefined;
  const client = createMailClient({
    baseUrl: graphBaseUrl(settings),
    ca,
    tokenProvider: tokens,
    mode: settings.account.auth === 'app-only' ? 'app-only' : 'delegated',
    sender: settings.account.sender,
    appId: settings.account.clientId,
    pacing: { messagesPerMinute: settings.mail.messagesPerMinute, requestsPer10Minutes: settings.mail.requestsPer10Minutes, recipientsPerDay: settings.mail.recipientsPerDay, recipientHistory: options.recipientHistory },
    dropOversizeAttachments: options.dropOversizeAttachments,
    diagnoseContext: diagnoseContext(settings),
    retries: options.retries,
    sharedPacing: options.sharedPacing,
  });
  return { session, tokens, client, close: () => client.close() };
}

/** One e-mail through the configured path; resolves once Graph accepted it (202). */
export async function sendMail(settings: Settings, message: MailMessage, options: Omit<OpenGraphConnectionOptions, 'settings'> = {}): Promise<GraphSendReport> {
  const connection = await openGraphConnection({ ...options, settings });
  try {
    return await connection.client.send(message);
  } finally {
    connection.close();
  }
}
