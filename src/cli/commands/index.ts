import type { Command } from '../command.js';
import { holdYoungGeneration } from '../young-generation.js';

/** A command as `--help` lists it; its module (and everything it imports) loads only when it runs. */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
  /** Called by the CLI (not by loadAllCommands) before it loads the command to run it. */
  beforeRun?(): void;
}

/**
 * Every CLI command, in the order `--help` lists them. Add a new command here: its name and summary
 * (the same as in its module: test/docs/reference.test.ts checks) and how to import it. Loading only
 * the command that runs keeps `--version`, `--help` and `explain` fast (issue 14).
 */
export const commandIndex: readonly CommandEntry[] = [
  { name: 'setup', summary: 'enter the account type, Client ID, Tenant ID and secret from the guide', load: async () => (await import('./setup.js')).setupCommand },
  { name: 'register', summary: 'create or fix the app registration through Graph as the guide says (an administrator signs in once)', load: async () => (await import('./register.js')).registerCommand },
  { name: 'secret', summary: 'rotate the client secret (app-only) with no gap in sending', load: async () => (await import('./secret.js')).secretCommand },
  { name: 'certificate', summary: 'app-only: sign in with a certificate instead of a client secret (create or renew it)', load: async () => (await import('./certificate.js')).certificateCommand },
  { name: 'login', summary: 'sign in (browser, or --device-code for servers without one)', load: async () => (await import('./login.js')).loginCommand },
  { name: 'logout', summary: 'forget the signed-in account and its tokens', load: async () => (await import('./login.js')).logoutCommand },
  { name: 'status', summary: 'account, token health, refresh-token age, secret expiry, queue depth, last delivery', load: async () => (await import('./status.js')).statusCommand },
  { name: 'test', summary: 'send a test e-mail through exactly the configured path', load: async () => (await import('./send.js')).testCommand },
  { name: 'send', summary: 'send one e-mail through Microsoft Graph', load: async () => (await import('./send.js')).sendCommand },
  { name: 'event', summary: 'submit an event (to the running service, else straight into the store)', load: async () => (await import('./event.js')).eventCommand },
  {
    name: 'serve',
    summary: 'run the service: event API, settings page, delivery worker',
    load: async () => (await import('./serve.js')).serveCommand,
    // Before the service's modules load: their start-up would grow the young generation for good (young-generation.ts).
    beforeRun: holdYoungGeneration,
  },
  { name: 'page', summary: 'print a new one-time sign-in link to the settings page', load: async () => (await import('./page.js')).pageCommand },
  { name: 'smtp', summary: 'SMTP relay users (add, list, remove) and a test message through the relay', load: async () => (await import('./smtp.js')).smtpCommand },
  { name: 'service', summary: 'install, remove or check the service that starts at boot (systemd, Windows)', load: async () => (await import('./service.js')).serviceCommand },
  { name: 'store', summary: 'migrate the store\'s schema, or copy a SQLite store into PostgreSQL', load: async () => (await import('./store.js')).storeCommand },
  { name: 'backup', summary: 'save settings, store and encrypted secrets to one file (optionally portable with a passphrase)', load: async () => (await import('./backup.js')).backupCommand },
  { name: 'restore', summary: 'restore a backup into the home directory', load: async () => (await import('./backup.js')).restoreCommand },
  { name: 'silence', summary: 'hold back e-mails for matching alerts for a while (add, list, remove)', load: async () => (await import('./silence.js')).silenceCommand },
  { name: 'preview', summary: 'show the e-mail an event type produces (subject and text, or --html)', load: async () => (await import('./preview.js')).previewCommand },
  { name: 'token', summary: 'make a new API token for the service (the old one stops working)', load: async () => (await import('./token.js')).tokenCommand },
  { name: 'doctor', summary: 'live checks: settings, authority, token, Mail.Send, test send', load: async () => (await import('./doctor.js')).doctorCommand },
  { name: 'config', summary: 'show the settings (secrets masked) or check them against the guide', load: async () => (await import('./config.js')).configCommand },
  { name: 'emulator', summary: 'run the Entra ID + Graph mail emulator alone', load: async () => (await import('./emulator.js')).emulatorCommand },
  { name: 'demo', summary: 'emulator + service wired together on loopback (what `npm start` runs)', load: async () => (await import('./demo.js')).demoCommand },
  { name: 'explain', summary: 'explain an Entra ID or Graph error and how to fix it', load: async () => (await import('./explain.js')).explainCommand },
];

/** Every command, loaded (the generated reference pages and tests). */
export async function loadAllCommands(): Promise<Command[]> {
  return Promise.all(commandIndex.map((entry) => entry.load()));
}
