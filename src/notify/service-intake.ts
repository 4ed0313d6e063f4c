import { EventValidationError, toNewEvent, validateEvents, type ValidEvent } from '../intake/index.js';
import { DEFAULT_MAX_UNDELIVERED_EVENTS, StoreSaturatedError } from './domain.js';
import type { ServiceCore } from './service-core.js';

/** How long routing waits after an intake commit, to take the commits of a burst together. */
const ROUTE_AFTER_COMMIT_MS = 100;

export interface IntakeLimits {
  /** Refuse new events while this many are undelivered (backpressure: 429, not silent loss). */
  maxUndeliveredEvents?: number;
}

/**
 * The way events come in: validation, backpressure, then the store's group commit (appendEvents:
 * submissions that arrive together share one transaction); routing follows the commit.
 */
export class ServiceIntake {
  readonly maxUndeliveredEvents: number;

  constructor(
    private readonly core: ServiceCore,
    options: IntakeLimits = {},
  ) {
    this.maxUndeliveredEvents = options.maxUndeliveredEvents ?? DEFAULT_MAX_UNDELIVERED_EVENTS;
  }

  /**
   * Validates and stores events (one or an array, as parsed from JSON). Resolves with their ids
   * once committed. Rejects with EventValidationError (400) or StoreSaturatedError (429).
   */
  async submit(input: unknown): Promise<number[]> {
    const result = validateEvents(input, this.core.clock());
    if (!result.ok) {
      this.core.metrics.submissionsRejected++;
      throw new EventValidationError(result.errors);
    }
    return this.submitValid(result.events);
  }

  async submitValid(events: readonly ValidEvent[]): Promise<number[]> {
    if (!this.hasRoomFor(events.length)) throw new StoreSaturatedError(this.core.store.undeliveredEvents(), this.maxUndeliveredEvents);
    if (events.length === 0) return [];
    const receivedAt = this.core.clock();
    const ids = await this.core.store.appendEvents(events.map((e) => toNewEvent(e, receivedAt)));
    this.core.metrics.eventsReceived += ids.length;
    // Under load, commits come every few milliseconds: route them in batches rather than one
    // cycle per commit. group_wait is seconds, so the short delay changes no e-mail.
    this.core.scheduleCycle(ROUTE_AFTER_COMMIT_MS);
    return ids;
  }

  /** Whether `count` more events would be accepted now (for answering 429 before reading a body). */
  hasRoomFor(count = 1): boolean {
    return this.core.store.undeliveredEvents() + count <= this.maxUndeliveredEvents;
  }

  /** Commits the submissions still gathering. */
  flush(): Promise<void> {
    return this.core.store.flushAppends();
  }
}
