import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { loadSettings, type Settings } from '../../src/config/index.js';
import { NOTIFY_ID_HEADER, openGraphConnection, outcomeOfError, type DeliveryChannel, type GraphConnection, type OutgoingMessage } from '../../src/delivery/index.js';
import { NotificationService, parseNotificationRules } from '../../src/notify/index.js';
import { createAdminLink, registerSettingsPage, type PageContext } from '../../src/server/page/index.js';
import { openStore, sqliteNotifyStore, type Store } from '../../src/store/index.js';
import { testEnv } from '../support/cli.js';

/**
 * The settings page on a real Fastify server (127.0.0.1, a free port) with real parts behind it:
 * the SQLite store, the notification service, and the mailer of the current settings
 * (sign-in session -> token provider -> Graph client), re-created when settings change, as the
 * service does.
 */
export interface PageService {
  url: string;
  home: string;
  env: NodeJS.ProcessEnv;
  app: FastifyInstance;
  context: PageContext;
  service: NotificationService;
  store: Store;
  /** A fresh one-time sign-in link. */
  link(): string;
  stop(): Promise<void>;
}

function rulesOf(settings: Settings) {
  return parseNotificationRules(settings.otherSections.notifications, { defaultRecipients: settings.mail.to }).rules;
}

export async function startPageService(options: { home?: string; env?: Record<string, string> } = {}): Promise<PageService> {
  const home = options.home ?? (await mkdtemp(join(tmpdir(), 'o365-page-')));
  const env = testEnv(home, options.env);
  let settings = await loadSettings(home, env);
  const store = openStore(join(home, 'o365-notify.db'));
  let mailer: GraphConnection = await openGraphConnection({ home, env, settings });
  const sender: DeliveryChannel = {
    async send(email: OutgoingMessage, { signal }) {
      const { [NOTIFY_ID_HEADER]: id, ...headers } = email.headers;
      try {
        const result = await mailer.client.send({ id, to: email.to, cc: email.cc, bcc: email.bcc, subject: email.subject, html: email.html, text: email.text, importance: email.importance, headers }, { signal });
        return { kind: 'sent', messageId: result.messageId, requests: result.requests };
      } catch (err) {
        return outcomeOfError(err);
      }
    },
  };
  const service = new NotificationService({ store: sqliteNotifyStore(store), channel: sender, rules: rulesOf(settings), tickIntervalMs: 250, delivery: { retryBaseMs: 60_000 } });
  await service.start();
  const fresh = async () => {
    const old = mailer;
    mailer = await openGraphConnection({ home, env, settings });
    old.close();
  };
  let url = '';
  const context: PageContext = {
    home,
    env,
    baseUrl: () => url,
    service,
    store: { eventById: async (id) => store.events.get(id), relay: store.relay },
    authSession: async () => mailer.session,
    reloadSettings: async () => {
      settings = await loadSettings(home, env);
      await service.setRules(rulesOf(settings));
      await fresh();
    },
    signedIn: async () => {
      await fresh();
      await service.resumeAfterSignIn();
    },
  };
  const app = Fastify({ logger: false });
  await registerSettingsPage(app, context);
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url,
    home,
    env,
    app,
    context,
    service,
    store,
    link: () => createAdminLink(context),
    stop: async () => {
      await app.close();
      await service.stop();
      mailer.close();
      store.close();
      if (!options.home) await rm(home, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any;
}

/** One HTTP request with exactly the headers given (Origin, Cookie, ...), as a browser or an attacker would send. */
export function call(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    const req = httpRequest(url, { method: options.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Signs in to the page with a link: the session cookie ("name=value") and the CSRF token from the page. */
export async function adminSession(svc: PageService): Promise<{ cookie: string; csrf: string; origin: string }> {
  const link = new URL(svc.link());
  // The link names localhost; requests go to the same port on 127.0.0.1 (localhost may resolve to ::1).
  const exchange = await call(`${svc.url}${link.pathname}${link.search}`, { headers: { host: link.host } });
  if (exchange.status !== 303) throw new Error(`the sign-in link answered ${exchange.status}: ${exchange.text}`);
  const setCookie = String(exchange.headers['set-cookie'] ?? '');
  const cookie = setCookie.split(';')[0]!;
  const page = await call(`${svc.url}/`, { headers: { host: link.host, cookie } });
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page.text)?.[1];
  if (!csrf) throw new Error(`no CSRF token on the page (HTTP ${page.status})`);
  return { cookie, csrf, origin: `http://${link.host}` };
}
