/**
 * Faults injected through POST /_emulator/faults: they hit the next N requests to an
 * endpoint, or every matching request for a time window, optionally at random.
 */
export type FaultKind = 'throttle' | 'error' | 'reset' | 'slow' | 'resetAfter' | 'errorAfter';

export interface FaultSpec {
  /** Endpoint name ('graph.sendMail'), family prefix ('graph', 'entra') or '*'. */
  endpoint: string;
  kind: FaultKind;
  /** HTTP status for 'throttle' (default 429) and 'error' (default 503). */
  status?: number;
  /** Retry-After header value in seconds ('throttle', and 'error' with 503/504). */
  retryAfterSeconds?: number;
  /** 'slow': delay before the request is handled. */
  delayMs?: number;
  /** Applies to the next `count` matching requests... */
  count?: number;
  /** ...or to every matching request for this many seconds (emulator clock). */
  durationSeconds?: number;
  /**
   * 'error' on a Graph endpoint: the Graph error code and message to answer with (default
   * ServiceUnavailable), e.g. ErrorQuotaExceeded, so each catalog diagnosis is reached end to end.
   */
  code?: string;
  message?: string;
  /** Fraction of matching requests hit (default 1). */
  probability?: number;
}

interface ActiveFault extends FaultSpec {
  id: number;
  remaining: number | undefined;
  expiresAt: number | undefined;
}

/**
 * 'resetAfter' and 'errorAfter' (issue 13.8): the request is processed in full (a sendMail is
 * delivered) and then the connection is reset, or the answer replaced by 504 GatewayTimeout, as a
 * gateway between client and Exchange can do: the client cannot tell it was accepted.
 */
const KINDS: FaultKind[] = ['throttle', 'error', 'reset', 'slow', 'resetAfter', 'errorAfter'];

/** Returns a list of problems with a fault spec from the control API (empty when valid). */
export function validateFaultSpec(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return ['body must be a JSON object'];
  const spec = body as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof spec.endpoint !== 'string' || spec.endpoint === '') problems.push('endpoint: a name like "graph.sendMail", "graph", "entra.token" or "*"');
  if (!KINDS.includes(spec.kind as FaultKind)) problems.push(`kind: one of ${KINDS.join(', ')}`);
  for (const key of ['status', 'retryAfterSeconds', 'delayMs', 'count', 'durationSeconds'] as const) {
    if (spec[key] !== undefined && (typeof spec[key] !== 'number' || !Number.isFinite(spec[key]) || (spec[key] as number) < 0)) {
      problems.push(`${key}: a non-negative number`);
    }
  }
  if (spec.code !== undefined && (typeof spec.code !== 'string' || !/^[A-Za-z][A-Za-z0-9_.]{0,99}$/.test(spec.code))) problems.push('code: a Graph error code like "ErrorQuotaExceeded", or on entra.token an AADSTS code like "AADSTS50196"');
  if (spec.message !== undefined && (typeof spec.message !== 'string' || spec.message.length > 1000)) problems.push('message: a string of at most 1000 characters');
  if (spec.probability !== undefined && (typeof spec.probability !== 'number' || spec.probability < 0 || spec.probability > 1)) {
    problems.push('probability: a number from 0 to 1');
  }
  if (spec.count === undefined && spec.durationSeconds === undefined) problems.push('count or durationSeconds is required');
  return problems;
}

export class Faults {
  private active: ActiveFault[] = [];
  private nextId = 1;

  constructor(
    private readonly now: () => number,
    private readonly random: () => number = Math.random,
  ) {}

  add(spec: FaultSpec): number {
    const id = this.nextId++;
    this.active.push({
      ...spec,
      id,
      remaining: spec.count,
      expiresAt: spec.durationSeconds === undefined ? undefined : this.now() + spec.durationSeconds * 1000,
    });
    return id;
  }

  clear(): void {
    this.active = [];
  }

  list(): FaultSpec[] {
    this.prune();
    return this.active.map(({ remaining, expiresAt: _e, id: _i, ...spec }) => ({ ...spec, count: remaining }));
  }

  /** The fault that hits this request, if any; consumes one use of a counted fault. */
  take(endpoint: string): FaultSpec | undefined {
    this.prune();
    for (const fault of this.active) {
      if (!matches(fault.endpoint, endpoint)) continue;
      if (fault.probability !== undefined && this.random() >= fault.probability) continue;
      if (fault.remaining !== undefined) fault.remaining -= 1;
      return fault;
    }
    return undefined;
  }

  private prune(): void {
    const now = this.now();
    this.active = this.active.filter(
      (f) => (f.remaining === undefined || f.remaining > 0) && (f.expiresAt === undefined || f.expiresAt > now),
    );
  }
}

function matches(pattern: string, endpoint: string): boolean {
  return pattern === '*' || pattern === endpoint || endpoint.startsWith(pattern + '.');
}
