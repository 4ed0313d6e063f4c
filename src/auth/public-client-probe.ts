import { readFile } from 'node:fs/promises';
import { authorityFor, DELEGATED_SCOPES, usesEmulator, type Settings } from '../config/index.js';
import { diagnose, type Diagnosis } from '../diagnose/index.js';
import { createNetworkClient } from './network-client.js';
import { diagnoseContext } from './errors.js';

/**
 * Asks Microsoft Entra ID whether the app may use public client flows (the guide's "Allow public
 * client flows = Yes"), without anyone signing in: request a device code as device-code sign-in
 * does, then poll once. Entra checks the setting when the device polls: `authorization_pending`
 * means Yes; AADSTS7000218 means No. The unused code simply expires.
 */
export interface PublicClientFlowsProbe {
  /** null: Entra's answer did not tell (the diagnosis says why, e.g. an unknown Client ID). */
  allowed: boolean | null;
  diagnosis?: Diagnosis;
}

interface OAuthBody {
  device_code?: string;
  error?: string;
}

export async function probePublicClientFlows(settings: Settings): Promise<PublicClientFlowsProbe> {
  const ca = usesEmulator(settings) && settings.endpoints.emulatorCa ? await readFile(settings.endpoints.emulatorCa, 'utf8') : undefined;
  const { client } = createNetworkClient({ ca, timeoutMs: 15_000 });
  const authority = authorityFor(settings);
  const context = diagnoseContext(settings);
  const clientId = settings.account.clientId ?? '';
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  const failure = (status: number, body: unknown): PublicClientFlowsProbe => ({
    allowed: null,
    diagnosis: diagnose({ status, body: JSON.stringify(body) }, context) ?? undefined,
  });

  const code = await client.sendPostRequestAsync<OAuthBody>(`${authority}/oauth2/v2.0/devicecode`, {
    headers,
    body: new URLSearchParams({ client_id: clientId, scope: DELEGATED_SCOPES.join(' ') }).toString(),
  });
  if (code.status !== 200 || !code.body.device_code) return failure(code.status, code.body);

  const poll = await client.sendPostRequestAsync<OAuthBody>(`${authority}/oauth2/v2.0/token`, {
    headers,
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: clientId,
      device_code: code.body.device_code,
    }).toString(),
  });
  if (poll.body.error === 'authorization_pending' || poll.body.error === 'slow_down') return { allowed: true };
  const result = failure(poll.status, poll.body);
  return result.diagnosis?.guideStep === 'public-client-flows' ? { ...result, allowed: false } : result;
}
