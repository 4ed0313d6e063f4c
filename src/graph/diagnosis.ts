import { diagnose, type DiagnoseContext, type Diagnosis } from '../diagnose/index.js';
import type { GraphSendError } from './errors.js';

/**
 * The diagnosis a GraphSendError carries: the shared catalog (src/diagnose) for Graph and Entra
 * errors, and the mail client's own for what only it can know (bad input, a missing
 * Mail.ReadWrite found before sending, the network).
 */

/** What the client keeps of a failed exchange for the catalog to read. */
export type RawFailure = { status: number; body: string; headers: Record<string, unknown> } | { cause: unknown } | undefined;

const APP = 'In the Azure portal open App registrations > (your app)';

export function mailReadWriteDiagnosis(mode: 'delegated' | 'app-only', attachments: string): Diagnosis {
  const fix =
    mode === 'delegated'
      ? `${APP} > API permissions > Add a permission > Microsoft Graph > Delegated permissions, check Mail.ReadWrite, click Add permissions, and then an administrator must click "Grant admin consent for (your tenant)": \`o365-notify login\` asks only for Mail.Send, so signing in again by itself never adds Mail.ReadWrite; once an administrator has granted it, the next token carries it. Until then send attachments under 3 MB, or send without the large ones (\`send --drop-large-attachments\`).`
      : `${APP} > API permissions > Add a permission > Microsoft Graph > Application permissions, check Mail.ReadWrite, click Add permissions and then Grant admin consent for your tenant. Or send attachments under 3 MB, or turn on dropping oversize attachments.`;
  return {
    code: 'MailReadWriteRequired',
    title: 'Large attachments need Mail.ReadWrite',
    cause: `Graph accepts at most 4 MB per request, so ${attachments} must be uploaded into a draft message through an upload session, and creating that draft needs the Microsoft Graph permission Mail.ReadWrite, which the access token does not carry (Mail.Send alone only allows sendMail). Nothing was sent.`,
    fix,
    guideStep: 'api-permissions',
    known: true,
  };
}

function local(err: GraphSendError): Diagnosis | undefined {
  switch (err.code) {
    case 'InvalidMessage': {
      const recipients = (err.problems ?? []).some((p) => /^(to|cc|bcc|replyTo|from)\b/.test(p));
      return {
        code: 'InvalidMessage',
        title: recipients ? 'Invalid e-mail address' : 'Invalid message',
        cause: `The message was refused before anything was sent: ${(err.problems ?? []).join('; ')}`,
        fix: recipients
          ? 'Correct the addresses (one address per entry, like name@contoso.com) in the settings (`o365-notify setup --to ...`) or in the command.'
          : 'Correct the message as listed and send it again.',
        guideStep: recipients ? 'recipients' : 'request',
        known: true,
      };
    }
    case 'TokenAcquisitionFailed':
      return {
        code: 'TokenAcquisitionFailed',
        title: 'No access token',
        cause: 'o365-notify could not get an access token for Microsoft Graph: the sign-in has expired or been revoked, or the token endpoint could not be reached. Nothing was sent.',
        fix: 'Sign in again with `o365-notify login` (app-only: check the client secret). If the network is down, o365-notify tries again later.',
        guideStep: 'sign-in-again',
        known: true,
      };
    case 'TlsError':
      return {
        code: 'TlsError',
        title: 'Server certificate not trusted',
        cause: 'The HTTPS connection was refused because the server certificate could not be verified (a proxy that inspects TLS, a wrong system clock, or an emulator whose CA is not configured). Certificate checks are never switched off.',
        fix: 'Make the proxy\'s CA trusted by the system, correct the clock, or (emulator only) give the emulator\'s CA file.',
        guideStep: 'request',
        known: true,
      };
    case 'NetworkError':
    case 'Timeout':
      return {
        code: err.code,
        title: err.code === 'Timeout' ? 'Microsoft Graph did not answer in time' : 'Microsoft Graph could not be reached',
        cause: `The connection to Microsoft Graph failed${err.retryable ? ' repeatedly' : ''}: ${err.message}`,
        fix: 'Check the network connection, proxy and firewall (https://graph.microsoft.com on port 443 must be reachable). o365-notify tries again later.',
        guideStep: 'request',
        known: true,
      };
    default:
      return undefined;
  }
}

/** The diagnosis for a failure: the shared catalog first for anything Microsoft said, ours otherwise. */
export function diagnoseFailure(err: GraphSendError, raw: RawFailure, context: DiagnoseContext = {}): Diagnosis | undefined {
  if (err.diagnosis) return err.diagnosis;
  if (raw && 'status' in raw) return diagnose(raw, context) ?? undefined;
  if (raw && 'cause' in raw && err.code === 'TokenAcquisitionFailed') {
    // The sign-in module's errors carry their own diagnosis (not signed in, consent missing...).
    const own = (raw.cause as { diagnosis?: Diagnosis } | undefined)?.diagnosis;
    if (own && typeof own.code === 'string' && typeof own.fix === 'string') return own;
    const fromCatalog = raw.cause === undefined ? null : diagnose(raw.cause, context);
    if (fromCatalog) return fromCatalog;
  }
  if (raw && 'cause' in raw && ['NetworkError', 'TlsError', 'Timeout'].includes(err.code)) {
    // The catalog says what a proxy, TLS inspection, a firewall or DNS mean (catalog-network.ts).
    const network = diagnose(raw.cause, context);
    if (network) return network;
  }
  return local(err);
}
