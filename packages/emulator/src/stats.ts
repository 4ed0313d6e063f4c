/** Counters the tests and benchmarks read from GET /_emulator/stats. */
export class Stats {
  requestsByEndpoint: Record<string, number> = {};
  tokenGrantsByType: Record<string, number> = {};
  throttled429 = 0;
  messagesDelivered = 0;
  /** Messages accepted (202) and then answered with a non-delivery report over a sending limit. */
  nonDeliveryReports = 0;
  /** Current and peak in-flight Graph requests per mailbox (key: app + mailbox). */
  private inFlight = new Map<string, number>();
  peakConcurrencyByMailbox: Record<string, number> = {};

  countRequest(endpoint: string): void {
    this.requestsByEndpoint[endpoint] = (this.requestsByEndpoint[endpoint] ?? 0) + 1;
  }

  countGrant(grantType: string): void {
    this.tokenGrantsByType[grantType] = (this.tokenGrantsByType[grantType] ?? 0) + 1;
  }

  /** Marks a request to a mailbox as started; returns the number now in flight. */
  enterMailbox(key: string): number {
    const now = (this.inFlight.get(key) ?? 0) + 1;
    this.inFlight.set(key, now);
    if (now > (this.peakConcurrencyByMailbox[key] ?? 0)) this.peakConcurrencyByMailbox[key] = now;
    return now;
  }

  leaveMailbox(key: string): void {
    const now = (this.inFlight.get(key) ?? 1) - 1;
    if (now <= 0) this.inFlight.delete(key);
    else this.inFlight.set(key, now);
  }

  inFlightFor(key: string): number {
    return this.inFlight.get(key) ?? 0;
  }

  snapshot() {
    return {
      requestsByEndpoint: { ...this.requestsByEndpoint },
      tokenGrantsByType: { ...this.tokenGrantsByType },
      peakConcurrencyByMailbox: { ...this.peakConcurrencyByMailbox },
      throttled429: this.throttled429,
      messagesDelivered: this.messagesDelivered,
      nonDeliveryReports: this.nonDeliveryReports,
    };
  }

  reset(): void {
    this.requestsByEndpoint = {};
    this.tokenGrantsByType = {};
    this.peakConcurrencyByMailbox = {};
    this.throttled429 = 0;
    this.messagesDelivered = 0;
    this.nonDeliveryReports = 0;
  }
}
