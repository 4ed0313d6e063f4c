import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { openAuthSession, signInWithDeviceCode } from '../../auth/index.js';
import { readSettingsFile, saveSettings } from '../../config/index.js';
import type { RunningEmulator } from 'o365-notify-emulator';
import { createLogger } from '../../infra/index.js';
import { rotateApiToken, createAdminLink, startService, type RunningService } from '../../server/index.js';
import { parseCommandArgs, writeLine, type CliContext, type Command } from '../command.js';

// The demo tenant's mailboxes; written out (not taken from the emulator's DEMO_DOMAIN) so that
// the usage text loads nothing: the emulator package is imported only when the demo runs.
const SENDER = 'alerts@contoso.onmicrosoft.com';
const RECIPIENT = 'it-team@contoso.onmicrosoft.com';

const usage = `Usage: o365-notify demo [--dir DIR] [--emulator-port 8443] [--port 8025] [--smtp-port 2525]

What \`npm start\` runs: the Entra ID + Graph emulator with its demo tenant and the service wired
to it, signed in as ${SENDER} through the emulator's real device-code flow (approved
automatically), all on 127.0.0.1. Prints the service URL, the settings page link, the emulator's
mailbox page, the API token and a curl line that posts an ImageManager event.
  --dir DIR            where the demo keeps its settings and data (default ./.o365-notify-demo);
                       never your real o365-notify home
  --emulator-port N    emulator port (default 8443; a free one if taken)
  --port N             service port (default 8025; a free one if taken)
  --smtp-port N        SMTP relay port (default 2525; a free one if taken)`;

/** Listens on the preferred port, or on any free one when it is taken. */
async function onPreferredPort<T>(preferred: number, start: (port: number) => Promise<T>): Promise<T> {
  try {
    return await start(preferred);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return start(0);
  }
}

/** The port if nothing listens there on loopback, else 0 (any free one). */
function portOrAny(port: number): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(0));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(port)));
  });
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'emulator + service wired together on loopback (what `npm start` runs)',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values } = parseCommandArgs(args, {
      dir: { type: 'string' },
      'emulator-port': { type: 'string', default: '8443' },
      port: { type: 'string', default: '8025' },
      'smtp-port': { type: 'string', default: '2525' },
    });
    const home = resolve(values.dir ?? '.o365-notify-demo');
    const env = { ...ctx.env, O365_NOTIFY_HOME: home };
    const say = (text = '') => writeLine(ctx.stdout, text);

    // Lazily: the emulator (fastify routes, node-forge CA) is its own package, loaded by no other command.
    const { approveFromControl, DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID, startEmulator } = await import('o365-notify-emulator');
    if (!SENDER.endsWith(`@${DEMO_DOMAIN}`)) throw new Error(`the demo's sender ${SENDER} is not in the emulator's demo tenant ${DEMO_DOMAIN}`);
    let emulator: RunningEmulator | undefined;
    let service: RunningService | undefined;
    try {
      say('Starting the Entra ID + Graph emulator (demo tenant contoso.onmicrosoft.com)...');
      emulator = await onPreferredPort(Number(values['emulator-port']), (port) =>
        startEmulator({ dataDir: join(home, 'emulator'), port, behaviour: { deviceCodeIntervalSeconds: 1 } }),
      );
      const emu = emulator;

      // The settings a person would enter with `setup` after following the guide. The account and
      // endpoints are the demo tenant's at every start (the emulator's port may change); recipients
      // and notification settings saved on the page are kept from one start to the next.
      const file = await readSettingsFile(home, env);
      const settings = file.settings;
      settings.account = { type: 'single-tenant', clientId: DEMO_APPS.singleTenant, tenantId: DEMO_TENANT_ID, auth: 'device-code' };
      const firstStart = !file.exists;
      if (firstStart || settings.mail.to.length === 0) settings.mail.to = [RECIPIENT];
      settings.endpoints = { emulator: emu.url, emulatorCa: emu.caPath };
      settings.service = { ...settings.service, host: '127.0.0.1', port: Number(values.port) };
      // Short waits so the demo's e-mails show up within seconds.
      settings.otherSections.notifications ??= { group_wait: '5s', group_interval: '30s', repeat_interval: '10m' };
      await saveSettings(home, settings, env);

      say(`Signing in as ${SENDER} through the emulator's device-code flow...`);
      const session = await openAuthSession({ home, env });
      const signedIn = await signInWithDeviceCode(session, {
        timeoutSeconds: 60,
        // What a person does on the /devicelogin page, done for them.
        onCode: (info) => {
          setImmediate(() => approveFromControl(emu.context, info.userCode, SENDER, false));
        },
      });

      const logger = createLogger({ name: 'o365-notify', level: 'warn' });
      // The SMTP relay is on in the demo (smtp.enabled need not be set); loopback needs no AUTH.
      const smtpPort = await portOrAny(Number(values['smtp-port']));
      service = await onPreferredPort(Number(values.port), (port) => startService({ home, env, port, logger, smtp: true, smtpPort }));
      const { token } = await rotateApiToken(home);
      const adminLink = createAdminLink({ home, baseUrl: () => service!.url });
      const event = JSON.stringify({
        type: 'imagemanager.verification_failed',
        severity: 'critical',
        agent: 'SRV-FILES01',
        folder: 'D:\\Backups\\SRV-FILES01',
        summary: 'Verification failed for 3 images: checksum mismatch',
      });

      say();
      say(`o365-notify demo is running (data in ${home}).`);
      say(`  Signed in as:       ${signedIn.account.username} (tenant ${signedIn.account.tenantId})`);
      say(`  Service:            ${service.url}   (API under /api/v1, /healthz, /metrics)`);
      say(`  Settings page:      ${adminLink}   (one-time sign-in link, valid 15 minutes)`);
      say(`  Mailboxes:          ${emu.url}/_emulator/   (the emulator's CA: ${emu.caPath})`);
      say(`  API token:          ${token}   (new at each demo start: the previous one no longer works)`);
      if (!firstStart) say(`  Kept from before:   recipients (${settings.mail.to.join(', ')}) and notification settings; the account is reset to the demo tenant`);
      if (service.relay) say(`  SMTP relay:         ${service.relay.host} port ${service.relay.port} (STARTTLS; no AUTH needed from this machine)`);
      say();
      say('Post an ImageManager event; the e-mail appears on the mailbox page within seconds:');
      say(`  curl -sS -X POST ${service.url}/api/v1/events -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' -d '${event}'`);
      if (service.relay) {
        say();
        say('Send a mail through the SMTP relay, as ImageManager does (it arrives on the mailbox page):');
        say(`  swaks --server ${service.relay.host}:${service.relay.port} --tls --from ${SENDER} --to ${RECIPIENT} --header 'Subject: ImageManager relay test' --body 'Sent through the o365-notify SMTP relay'`);
      }
      say();
      say('Press Ctrl+C to stop.');

      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      return 0;
    } finally {
      await service?.close();
      await emulator?.close();
    }
  },
};
