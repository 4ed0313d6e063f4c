import { BlockList, isIP } from 'node:net';

/** IPv4-mapped IPv6 (`::ffff:10.1.2.3`) is the IPv4 address; brackets and zone ids removed. */
export function normalizeIp(address: string): string {
  const plain = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(plain);
  return mapped ? mapped[1]! : plain;
}

export function isLoopbackIp(address: string): boolean {
  const ip = normalizeIp(address);
  return ip === '::1' || /^127\./.test(ip);
}

/** An allow list of IP addresses and CIDR ranges (validated by config's isNetworkRange). */
export class NetworkList {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address, prefix] = entry.split('/');
      const family = isIP(address!) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.list.addAddress(address!, family);
      else this.list.addSubnet(address!, Number(prefix), family);
    }
    this.size = entries.length;
  }

  has(address: string): boolean {
    const ip = normalizeIp(address);
    const family = isIP(ip);
    if (family === 0) return false;
    return this.list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** Failed AUTH attempts per client address; at the limit the address is locked out for a while. */
export class AuthLockout {
  private readonly failures = new Map<string, { count: number; lockedUntil: number; lastAt: number }>();

  constructor(
    private readonly maxFailures: number,
    private readonly lockoutMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** When the address may try again, or undefined when it is not locked out. */
  lockedUntil(ip: string): Date | undefined {
    const entry = this.failures.get(ip);
    if (!entry || entry.lockedUntil <= this.clock()) return undefined;
    return new Date(entry.lockedUntil);
  }

  failed(ip: string): void {
    const now = this.clock();
    const entry = this.failures.get(ip) ?? { count: 0, lockedUntil: 0, lastAt: now };
    // Failures older than the lock-out period are forgotten.
    if (now - entry.lastAt > this.lockoutMs) entry.count = 0;
    entry.count++;
    entry.lastAt = now;
    if (entry.count >= this.maxFailures) {
      entry.lockedUntil = now + this.lockoutMs;
      entry.count = 0;
    }
    this.failures.set(ip, entry);
    if (this.failures.size > 10_000) this.prune(now);
  }

  succeeded(ip: string): void {
    const entry = this.failures.get(ip);
    if (entry && entry.lockedUntil <= this.clock()) this.failures.delete(ip);
  }

  private prune(now: number): void {
    for (const [ip, e] of this.failures) if (e.lockedUntil <= now && now - e.lastAt > this.lockoutMs) this.failures.delete(ip);
  }
}

/**
 * Messages per minute per key (an SMTP user, or the client address without one): a sliding window.
 * Each key's times are kept oldest first, so expiring them is O(1) per message even when the
 * limit is high (a filter over the whole minute cost a relay taking 1,000 messages a second).
 */
export class RateLimit {
  private readonly sent = new Map<string, { times: number[]; head: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Takes one message for `key`; false when the key is over its limit. */
  take(key: string): boolean {
    const now = this.clock();
    let entry = this.sent.get(key);
    if (!entry) this.sent.set(key, (entry = { times: [], head: 0 }));
    const { times } = entry;
    while (entry.head < times.length && now - times[entry.head]! >= 60_000) entry.head++;
    if (entry.head > 1024 && entry.head * 2 > times.length) {
      times.splice(0, entry.head);
      entry.head = 0;
    }
    if (times.length - entry.head >= this.perMinute) return false;
    times.push(now);
    if (this.sent.size > 10_000) {
      for (const [k, e] of this.sent) if (now - e.times[e.times.length - 1]! >= 60_000) this.sent.delete(k);
    }
    return true;
  }
}

/** Open connections per client address. */
export class ConnectionCount {
  private readonly open = new Map<string, number>();

  tryOpen(ip: string, max: number): boolean {
    const n = this.open.get(ip) ?? 0;
    if (n >= max) return false;
    this.open.set(ip, n + 1);
    return true;
  }

  close(ip: string): void {
    const n = (this.open.get(ip) ?? 1) - 1;
    if (n <= 0) this.open.delete(ip);
    else this.open.set(ip, n);
  }

  get total(): number {
    let sum = 0;
    for (const n of this.open.values()) sum += n;
    return sum;
  }
}
