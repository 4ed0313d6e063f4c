import { readFile } from 'node:fs/promises';
import { createTokenProvider, openAuthSession, type AuthSession, type SessionTokenProvider, diagnoseContext } from '../auth/index.js';
import { graphBaseUrl, usesEmulator, type Settings } from '../config/index.js';
import { createMailClient, type MailClient, type MailMessage, type SendResult } from '../graph/index.js';

/**
 * The configured way to send: settings -> sign-in session -> token provider -> Graph mail client.
 * What `send`, `test` and the notification service use.
 */
export interface Mailer {
  session: AuthSession;
  tokens: SessionTokenProvider;
  client: MailClient;
  send(message: MailMessage): Promise<SendResult>;
  close(): void;
}

export interface OpenMailerOptions {
  home?: string;
  env?: NodeJS.ProcessEnv;
  settings?: Settings;
  /** Send without attachments that need Mail.ReadWrite, saying so in the body. */
  dropOversizeAttachments?: boolean;
}

export async function openMailer(options: OpenMailerOptions = {}): Promise<Mailer> {
  const session = await openAuthSession({ home: options.home, env: options.env, settings: options.settings });
  const { settings } = session;
  const tokens = createTokenProvider(session);
  const ca = usesEmulator(settings) && settings.endpoints.emulatorCa ? await readFile(settings.endpoints.emulatorCa, 'utf8') : undefined;
  const client = createMailClient({
    baseUrl: graphBaseUrl(settings),
    ca,
    tokenProvider: tokens,
    mode: settings.account.auth === 'app-only' ? 'app-only' : 'delegated',
    sender: settings.account.sender,
    pacing: { messagesPerMinute: settings.mail.messagesPerMinute },
    dropOversizeAttachments: options.dropOversizeAttachments,
    diagnoseContext: diagnoseContext(settings),
  });
  return { session, tokens, client, send: (m) => client.send(m), close: () => client.close() };
}

/** One e-mail through the configured path; resolves once Graph accepted it (202). */
export async function sendMail(settings: Settings, message: MailMessage, options: Omit<OpenMailerOptions, 'settings'> = {}): Promise<SendResult> {
  const mailer = await openMailer({ ...options, settings });
  try {
    return await mailer.send(message);
  } finally {
    mailer.close();
  }
}
