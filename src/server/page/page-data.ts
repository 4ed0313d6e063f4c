import { authStatusOf, fileAuthState, type AuthStateStore, type AuthStatus, diagnoseContext } from '../../auth/index.js';
import { gatherRelayData, type RelayPageData } from './view-relay.js';
import {
  checkSettings,
  defaultSettings,
  readSettings,
  readSettingsFile,
  redirectUri,
  settingsPath,
  SettingsFileError,
  type Problem,
  type Settings,
  type SettingSources,
} from '../../config/index.js';
import { adminConsentUrl } from '../../diagnose/index.js';
import { type DeliveryRecord, type NotificationService, type ServiceStatus, formatTime } from '../../notify/index.js';
import { loadRegistrationRecord, reviewRegistration } from '../../registration/index.js';
import { openSecretStore, type SecretStore } from '../../secrets/index.js';
import type { RelayStore, StoredEvent } from '../../store/index.js';
import { buildChecklist, type ChecklistStep } from './checklist.js';
import { pageProblems } from './page-words.js';
import { cachedTokenScopes, evidenceFor, readEvidence } from './evidence.js';
import { notificationsFormValues, parseRules, type NotificationsFormValues } from './notifications-form.js';
import type { DeviceCodeView } from './sign-in-flows.js';

/** Everything the page shows, read fresh for each request from the same sources the CLI reads. */
export interface PageData {
  /** The SMTP relay section (view-relay.ts). */
  relay: RelayPageData;
  settingsFile: string;
  settingsExist: boolean;
  /** settings.yaml cannot be read: shown, and saving is refused until it is fixed. */
  fileError?: string;
  /** The file alone: what the forms edit and save. */
  fileSettings: Settings;
  /** File plus O365_NOTIFY_* overrides: what runs. */
  settings: Settings;
  sources: SettingSources;
  /** As `config check` lists them. */
  problems: Problem[];
  notificationProblems: Problem[];
  secretConfigured: boolean;
  auth: AuthStatus;
  checklist: ChecklistStep[];
  banner: BannerItem[];
  status: ServiceStatus;
  deliveries: DeliveryRecord[];
  events: Map<number, StoredEvent>;
  silences: Awaited<ReturnType<NotificationService['listSilences']>>;
  notifications: NotificationsFormValues;
  /** The page was opened on this machine: the browser sign-in can come back to it. */
  local: boolean;
  /** What to register under Mobile and desktop applications. */
  registerRedirectUri: string;
  /** Where the page's own browser sign-in returns. */
  pageRedirectUri: string;
  passwordSetAt?: string;
  deviceCode: DeviceCodeView;
  now: number;
  time: (ms: number | null | undefined) => string;
  /** The time zone of every time on the page and in the e-mails, as the page names it. */
  timeZoneLabel: string;
  /** The server's own time zone (what a blank Time zone means). */
  serverTimeZone: string;
}

export interface BannerItem {
  urgent: boolean;
  text: string;
  /** An anchor on the page or a URL (admin consent). */
  href?: string;
  linkText?: string;
}

/** What the page reads beyond the port, from either store (src/server/store-backend.ts). */
export interface PageStoreReads {
  eventById(id: number): Promise<StoredEvent | undefined>;
  relay: RelayStore;
}

export interface PageDataSources {
  home: string;
  env: NodeJS.ProcessEnv;
  service: NotificationService;
  /** An event's text, the relay's queue. */
  store: PageStoreReads;
  local: boolean;
  pageRedirectUri: string;
  passwordSetAt?: string;
  deviceCode: DeviceCodeView;
  /** The session's sign-in state (session.authState: shared by the instances on PostgreSQL); default: <home>/auth-state.json. */
  authState?: AuthStateStore;
}

async function readStoredSecret(home: string, env: NodeJS.ProcessEnv): Promise<{ store?: SecretStore; secret?: string; certificate?: boolean; certificateEnd?: string; problem?: Problem }> {
  let store: SecretStore;
  try {
    store = await openSecretStore(home, env);
  } catch (err) {
    return { problem: { field: 'clientSecret', severity: 'error', message: (err as Error).message, guideStep: 'client-secret' } };
  }
  try {
    return { store, secret: await store.getClientSecret(), certificate: await store.hasClientCertificate(), certificateEnd: await store.clientCertificateEnd() };
  } catch (err) {
    return { store, problem: { field: 'clientSecret', severity: 'error', message: (err as Error).message, guideStep: 'client-secret' } };
  }
}

function bannerItems(data: Omit<PageData, 'banner'>): BannerItem[] {
  const items: BannerItem[] = [];
  const { auth, status } = data;
  if (data.fileError) items.push({ urgent: true, text: data.fileError });
  if (auth.problem && auth.signInRequired) {
    const what = auth.account ? 'Sign in again needed' : 'Not signed in: the last sign-in failed';
    items.push({ urgent: true, text: `${what}. ${auth.problem.reason}`, href: '#checklist', linkText: 'See what to fix' });
  }
  const waiting = status.queue.outbox.waitingSignIn;
  if (waiting > 0) {
    items.push({ urgent: true, text: `${waiting} e-mail${waiting === 1 ? '' : 's'} wait${waiting === 1 ? 's' : ''} until the sign-in works again.`, href: '#signin', linkText: 'Sign in' });
  }
  const consent = data.checklist.find((s) => s.id === 'admin-consent' && s.state === 'failed');
  if (consent) {
    items.push({
      urgent: true,
      text: 'Admin consent for Mail.Send is missing: an administrator of the organization must grant it.',
      href: consent.diagnosis?.adminConsentUrl ?? '#checklist',
      linkText: consent.diagnosis?.adminConsentUrl ? 'Open the admin-consent page' : 'See the checklist',
    });
  }
  const secret = auth.secret;
  if (secret.configured && secret.expiresOn && secret.daysLeft !== undefined) {
    if (secret.daysLeft < 0) {
      items.push({ urgent: auth.mode === 'app-only', text: `The client secret expired on ${secret.expiresOn}: create a new one (Certificates & secrets > New client secret) and enter it below.`, href: '#account', linkText: 'Replace the secret' });
    } else if (secret.daysLeft <= 30) {
      items.push({ urgent: false, text: `The client secret expires on ${secret.expiresOn} (in ${secret.daysLeft} day${secret.daysLeft === 1 ? '' : 's'}): create a new one before then.`, href: '#account', linkText: 'Replace the secret' });
    }
  }
  const covered = new Set<string>();
  if (auth.problem) covered.add('sign-in-renewal');
  if (consent) covered.add('consent-revoked');
  if (secret.daysLeft !== undefined && secret.daysLeft <= 30) covered.add('secret-expiring');
  for (const notice of status.healthNotices) {
    if (covered.has(notice.kind)) continue;
    covered.add(notice.kind);
    items.push({ urgent: notice.kind !== 'secret-expiring' && notice.kind !== 'certificate-expiring', text: notice.message });
  }
  return items;
}

export async function gatherPageData(sources: PageDataSources): Promise<PageData> {
  const { home, env, service } = sources;
  const now = Date.now();
  let fileError: string | undefined;
  let fileSettings = defaultSettings();
  let settingsExist = false;
  let settings = defaultSettings();
  let settingsSources: SettingSources = {};
  let readProblems: Problem[] = [];
  try {
    const file = await readSettingsFile(home, env);
    fileSettings = file.settings;
    settingsExist = file.exists;
    const effective = await readSettings(home, env);
    settings = effective.settings;
    settingsSources = effective.sources;
    readProblems = effective.problems;
  } catch (err) {
    if (!(err instanceof SettingsFileError)) throw err;
    fileError = err.message;
  }
  const stored = await readStoredSecret(home, env);
  const unreadable = new Set(readProblems.filter((p) => p.severity === 'error').map((p) => p.field));
  const problems = pageProblems([
    ...readProblems,
    ...(stored.problem ? [stored.problem] : []),
    ...checkSettings(settings, { clientSecret: stored.secret, clientCertificate: stored.certificate, clientCertificateEnd: stored.certificateEnd }).filter((p) => !unreadable.has(p.field)),
  ]);
  const secretConfigured = stored.secret !== undefined && stored.secret !== '';
  const authState = await (sources.authState ?? fileAuthState(home)).read();
  const auth = authStatusOf(authState, settings, { secret: secretConfigured, certificateEnd: stored.certificateEnd });
  const tokenScopes = stored.store ? await cachedTokenScopes(stored.store, authState.account?.homeAccountId, settings.account.clientId) : undefined;
  const evidence = evidenceFor(await readEvidence(home), settings.account.clientId);
  const status = await service.status();
  const timeZone = service.rules.dailyReport.timeZone;
  const time = (ms: number | null | undefined) => formatTime(ms, timeZone);
  const serverTimeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const deliveries = await service.deliveries({ limit: 25 });
  // An indexed lookup (notifications_kind), not a scan of the latest 500 e-mails.
  const lastTest = deliveries.find((d) => d.notification.kind === 'test') ?? (await service.deliveries({ kind: 'test', limit: 1 }))[0];
  const context = diagnoseContext(settings);
  const registrationRecord = await loadRegistrationRecord(home, settings.account.clientId);
  const checklist = buildChecklist({
    registration: registrationRecord ? reviewRegistration(registrationRecord, settings, now, (ms) => time(ms)) : undefined,
    settings,
    problems,
    auth,
    tokenScopes,
    evidence,
    lastTest,
    service: status,
    adminConsentUrl: adminConsentUrl(context),
    formatTime: (ms) => time(ms),
  });
  const events = new Map<number, StoredEvent>();
  for (const d of deliveries) {
    for (const id of d.eventIds.slice(0, 5)) {
      const event = await sources.store.eventById(id);
      if (event) events.set(id, event);
    }
  }
  const data: Omit<PageData, 'banner'> = {
    settingsFile: settingsPath(home),
    settingsExist: settingsExist || fileError !== undefined,
    fileError,
    fileSettings,
    settings,
    sources: settingsSources,
    problems,
    notificationProblems: pageProblems(parseRules(fileSettings, now).problems),
    secretConfigured,
    auth,
    checklist,
    status,
    deliveries,
    events,
    silences: await service.listSilences(),
    notifications: notificationsFormValues(fileSettings),
    local: sources.local,
    registerRedirectUri: redirectUri(settings),
    pageRedirectUri: sources.pageRedirectUri,
    passwordSetAt: sources.passwordSetAt,
    deviceCode: sources.deviceCode,
    now,
    time,
    timeZoneLabel: timeZone ?? `${serverTimeZone} (the server's time zone)`,
    serverTimeZone,
    relay: await gatherRelayData(sources.store, settings),
  };
  return { ...data, banner: bannerItems(data) };
}
