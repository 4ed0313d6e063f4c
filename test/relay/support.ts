import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { readSettingsFile, saveSettings, type SmtpSettings } from '../../src/config/index.js';
import type { EmulatorOptions } from '../../packages/emulator/src/index.js';
import { openStore } from '../../src/store/index.js';
import { addRelayUser } from '../../src/relay/index.js';
import type { RunningService } from '../../src/server/index.js';
import { serviceStorePath } from '../../src/server/paths.js';
import { testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { serviceHome, startTestService, waitFor } from '../server/helpers.js';
import { startServiceProcess, type ServiceProcess } from '../reliability/support.js';
import { freePort } from './smtp-session.js';

/** An SMTP user in the home's store (what `smtp user add` does). */
export async function addUser(home: string, name: string, password: string, lists: { allowedFrom?: string[]; allowedRecipients?: string[] } = {}): Promise<void> {
  const store = openStore(serviceStorePath(home));
  try {
    await addRelayUser(store.relay, { name, password, ...lists });
  } finally {
    store.close();
  }
}

/** nodemailer with STARTTLS required, trusting the relay's generated certificate. */
export async function mailer(port: number, certificatePath: string, auth?: { user: string; pass: string }) {
  const ca = await readFile(certificatePath, 'utf8');
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, requireTLS: true, auth, tls: { ca, servername: 'localhost' } });
}

/** The outbox row id in the relay's acceptance, "250 2.6.0 Queued as ID: ...". */
export function queuedId(response: string): string {
  const id = /Queued as (\S+):/.exec(response)?.[1];
  if (!id) throw new Error(`not a relay acceptance: ${JSON.stringify(response)}`);
  return id;
}

/** Waits for the relay message's outbox row to fail; the row (lastError, diagnosis). */
export function failedRow(svc: RunningService, id: string, what: string) {
  return waitFor(() => {
    const r = svc.store.outbox.get(id)!;
    return r.status === 'failed' ? r : undefined;
  }, what);
}

/** Every inbox that holds a message with this subject: who received it. */
export async function receivedBy(emu: TestEmulator, subject: string): Promise<Map<string, any>> {
  const out = new Map<string, any>();
  for (const box of (await emu.call('GET', '/_emulator/mailboxes')).json() as { address: string }[]) {
    const messages = (await emu.call('GET', `/_emulator/mailboxes/${box.address}/messages?folder=inbox&includeContent=1`)).json() as any[];
    const m = messages.find((x) => x.subject === subject);
    if (m) out.set(box.address, m);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Start-up shared by the relay tests: emulator, home, SMTP users and settings, the service

export interface TempHome {
  home: string;
  cleanup: () => Promise<void>;
}

export interface RelayUser {
  name: string;
  password: string;
  allowedFrom?: string[];
  allowedRecipients?: string[];
}

export interface RelayHomeOptions {
  /** Options for the emulator, e.g. a seed. */
  emulator?: Partial<EmulatorOptions>;
  /** How the home is made; by default serviceHome: signed in as alerts@, e-mails to it-team@. */
  home?: (emu: TestEmulator) => Promise<TempHome>;
  /** SMTP users added to the home's store, as `smtp user add` does. */
  users?: RelayUser[];
  /** The `smtp:` section saved into the home's settings file. */
  smtp?: SmtpSettings;
}

export interface RelayHome {
  emu: TestEmulator;
  home: TempHome;
  /** Stops everything the fixture started, newest first. */
  close: () => Promise<void>;
}

export interface RelayService extends RelayHome {
  /** The in-process service; its relay listens on a free loopback port (svc.relay.port). */
  svc: RunningService;
}

export interface RelayProcess extends RelayHome {
  /** The real `serve` process. */
  svc: ServiceProcess;
  /** The relay's SMTP port. */
  port: number;
  /** The relay's generated certificate, for the clients to trust. */
  cert: string;
}

/** Writes `smtp:` into the home's settings file (the rest of the file kept). */
export async function saveSmtpSettings(home: string, smtp: SmtpSettings): Promise<void> {
  const { settings } = await readSettingsFile(home, testEnv(home));
  settings.smtp = smtp;
  await saveSettings(home, settings, testEnv(home));
}

/**
 * Runs a fixture's start-up, recording how to stop each thing it starts. A start-up that fails
 * stops what it had started before rethrowing: the `after` hook never gets a `close` to call.
 */
async function startUp<T extends object>(steps: (stopLater: (stop: () => Promise<unknown>) => void) => Promise<T>): Promise<T & { close: () => Promise<void> }> {
  const stops: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const stop of stops.splice(0)) await stop();
  };
  try {
    return { ...(await steps((stop) => stops.unshift(stop))), close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function prepareHome(options: RelayHomeOptions, stopLater: (stop: () => Promise<unknown>) => void): Promise<Omit<RelayHome, 'close'>> {
  const emu = await startTestEmulator(options.emulator);
  stopLater(() => emu.stop());
  const home = await (options.home ?? serviceHome)(emu);
  stopLater(() => home.cleanup());
  for (const { name, password, ...lists } of options.users ?? []) await addUser(home.home, name, password, lists);
  if (options.smtp) await saveSmtpSettings(home.home, options.smtp);
  return { emu, home };
}

/** The emulator and a home ready for the relay; the test starts the service itself. */
export function relayHome(options: RelayHomeOptions = {}): Promise<RelayHome> {
  return startUp((stopLater) => prepareHome(options, stopLater));
}

/** The emulator, the home and the in-process service with its relay on a free port. */
export function startRelayService(options: RelayHomeOptions = {}): Promise<RelayService> {
  return startUp(async (stopLater) => {
    const prepared = await prepareHome(options, stopLater);
    const { svc } = await startTestService(prepared.home.home, { smtpPort: 0 });
    stopLater(() => svc.close());
    return { ...prepared, svc };
  });
}

/**
 * The emulator, the home and the real `serve` process with its relay on a free port: turned on
 * by the environment (O365_NOTIFY_SMTP_ENABLED, O365_NOTIFY_SMTP_PORT, plus `env`), or with
 * `portFlag` by `serve --smtp-port` alone.
 */
export function startRelayProcess(options: RelayHomeOptions & { env?: Record<string, string>; portFlag?: boolean } = {}): Promise<RelayProcess> {
  return startUp(async (stopLater) => {
    const prepared = await prepareHome(options, stopLater);
    const port = await freePort();
    const svc = options.portFlag
      ? await startServiceProcess(prepared.home.home, options.env, ['--smtp-port', String(port)])
      : await startServiceProcess(prepared.home.home, { O365_NOTIFY_SMTP_ENABLED: 'true', O365_NOTIFY_SMTP_PORT: String(port), ...options.env });
    stopLater(() => svc.stop());
    return { ...prepared, svc, port, cert: join(prepared.home.home, 'relay-tls', 'relay-cert.pem') };
  });
}
