import { trustedCa } from '../../auth/index.js';
import { authorityHost, graphBaseUrl, loadSettings, resolveHome, usesEmulator } from '../../config/index.js';
import { parseDuration } from '../../notify/index.js';
import {
  appOnlyAnswer,
  certificateFacts,
  GRAPH_CLI_TOOLS_APP_ID,
  manualUploadLines,
  newClientCertificate,
  RegistrationError,
  saveRegistrationRecord,
  uploadCertificate,
  writeCertificateFile,
} from '../../registration/index.js';
import { openSecretStore } from '../../secrets/index.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, UsageError, writeLine, type CliContext, type Command } from '../command.js';
import { propagationWait } from './propagation-wait.js';

const usage = `Usage: o365-notify certificate create [--expires 180d] [--no-upload] [--propagation-wait 5m] [--bootstrap-client-id ID]
       o365-notify certificate rotate [--expires 180d] [--propagation-wait 5m] [--bootstrap-client-id ID]

App-only: a certificate instead of the client secret (Microsoft's recommendation for services). Makes
a key pair and a self-signed certificate, keeps the private key encrypted like the secret (it never
leaves this computer), and uploads the certificate to the app (Certificates & secrets >
Certificates) after an administrator signs in once (device code, as for \`register\`). o365-notify
switches to it once it gets a token, then removes the certificates it uploaded before; from then on
the sign-in uses the certificate (private_key_jwt), not the secret. When the new certificate never
gets a token (or the administrator may not change the app), nothing changes. Running it again makes
a new one: \`certificate rotate\` is the same for a certificate already in use (the renewal by hand).
status, doctor and the page warn account.secretRotateDays (default 30) before the certificate's own
end date; the service renews it by itself then when the app may (\`register --self-rotate\`: addKey
with a proof signed by the certificate in use, then removeKey of the old one).

--no-upload, or an administrator who may not change the app (Authorization_RequestDenied): the
certificate's public part is written to <home>/certificate-<thumbprint>.cer for you to upload in
App registrations > your app > Certificates & secrets > Certificates > Upload certificate; the
private key is stored and used from then on, and \`o365-notify doctor\` confirms it after the upload.`;

export const certificateCommand: Command = {
  name: 'certificate',
  summary: 'app-only: sign in with a certificate instead of a client secret (create or renew it)',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const [action, ...rest] = args;
    if (action !== 'create' && action !== 'rotate') throw new UsageError(action === undefined ? 'certificate needs an action: create or rotate' : `Unknown certificate action "${action}".`);
    const { values } = parseCommandArgs(rest, {
      expires: { type: 'string', default: '180d' },
      'propagation-wait': { type: 'string', default: '5m' },
      'bootstrap-client-id': { type: 'string', default: GRAPH_CLI_TOOLS_APP_ID },
      'no-upload': { type: 'boolean', default: false },
    });
    const lifetimeMs = parseDuration(values.expires);
    if (lifetimeMs === undefined || lifetimeMs <= 0) throw new UsageError(`--expires must be a duration such as 180d, not "${values.expires}"`);
    const propagationMs = propagationWait(values['propagation-wait']);
    const home = resolveHome(ctx.home, ctx.env);
    const settings = await loadSettings(home, ctx.env);
    const { clientId, tenantId, auth } = settings.account;
    if (auth !== 'app-only' || !clientId || !tenantId) {
      writeLine(ctx.stderr, 'Only app-only sign-in uses a certificate (account.auth: app-only, with account.clientId and account.tenantId). The delegated sign-in of the guide needs none.');
      return EXIT_FAILED;
    }
    const secrets = await openSecretStore(home, ctx.env);
    const previous = await secrets.getClientCertificate();
    if (action === 'rotate' && !previous) {
      writeLine(ctx.stderr, 'No certificate is in use yet, so there is none to rotate: run `o365-notify certificate create` first.');
      return EXIT_FAILED;
    }
    const certificate = newClientCertificate(clientId, lifetimeMs);
    /** The portal route: the private key stored and in use, the public part in a file to upload by hand. */
    const manual = async (why: string): Promise<number> => {
      await secrets.setClientCertificate(certificate);
      const file = await writeCertificateFile(home, certificate.certificatePem);
      if (why) writeLine(ctx.stdout, why);
      for (const line of manualUploadLines(file, certificateFacts(certificate.certificatePem), clientId)) writeLine(ctx.stdout, line);
      return EXIT_OK;
    };
    if (values['no-upload']) return manual('');
    try {
      const result = await uploadCertificate({
        appId: clientId,
        tenant: tenantId,
        certificate,
        bootstrapClientId: values['bootstrap-client-id'],
        loginHost: authorityHost(settings),
        graphBase: graphBaseUrl(settings),
        ca: await trustedCa(settings),
        emulator: usesEmulator(settings),
        propagationMs,
        tryNew: async (next) => {
          await secrets.setClientCertificate(next);
          return appOnlyAnswer(home, ctx.env, settings, secrets);
        },
        restorePrevious: async () => (previous ? secrets.setClientCertificate(previous) : secrets.clearClientCertificate()),
        onCode: (message) => writeLine(ctx.stdout, message),
        onProgress: (line) => writeLine(ctx.stdout, line),
      });
      if (result.record) await saveRegistrationRecord(home, result.record);
      writeLine(ctx.stdout, `The certificate is in use (until ${result.endDateTime.slice(0, 10)}); the private key is stored encrypted. The client secret is no longer used: delete it in Certificates & secrets when you like.`);
      return EXIT_OK;
    } catch (err) {
      if (!(err instanceof RegistrationError)) throw err;
      if (err.code === 'Authorization_RequestDenied') {
        return manual(`The certificate was not uploaded: the account that signed in may not change the app (Authorization_RequestDenied). Upload it yourself instead, as below.`);
      }
      writeLine(ctx.stderr, `${err.message} Nothing changed here: the credential in use stays.`);
      return EXIT_FAILED;
    }
  },
};
