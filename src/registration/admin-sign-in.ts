import { LogLevel, PublicClientApplication } from '@azure/msal-node';
import { createNetworkClient } from '../auth/index.js';
import { diagnose, formatDiagnosis } from '../diagnose/index.js';
import { RegistrationError } from './directory-client.js';

/**
 * Microsoft Graph Command Line Tools (the Graph PowerShell SDK's own public client), which every
 * tenant can sign in to: `register` needs no app of its own to create ours.
 * https://learn.microsoft.com/powershell/microsoftgraph/authentication-commands
 */
export const GRAPH_CLI_TOOLS_APP_ID = '14d82eec-204b-4c2f-b7e8-296a70dab67e';

/** The delegated permissions each step needs (https://learn.microsoft.com/graph/permissions-reference). */
export function bootstrapScopes(grantConsent: boolean): string[] {
  return ['Application.ReadWrite.All', ...(grantConsent ? ['DelegatedPermissionGrant.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All'] : [])];
}

export interface AdminSignIn {
  accessToken: string;
  tenantId: string;
  username: string;
}

/** The device code as Entra gave it, for a page that shows the code and the link itself. */
export interface DeviceCodeInfo {
  userCode: string;
  verificationUri: string;
  expiresIn: number;
}

/** Where and how an administrator signs in to change or read an app registration through Graph. */
export interface AdministratorGraph {
  tenant: string;
  /** The public client the administrator signs in to (default Microsoft Graph Command Line Tools). */
  bootstrapClientId: string;
  loginHost: string;
  graphBase: string;
  ca?: string;
  emulator: boolean;
  onCode(message: string, info?: DeviceCodeInfo): void;
}

/**
 * The administrator signs in once by device code (RFC 8628) to the bootstrap client. The token
 * stays in this process's memory: it is never written to the token cache or to disk.
 */
export async function signInAdministrator(options: {
  loginHost: string;
  tenant: string;
  clientId: string;
  scopes: string[];
  ca?: string;
  emulator: boolean;
  onCode: (message: string, info?: DeviceCodeInfo) => void;
}): Promise<AdminSignIn> {
  const { client, capture } = createNetworkClient({ ca: options.ca });
  const authority = `${options.loginHost}/${options.tenant}`;
  const pca = new PublicClientApplication({
    auth: { clientId: options.clientId, authority, knownAuthorities: options.emulator ? [new URL(authority).host] : [] },
    system: { networkClient: client, loggerOptions: { piiLoggingEnabled: false, logLevel: LogLevel.Error, loggerCallback: () => undefined } },
  });
  try {
    const result = await pca.acquireTokenByDeviceCode({ scopes: options.scopes, deviceCodeCallback: (r) => options.onCode(r.message, { userCode: r.userCode, verificationUri: r.verificationUri, expiresIn: r.expiresIn }) });
    if (!result?.accessToken || !result.tenantId) throw new RegistrationError('The administrator sign-in returned no token.');
    return { accessToken: result.accessToken, tenantId: result.tenantId, username: result.account?.username ?? '' };
  } catch (err) {
    if (err instanceof RegistrationError) throw err;
    const raw = capture.latestWithCode() ?? capture.latest();
    const context = { tenantId: options.tenant, clientId: options.clientId, authorityHost: options.loginHost };
    const diagnosis = (raw ? diagnose({ status: raw.status, body: raw.body }, context) : null) ?? diagnose(err, context);
    throw new RegistrationError(`The administrator sign-in failed: ${diagnosis ? formatDiagnosis(diagnosis) : (err as Error).message}`);
  }
}
