import type { UndeliveredTally } from './events.js';

/**
 * The store's in-memory count of undelivered events (what the API's 429 check reads without a
 * query). Exact for this instance's own writes; other instances on the database write too, so it
 * is also counted again from the table periodically (PgStore's refresh) and after a rollback.
 */
export class StoreTally implements UndeliveredTally {
  value = 0;

  constructor(private readonly recount: () => void) {}

  add(delta: number): void {
    this.value = Math.max(0, this.value + delta);
  }

  reset(count: number): void {
    this.value = count;
  }

  invalidate(): void {
    this.recount();
  }
}

/**
 * A unit of work's changes to the count, applied to the store's at COMMIT and dropped at
 * ROLLBACK (the rows they counted are gone with it). `value` reads as the store's figure would
 * be if the unit committed now.
 */
export class UnitTally implements UndeliveredTally {
  private delta = 0;
  /** A count taken inside the unit (it sees the unit's own rows): the figure from then on. */
  private base: number | undefined;
  private stale = false;

  constructor(private readonly store: StoreTally) {}

  get value(): number {
    return (this.base ?? this.store.value) + this.delta;
  }

  add(delta: number): void {
    this.delta += delta;
  }

  reset(count: number): void {
    this.base = count;
    this.delta = 0;
  }

  invalidate(): void {
    this.stale = true;
  }

  /** At COMMIT. */
  applyTo(store: StoreTally): void {
    if (this.stale) store.invalidate();
    else if (this.base !== undefined) store.reset(this.base + this.delta);
    else store.add(this.delta);
  }
}

/** The store's repositories' tally: the unit's while inside a unit of work's function (see ContextualQueryable), else the store's. */
export class ContextualTally implements UndeliveredTally {
  constructor(
    private readonly store: StoreTally,
    private readonly current: () => UnitTally | undefined,
  ) {}

  private get target(): UndeliveredTally {
    return this.current() ?? this.store;
  }

  get value(): number {
    return this.target.value;
  }

  add(delta: number): void {
    this.target.add(delta);
  }

  reset(count: number): void {
    this.target.reset(count);
  }

  invalidate(): void {
    this.target.invalidate();
  }
}
