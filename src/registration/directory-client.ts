import type { HttpTransport } from '../graph/index.js';
import type { GraphApplication } from './desired.js';

/** A refusal or failure of `register`, in words that say what to do. */
export class RegistrationError extends Error {
  constructor(message: string, readonly status?: number, readonly code?: string) {
    super(message);
    this.name = 'RegistrationError';
  }
}

/** What the administrator's account may lack, per step, in the Entra admin center's role names. */
const ROLE_FOR: Record<string, string> = {
  application:
    'Application Administrator or Cloud Application Administrator (Entra admin center > Identity > Roles & admins), ' +
    'or "Users can register applications: Yes" (Identity > Users > User settings)',
  consent: 'Privileged Role Administrator, Cloud Application Administrator or Global Administrator',
};

export interface ServicePrincipal {
  id: string;
  appId: string;
}

/** Graph's directory calls `register` makes, with the administrator's token. */
export class DirectoryClient {
  constructor(
    private readonly graphBase: string,
    private readonly token: string,
    private readonly transport: HttpTransport,
  ) {}

  private async call<T>(method: string, path: string, step: string, body?: unknown, role: keyof typeof ROLE_FOR = 'application'): Promise<{ status: number; json: T | undefined }> {
    let res;
    try {
      res = await this.transport.request({
        method,
        url: `${this.graphBase}${path}`,
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
        timeoutMs: 30_000,
      });
    } catch (err) {
      throw new RegistrationError(`Could not ${step}: Microsoft Graph did not answer (${(err as Error).message}). Check the network to graph.microsoft.com and run register again.`);
    }
    const text = res.body.toString('utf8');
    const json = text ? (JSON.parse(text) as T) : undefined;
    if (res.status >= 200 && res.status < 300) return { status: res.status, json };
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (res.status === 404) return { status: 404, json: undefined };
    if (res.status === 403 && error?.code === 'Authorization_RequestDenied') {
      throw new RegistrationError(
        `Could not ${step}: Microsoft Graph refused it (403 Authorization_RequestDenied: ${error.message ?? ''}). ` +
          `The account you signed in with needs ${ROLE_FOR[role]}. Sign in with such an account, ask an administrator to run ` +
          '`o365-notify register`, or register the app by hand as the guide describes (README, "Set up with a real tenant").',
        403,
        error.code,
      );
    }
    throw new RegistrationError(`Could not ${step}: Microsoft Graph answered ${res.status} ${error?.code ?? ''}: ${error?.message ?? text.slice(0, 300)}`, res.status, error?.code);
  }

  async applicationByAppId(appId: string): Promise<GraphApplication | undefined> {
    return (await this.call<GraphApplication>('GET', `/applications(appId='${encodeURIComponent(appId)}')`, `read the app registration ${appId}`)).json;
  }

  async applicationsNamed(displayName: string): Promise<GraphApplication[]> {
    const filter = encodeURIComponent(`displayName eq '${displayName.replace(/'/g, "''")}'`);
    return (await this.call<{ value: GraphApplication[] }>('GET', `/applications?$filter=${filter}`, 'look for the app registration')).json?.value ?? [];
  }

  async createApplication(body: Record<string, unknown>): Promise<GraphApplication> {
    const { json } = await this.call<GraphApplication>('POST', '/applications', 'create the app registration (App registrations > New registration)', body);
    if (!json) throw new RegistrationError('Microsoft Graph created the app registration but returned no object; run register again to find it.');
    return json;
  }

  async patchApplication(id: string, body: Record<string, unknown>): Promise<void> {
    await this.call('PATCH', `/applications/${encodeURIComponent(id)}`, 'change the app registration', body);
  }

  async addPassword(id: string, displayName: string, endDateTime: string): Promise<{ keyId: string; secretText: string; endDateTime: string }> {
    const { json } = await this.call<{ keyId: string; secretText: string; endDateTime: string }>(
      'POST',
      `/applications/${encodeURIComponent(id)}/addPassword`,
      'add a client secret (Certificates & secrets > New client secret)',
      { passwordCredential: { displayName, endDateTime } },
    );
    if (!json?.secretText) throw new RegistrationError('Microsoft Graph returned no secret value for the new client secret.');
    return json;
  }

  async removePassword(id: string, keyId: string): Promise<void> {
    await this.call('POST', `/applications/${encodeURIComponent(id)}/removePassword`, 'remove a client secret (Certificates & secrets > Delete)', { keyId });
  }

  /**
   * addKey: an app adds a certificate to itself, proving it holds a valid one already (`proof`,
   * key-proof.ts). https://learn.microsoft.com/graph/api/application-addkey
   */
  async addKey(id: string, certificateDer: Buffer, displayName: string, proof: string): Promise<{ keyId: string; endDateTime?: string }> {
    const { json } = await this.call<{ keyId: string; endDateTime?: string }>(
      'POST',
      `/applications/${encodeURIComponent(id)}/addKey`,
      'add a certificate (Certificates & secrets > Certificates)',
      { keyCredential: { type: 'AsymmetricX509Cert', usage: 'Verify', key: certificateDer.toString('base64'), displayName }, passwordCredential: null, proof },
    );
    if (!json?.keyId) throw new RegistrationError('Microsoft Graph returned no keyId for the new certificate.');
    return json;
  }

  /** removeKey, with the same kind of proof (https://learn.microsoft.com/graph/api/application-removekey). */
  async removeKey(id: string, keyId: string, proof: string): Promise<void> {
    await this.call('POST', `/applications/${encodeURIComponent(id)}/removeKey`, 'remove a certificate (Certificates & secrets > Certificates > Delete)', { keyId, proof });
  }

  async servicePrincipal(appId: string): Promise<ServicePrincipal | undefined> {
    return (await this.call<ServicePrincipal>('GET', `/servicePrincipals(appId='${encodeURIComponent(appId)}')`, 'read the enterprise application')).json;
  }

  async createServicePrincipal(appId: string): Promise<ServicePrincipal> {
    const { json } = await this.call<ServicePrincipal>('POST', '/servicePrincipals', 'create the enterprise application (service principal)', { appId });
    return json!;
  }

  async grantDelegated(clientSpId: string, graphSpId: string, scope: string): Promise<void> {
    await this.call('POST', '/oauth2PermissionGrants', 'grant admin consent (API permissions > Grant admin consent)', { clientId: clientSpId, consentType: 'AllPrincipals', resourceId: graphSpId, scope }, 'consent');
  }

  async assignAppRole(clientSpId: string, graphSpId: string, appRoleId: string): Promise<void> {
    await this.call('POST', `/servicePrincipals/${encodeURIComponent(graphSpId)}/appRoleAssignedTo`, 'grant admin consent for the application permission', { principalId: clientSpId, resourceId: graphSpId, appRoleId }, 'consent');
  }

  /** Delegated permission grants of the app's enterprise application (consent for all users or one). */
  async delegatedGrants(clientSpId: string): Promise<{ consentType: string; scope: string }[]> {
    const filter = encodeURIComponent(`clientId eq '${clientSpId}'`);
    return (await this.call<{ value: { consentType: string; scope: string }[] }>('GET', `/oauth2PermissionGrants?$filter=${filter}`, 'read the admin consent (API permissions)', undefined, 'consent')).json?.value ?? [];
  }

  /** App roles (application permissions) granted to the app's enterprise application. */
  async appRoleAssignments(clientSpId: string): Promise<{ appRoleId: string }[]> {
    return (await this.call<{ value: { appRoleId: string }[] }>('GET', `/servicePrincipals/${encodeURIComponent(clientSpId)}/appRoleAssignments`, 'read the admin consent (API permissions)', undefined, 'consent')).json?.value ?? [];
  }

  /** Makes a directory object (here: the app's own service principal) an owner of the app. */
  async addOwner(applicationId: string, ownerObjectId: string): Promise<void> {
    await this.call(
      'POST',
      `/applications/${encodeURIComponent(applicationId)}/owners/$ref`,
      'make the app an owner of itself (App registrations > Owners)',
      { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${ownerObjectId}` },
    );
  }
}
