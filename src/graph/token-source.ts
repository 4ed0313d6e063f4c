import type { AccessTokenResult, TokenProvider } from './token-provider.js';

/** A token and the refresh generation it belongs to (tokens from before a forced refresh are older). */
export interface HeldToken {
  token: AccessTokenResult;
  generation: number;
}

/**
 * The client's side of the TokenProvider: asks it before every request (it answers from its
 * cache) and, when Graph refuses a token, forces one refresh shared by every send holding a token
 * from before it - a burst of 401s costs one call to the token endpoint, not one per message.
 */
export class TokenSource {
  private refreshing: Promise<AccessTokenResult> | undefined;
  private generation = 0;
  private latest: AccessTokenResult | undefined;
  forcedRefreshes = 0;

  constructor(private readonly provider: TokenProvider) {}

  async get(): Promise<HeldToken> {
    // A refresh in flight has already moved the generation on: its token belongs to the new one.
    const generation = this.generation;
    const token = await (this.refreshing ?? this.provider.getAccessToken());
    return { token, generation };
  }

  /** A fresh token after Graph refused one of `rejectedGeneration`. */
  async refreshAfterRejection(rejectedGeneration: number): Promise<HeldToken> {
    if (this.refreshing) return { token: await this.refreshing, generation: this.generation };
    if (this.generation > rejectedGeneration && this.latest) return { token: this.latest, generation: this.generation };
    this.generation += 1;
    this.forcedRefreshes += 1;
    const generation = this.generation;
    this.refreshing = this.provider
      .getAccessToken({ forceRefresh: true })
      .then((token) => {
        this.latest = token;
        return token;
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return { token: await this.refreshing, generation };
  }
}
