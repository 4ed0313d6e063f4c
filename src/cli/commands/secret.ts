import { trustedCa } from '../../auth/index.js';
import { authorityHost, graphBaseUrl, loadSettings, resolveHome, saveSettings, usesEmulator } from '../../config/index.js';
import { parseDuration } from '../../notify/index.js';
import { appOnlyAnswer, GRAPH_CLI_TOOLS_APP_ID, RegistrationError, rotateSecret, saveRegistrationRecord } from '../../registration/index.js';
import { openSecretStore } from '../../secrets/index.js';
import { propagationWait } from './propagation-wait.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, UsageError, writeLine, type CliContext, type Command } from '../command.js';

const usage = `Usage: o365-notify secret rotate [--secret-expires 180d] [--propagation-wait 5m] [--bootstrap-client-id ID]

App-only: replaces the client secret without a gap. An administrator signs in once (device code,
as for \`register\`); a new secret is added to the app (Certificates & secrets), o365-notify
switches to it once it gets a token (waiting up to --propagation-wait for Entra to replicate it), then
removes the previous secrets it added itself (secrets named "o365-notify"; others stay). If the new
secret never works, it is removed again and the old one stays. A running service picks up the new
secret at its next token. The new Expires date goes into account.secretExpires.`;

export const secretCommand: Command = {
  name: 'secret',
  summary: 'rotate the client secret (app-only) with no gap in sending',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const [action, ...rest] = args;
    if (action !== 'rotate') throw new UsageError(action === undefined ? 'secret needs an action: rotate' : `Unknown secret action "${action}".`);
    const { values } = parseCommandArgs(rest, {
      'secret-expires': { type: 'string', default: '180d' },
      'propagation-wait': { type: 'string', default: '5m' },
      'bootstrap-client-id': { type: 'string', default: GRAPH_CLI_TOOLS_APP_ID },
    });
    const lifetimeMs = parseDuration(values['secret-expires']);
    if (lifetimeMs === undefined || lifetimeMs <= 0) throw new UsageError(`--secret-expires must be a duration such as 180d, not "${values['secret-expires']}"`);
    const propagationMs = propagationWait(values['propagation-wait']);
    const home = resolveHome(ctx.home, ctx.env);
    const settings = await loadSettings(home, ctx.env);
    const { clientId, tenantId, auth } = settings.account;
    if (auth !== 'app-only' || !clientId || !tenantId) {
      writeLine(ctx.stderr, 'Only app-only sign-in uses a client secret (account.auth: app-only, with account.clientId and account.tenantId). The delegated sign-in of the guide needs none.');
      return EXIT_FAILED;
    }
    const secrets = await openSecretStore(home, ctx.env);
    const previous = await secrets.getClientSecret();
    const ca = await trustedCa(settings);
    try {
      const result = await rotateSecret({
        appId: clientId,
        tenant: tenantId,
        lifetimeMs,
        bootstrapClientId: values['bootstrap-client-id'],
        loginHost: authorityHost(settings),
        graphBase: graphBaseUrl(settings),
        ca,
        emulator: usesEmulator(settings),
        tryNew: async (value) => {
          await secrets.setClientSecret(value);
          return appOnlyAnswer(home, ctx.env, settings, secrets);
        },
        propagationMs,
        restorePrevious: async () => (previous === undefined ? secrets.clearClientSecret() : secrets.setClientSecret(previous)),
        onCode: (message) => writeLine(ctx.stdout, message),
        onProgress: (line) => writeLine(ctx.stdout, line),
      });
      if (result.record) await saveRegistrationRecord(home, result.record);
      settings.account.secretExpires = result.endDateTime.slice(0, 10);
      await saveSettings(home, settings, ctx.env);
      writeLine(ctx.stdout, `The new secret is in use; account.secretExpires is ${settings.account.secretExpires}.`);
      return EXIT_OK;
    } catch (err) {
      if (!(err instanceof RegistrationError)) throw err;
      writeLine(ctx.stderr, err.message);
      return EXIT_FAILED;
    }
  },
};
