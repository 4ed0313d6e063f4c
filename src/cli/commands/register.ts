import { ACCOUNT_TYPES, AUTH_MODES, isDomainName, isGuid, PERSONAL_ACCOUNTS_REFUSAL, readSettingsFile, REFUSED_ACCOUNT_TYPE, type AccountType, type AuthMode } from '../../config/index.js';
import { parseDuration } from '../../notify/index.js';
import { exchangeScopeLines, GRAPH_CLI_TOOLS_APP_ID, registerAndSave, RegistrationError } from '../../registration/index.js';
import { openSecretStore } from '../../secrets/index.js';
import { isEmailAddress } from '../../shared/index.js';
import { propagationWait } from './propagation-wait.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, UsageError, writeLine, type CliContext, type Command } from '../command.js';

const usage = `Usage: o365-notify register [--account-type single-tenant] [--auth device-code] [--tenant-id ID]
                          [--client-id ID] [--name ImageManager] [--grant-admin-consent] [--check]
                          [--large-attachments] [--secret-expires 180d] [--sender ADDRESS]
                          [--propagation-wait 5m] [--self-rotate]
                          [--to ADDRESS] [--bootstrap-client-id ID] [--emulator URL --emulator-ca FILE]

Does the guide's portal work for you: an administrator of the tenant signs in once (device code)
to Microsoft Graph Command Line Tools, and o365-notify creates the app registration through
Microsoft Graph exactly as the guide says - the supported account type, the redirect URI
http://localhost under Mobile and desktop applications, Allow public client flows: Yes, and the
delegated Microsoft Graph permission Mail.Send (--large-attachments adds Mail.ReadWrite; --auth
app-only asks for the application permission Mail.Send and adds a client secret, stored encrypted,
never shown). --grant-admin-consent also grants admin consent. Run again, it finds the app (by
--client-id, or by name and the note it left) and fixes only what differs from the guide, saying
each change in the portal's words. Then it writes the settings, as \`setup\` does. --check only reads
the registration and lists what differs from the guide (and expired secrets), changing nothing;
exit 1 when something differs.

--self-rotate (app-only) also asks for the application permission Application.ReadWrite.OwnedBy and,
with --grant-admin-consent, makes the app an owner of itself: the service then renews its own client
secret, or its certificate (\`certificate create\`), account.secretRotateDays (default 30) before it
expires.

A new app or secret takes a while to reach Entra ID's sign-in service (AADSTS700016 / AADSTS7000215
meanwhile): register then asks it every few seconds, saying so, for up to --propagation-wait.

The administrator needs Application Administrator or Cloud Application Administrator (or "Users can
register applications" left on), and for consent Privileged Role Administrator, Cloud Application
Administrator or Global Administrator. A tenant that blocks Graph Command Line Tools: register a
public client of your own for this once, and pass it with --bootstrap-client-id.`;

function accountType(value: string): AccountType {
  if (value === REFUSED_ACCOUNT_TYPE) throw new UsageError(PERSONAL_ACCOUNTS_REFUSAL);
  if (!(ACCOUNT_TYPES as readonly string[]).includes(value)) throw new UsageError(`--account-type must be one of ${ACCOUNT_TYPES.join(', ')}, not "${value}"`);
  return value as AccountType;
}

function authMode(value: string): AuthMode {
  if (!(AUTH_MODES as readonly string[]).includes(value)) throw new UsageError(`--auth must be one of ${AUTH_MODES.join(', ')}, not "${value}"`);
  return value as AuthMode;
}

export const registerCommand: Command = {
  name: 'register',
  summary: 'create or fix the app registration through Graph as the guide says (an administrator signs in once)',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values } = parseCommandArgs(args, {
      'account-type': { type: 'string', default: 'single-tenant' },
      auth: { type: 'string', default: 'device-code' },
      'tenant-id': { type: 'string' },
      'client-id': { type: 'string' },
      name: { type: 'string', default: 'ImageManager' },
      'grant-admin-consent': { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      'large-attachments': { type: 'boolean', default: false },
      'self-rotate': { type: 'boolean', default: false },
      'secret-expires': { type: 'string', default: '180d' },
      'propagation-wait': { type: 'string', default: '5m' },
      sender: { type: 'string' },
      to: { type: 'string', multiple: true },
      'bootstrap-client-id': { type: 'string', default: GRAPH_CLI_TOOLS_APP_ID },
      emulator: { type: 'string' },
      'emulator-ca': { type: 'string' },
    });
    const type = accountType(values['account-type']);
    const auth = authMode(values.auth);
    const tenant = values['tenant-id'];
    if (tenant !== undefined && !isGuid(tenant) && !isDomainName(tenant)) throw new UsageError(`--tenant-id must be the Directory (tenant) ID or a verified domain, not "${tenant}"`);
    if (auth === 'app-only' && tenant === undefined) throw new UsageError('--auth app-only needs --tenant-id: an app-only sign-in is always to one tenant.');
    for (const id of [values['client-id'], values['bootstrap-client-id']]) {
      if (id !== undefined && !isGuid(id)) throw new UsageError(`"${id}" is not an Application (client) ID (a GUID from the app's Overview page)`);
    }
    const propagationMs = propagationWait(values['propagation-wait']);
    const lifetimeMs = parseDuration(values['secret-expires']);
    if (lifetimeMs === undefined || lifetimeMs <= 0) throw new UsageError(`--secret-expires must be a duration such as 180d, not "${values['secret-expires']}"`);
    for (const address of [...(values.to ?? []), ...(values.sender ? [values.sender] : [])]) {
      if (!isEmailAddress(address)) throw new UsageError(`"${address}" is not an e-mail address`);
    }
    if (values['self-rotate'] && auth !== 'app-only') throw new UsageError('--self-rotate is for --auth app-only: the delegated sign-in of the guide uses no secret.');
    if (auth === 'app-only' && !values.sender) throw new UsageError('--auth app-only needs --sender ADDRESS: the mailbox the e-mails are sent from.');

    const read = await readSettingsFile(ctx.home, ctx.env);
    const settings = read.settings;
    if (values.emulator !== undefined) settings.endpoints.emulator = values.emulator;
    if (values['emulator-ca'] !== undefined) settings.endpoints.emulatorCa = values['emulator-ca'];
    const secrets = await openSecretStore(read.home, ctx.env);
    try {
      const { result } = await registerAndSave({
        home: read.home,
        env: ctx.env,
        fileSettings: settings,
        endpoints: settings.endpoints,
        secrets,
        request: {
          accountType: type,
          auth,
          displayName: values.name,
          tenant,
          clientId: values['client-id'],
          grantAdminConsent: values['grant-admin-consent'],
          checkOnly: values.check,
          largeAttachments: values['large-attachments'],
          selfRotate: values['self-rotate'],
          secretLifetimeMs: lifetimeMs,
          propagationMs,
          sender: values.sender,
          to: values.to,
          bootstrapClientId: values['bootstrap-client-id'],
        },
        onCode: (message) => writeLine(ctx.stdout, message),
        onProgress: (line) => writeLine(ctx.stdout, line),
      });
      if (values.check) return result.changes.length === 0 ? EXIT_OK : EXIT_FAILED;
      if (auth === 'app-only' && result.consent !== 'not-asked' && result.servicePrincipalId && values.sender) {
        writeLine(ctx.stdout, '\nGraph cannot limit an app-only app to one mailbox; Exchange Online can (run in Exchange Online PowerShell):');
        for (const line of exchangeScopeLines(result.appId, result.servicePrincipalId, values.sender)) writeLine(ctx.stdout, `  ${line}`);
      }
      writeLine(ctx.stdout, `\nNext: ${auth === 'app-only' ? '`o365-notify test`' : `\`o365-notify login${auth === 'device-code' ? ' --device-code' : ''}\` (as the mailbox that sends), then \`o365-notify test\``}.`);
      return EXIT_OK;
    } catch (err) {
      if (!(err instanceof RegistrationError)) throw err;
      writeLine(ctx.stderr, err.message);
      return EXIT_FAILED;
    }
  },
};
