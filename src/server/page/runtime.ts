import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PageAccess } from './access.js';
import { parseCookies, sessionCookie } from './cookies.js';
import { isLoopbackPeer } from './guard.js';
import type { PageContext } from './index.js';
import { gatherPageData, type PageData } from './page-data.js';
import type { SignInFlows } from './sign-in-flows.js';

/** What the page's routes share: the service's context, access control and the sign-in flows. */
export class PageRuntime {
  constructor(
    readonly context: PageContext,
    readonly access: PageAccess,
    readonly flows: SignInFlows,
  ) {}

  /** The service's port (from its base URL), '' when unknown. */
  port(): string {
    try {
      const url = new URL(this.context.baseUrl());
      return url.port || (url.protocol === 'https:' ? '443' : '80');
    } catch {
      return '';
    }
  }

  /** Cookies ignore ports: naming ours after the port keeps two services on one host apart. */
  cookieName(): string {
    const port = this.port();
    return port ? `o365-notify-page-${port}` : 'o365-notify-page';
  }

  /** Where the page's browser sign-in returns: the service itself, as `http://localhost:PORT`. */
  pageRedirectUri(): string {
    return `http://localhost:${this.port()}`;
  }

  /** The session id from the cookie when it names a live session. */
  sessionId(request: FastifyRequest): string | undefined {
    const id = parseCookies(request.headers.cookie).get(this.cookieName());
    return id && this.access.touchSession(id) ? id : undefined;
  }

  startSession(request: FastifyRequest, reply: FastifyReply): string {
    const id = this.access.createSession();
    reply.header('set-cookie', sessionCookie(this.cookieName(), id, { maxAge: this.access.sessionMaxAgeSeconds, secure: request.protocol === 'https' }));
    return id;
  }

  endSession(request: FastifyRequest, reply: FastifyReply): void {
    this.access.endSession(parseCookies(request.headers.cookie).get(this.cookieName()));
    reply.header('set-cookie', sessionCookie(this.cookieName(), '', { maxAge: 0 }));
  }

  async gather(request: FastifyRequest): Promise<PageData> {
    return gatherPageData({
      home: this.context.home,
      env: this.context.env,
      service: this.context.service,
      store: this.context.store,
      local: isLoopbackPeer(request),
      pageRedirectUri: this.pageRedirectUri(),
      passwordSetAt: await this.access.passwordSetAt().catch(() => undefined),
      deviceCode: this.flows.deviceCodeStatus(),
      // Shared by the instances on PostgreSQL, else the home's file (the session knows which).
      authState: (await this.context.authSession()).authState,
    });
  }
}
