import { createMailClient, type MailClientOptions } from '../../../src/graph/mail-client.js';
import type { AccessTokenResult, TokenProvider } from '../../../src/graph/token-provider.js';
import { FakeClock } from './fake-clock.js';
import { FakeTransport, type Responder } from './fake-transport.js';

/** A provider that hands out `token-1`, `token-2`... (a new one per forced refresh) and counts calls. */
export class CountingTokenProvider implements TokenProvider {
  calls = 0;
  forcedRefreshes = 0;
  private version = 1;

  constructor(
    private readonly scopes: string[] = ['Mail.Send', 'Mail.ReadWrite'],
    private readonly tokenFor: (version: number) => string = (v) => `token-${v}`,
  ) {}

  async getAccessToken(options?: { forceRefresh?: boolean }): Promise<AccessTokenResult> {
    this.calls += 1;
    if (options?.forceRefresh) {
      this.forcedRefreshes += 1;
      this.version += 1;
    }
    return { accessToken: this.tokenFor(this.version), expiresOn: new Date(Date.now() + 3_600_000), scopes: this.scopes, account: 'alerts@contoso.com' };
  }
}

/** A mail client over a scripted transport and a fake clock (no sockets, no real waiting). */
export function fakeClient(responder: Responder, options: Partial<MailClientOptions> = {}) {
  const clock = new FakeClock();
  const transport = new FakeTransport(responder);
  const tokenProvider = (options.tokenProvider as CountingTokenProvider | undefined) ?? new CountingTokenProvider();
  const client = createMailClient({
    baseUrl: 'https://graph.example.test/v1.0',
    mode: 'delegated',
    random: () => 0.5,
    pacing: { messagesPerMinute: 6000 },
    ...options,
    tokenProvider,
    clock,
    transport,
  });
  return { client, clock, transport, tokenProvider: tokenProvider as CountingTokenProvider };
}

/** A JWT-shaped token (unsigned) carrying the given claims, as Entra puts scp/roles in Graph tokens. */
export function jwtWith(claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}
