import { EventIntake, type EventIntakeOptions } from '../store/index.js';
import { EventValidationError, toNewEvent, validateEvents, type ValidEvent } from '../intake/index.js';
import type { ServiceCore } from './service-core.js';

/** How long routing waits after an intake commit, to take the commits of a burst together. */
const ROUTE_AFTER_COMMIT_MS = 100;

/** The way events come in: validation, then the store's group commit; routing follows the commit. */
export class ServiceIntake {
  private readonly intake: EventIntake;

  constructor(private readonly core: ServiceCore, options?: EventIntakeOptions) {
    this.intake = new EventIntake(core.store, options);
    this.intake.onCommitted = (ids) => {
      core.metrics.eventsReceived += ids.length;
      // Under load, commits come every few milliseconds: route them in batches rather than one
      // cycle per commit. group_wait is seconds, so the short delay changes no e-mail.
      core.scheduleCycle(ROUTE_AFTER_COMMIT_MS);
    };
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

  submitValid(events: readonly ValidEvent[]): Promise<number[]> {
    const receivedAt = this.core.clock();
    return this.intake.submit(events.map((e) => toNewEvent(e, receivedAt)));
  }

  /** Whether `count` more events would be accepted now (for answering 429 before reading a body). */
  hasRoomFor(count = 1): boolean {
    return this.intake.hasRoomFor(count);
  }

  /** Commits the submissions still gathering. */
  flush(): void {
    this.intake.flush();
  }
}
