import { randomUUID } from 'node:crypto';
import type { NotifyStore } from './store-port.js';
import type { NotifyLogger } from '../infra/index.js';
import type { DeliveryWorker } from '../delivery/index.js';
import type { NotifyMetrics } from './metrics.js';
import type { PipelineContext } from './pipeline.js';
import type { TemplateSet } from './render.js';
import type { NotificationRules } from './rules.js';

/**
 * What the parts of NotificationService (intake, scheduling, health notices, silences, queries)
 * share. The service owns it; each part gets it at construction and reads the live values through
 * the functions (the rules change with the settings, `running` with start/stop).
 */
export interface ServiceCore {
  readonly store: NotifyStore;
  readonly templates: TemplateSet;
  readonly clock: () => number;
  readonly logger: NotifyLogger;
  readonly metrics: NotifyMetrics;
  readonly worker: DeliveryWorker;
  readonly maxAlertsPerEmail: number;
  /** False for a service built on the store without the running one (the CLI's fallback). */
  readonly groupWork: boolean;
  /** The rules in force now. */
  rules(): NotificationRules;
  running(): boolean;
  /** Starts background delivery now (a no-op unless running). */
  kickDelivery(): void;
  /** Runs the pipeline soon (a no-op unless running). */
  scheduleCycle(delayMs?: number): void;
}

/** The pipeline stages' view of the service at this moment. */
export function pipelineContext(core: ServiceCore): PipelineContext {
  return {
    store: core.store,
    rules: core.rules(),
    templates: core.templates,
    newId: randomUUID,
    logger: core.logger,
    maxAlertsPerEmail: core.maxAlertsPerEmail,
  };
}
