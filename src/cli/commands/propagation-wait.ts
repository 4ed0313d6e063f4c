import { parseDuration } from '../../notify/index.js';
import { UsageError } from '../command.js';

/** --propagation-wait: how long a new app or secret may take to reach Entra ID's token service. */
export function propagationWait(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new UsageError(`--propagation-wait must be a duration such as 5m or 90s, not "${value}"`);
  return ms;
}
