import { issueGraphAccessToken } from '../../packages/emulator/src/access-token.js';
import { DEMO_APPS, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import type { HttpResult, TestEmulator } from '../support/emulator.js';

/** Helpers for the Graph mail tests: tokens minted in-process, messages, mailbox reads. */

export const DOMAIN = 'contoso.onmicrosoft.com';
export const ALERTS = `alerts@${DOMAIN}`;
export const IT_TEAM = `it-team@${DOMAIN}`;
export const ADMIN = `admin@${DOMAIN}`;
export const NO_MAILBOX = `nomailbox@${DOMAIN}`;

export async function delegatedToken(
  emu: TestEmulator,
  upn: string,
  scopes: string[] = ['Mail.Send', 'User.Read'],
  options: { clientId?: string; lifetimeSeconds?: number } = {},
): Promise<string> {
  const directory = emu.context.directory;
  const user = directory.findUser(upn);
  if (!user) throw new Error(`no user ${upn}`);
  const app = directory.requireApp(options.clientId ?? DEMO_APPS.singleTenant);
  const { token } = await issueGraphAccessToken(emu.context, {
    app,
    tenantId: user.tenantId,
    user,
    scopes,
    lifetimeSeconds: options.lifetimeSeconds,
  });
  return token;
}

export async function appToken(emu: TestEmulator, roles: string[] = ['Mail.Send'], tenantId = DEMO_TENANT_ID): Promise<string> {
  const app = emu.context.directory.requireApp(DEMO_APPS.appOnly);
  const { token } = await issueGraphAccessToken(emu.context, { app, tenantId, roles });
  return token;
}

export function bearer(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, ...extra };
}

export function to(...addresses: string[]): { emailAddress: { address: string } }[] {
  return addresses.map((address) => ({ emailAddress: { address } }));
}

export function mail(recipients: string[], extra: Record<string, unknown> = {}): { message: Record<string, unknown> } {
  return {
    message: {
      subject: 'Backup verification failed',
      body: { contentType: 'Text', content: 'Image chain C:\\backups\\srv01 failed verification.' },
      toRecipients: to(...recipients),
      ...extra,
    },
  };
}

/** The Graph error envelope of a response, asserting its shape. */
export function graphError(res: HttpResult): { code: string; message: string; innerError: Record<string, string> } {
  const body = res.json();
  if (!body.error || typeof body.error.code !== 'string' || typeof body.error.message !== 'string') {
    throw new Error(`not a Graph error envelope: ${res.text}`);
  }
  if (!body.error.innerError?.['request-id'] || !body.error.innerError?.date) throw new Error(`no innerError: ${res.text}`);
  return body.error;
}

/** Messages as GET /_emulator/mailboxes/{address}/messages returns them (shape: controlMessage). */
export async function messagesOf(emu: TestEmulator, address: string, query = ''): Promise<any[]> {
  const res = await emu.call('GET', `/_emulator/mailboxes/${encodeURIComponent(address)}/messages${query}`);
  if (res.status !== 200) throw new Error(`mailbox ${address}: ${res.status} ${res.text}`);
  return res.json();
}
