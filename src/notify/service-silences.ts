import { randomUUID } from 'node:crypto';
import type { SilenceRow } from './domain.js';
import { hasControlCharacters } from '../shared/index.js';
import { MATCHER_LABELS, type Matchers } from './matchers.js';
import { reviewAllGroups } from './pipeline.js';
import type { NotificationRules } from './rules.js';
import { pipelineContext, type ServiceCore } from './service-core.js';

export interface SilenceInput {
  /** Label -> pattern, as sent (API, page, CLI): add() checks each label and value. */
  matchers: Matchers | Readonly<Record<string, unknown>>;
  /** ms since the epoch, or an ISO 8601 string. */
  endsAt: number | string;
  startsAt?: number | string;
  comment?: string;
  createdBy?: string;
}

export class SilenceValidationError extends Error {
  /** What was refused, for forms that show it next to their field: a matcher label, 'matchers', 'endsAt' or 'startsAt'. */
  readonly field: string;
  constructor(message: string, field: string) {
    super(message);
    this.field = field;
    this.name = 'SilenceValidationError';
  }
}

/** Silences added through the CLI, the API and the page (those of the settings file come with the rules). */
export class ServiceSilences {
  constructor(private readonly core: ServiceCore) {}

  async add(input: SilenceInput): Promise<SilenceRow> {
    const now = this.core.clock();
    const matchers: Matchers = {};
    for (const [key, value] of Object.entries(input.matchers ?? {})) {
      if (!(MATCHER_LABELS as readonly string[]).includes(key)) {
        throw new SilenceValidationError(`"${key}" is not a silence matcher; use ${MATCHER_LABELS.join(', ')}`, key);
      }
      if (typeof value !== 'string' || value === '' || value.length > 1024 || hasControlCharacters(value)) {
        throw new SilenceValidationError(`the ${key} matcher must be a non-empty pattern on one line (* matches anything)`, key);
      }
      matchers[key as keyof Matchers] = value;
    }
    if (Object.keys(matchers).length === 0) {
      throw new SilenceValidationError('a silence needs at least one of type, agent, folder, severity: a silence of everything would hide every alert', 'matchers');
    }
    const toMs = (v: number | string | undefined, name: string, field: string): number | undefined => {
      if (v === undefined) return undefined;
      const ms = typeof v === 'number' ? v : Date.parse(v);
      if (!Number.isFinite(ms)) throw new SilenceValidationError(`${name} must be a date-time such as 2025-07-01T18:00:00Z`, field);
      return ms;
    };
    const endsAt = toMs(input.endsAt, 'the end time', 'endsAt')!;
    const startsAt = toMs(input.startsAt, 'the start time', 'startsAt') ?? now;
    if (endsAt <= now || endsAt <= startsAt) throw new SilenceValidationError('the end time must be in the future (and after the start)', 'endsAt');
    const silence: SilenceRow = {
      id: randomUUID(),
      matchers,
      startsAt,
      endsAt,
      comment: (input.comment ?? '').slice(0, 500),
      createdBy: (input.createdBy ?? '').slice(0, 200),
      createdAt: now,
      removedAt: null,
    };
    await this.core.store.silences.add(silence);
    return silence;
  }

  /** Ends a silence now; what it held back goes out at its groups' next turn. */
  async remove(id: string): Promise<boolean> {
    const removed = await this.core.store.silences.removeById(id, this.core.clock());
    if (removed && this.core.groupWork) {
      await reviewAllGroups(pipelineContext(this.core), this.core.clock());
      this.core.scheduleCycle();
    }
    return removed;
  }

  /** Silences added through the CLI/API (newest first) and those from the settings file. */
  async list(): Promise<{ store: SilenceRow[]; settings: NotificationRules['silences'] }> {
    return { store: await this.core.store.silences.list(), settings: this.core.rules().silences };
  }
}
