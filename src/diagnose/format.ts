import type { Diagnosis } from './diagnose.js';
import { GUIDE_STEP_INFO } from './guide-steps.js';

/**
 * The diagnosis as text for people: what happened, why, how to fix, which guide step.
 * Used by every command, the service log and `explain`.
 */
export function formatDiagnosis(d: Diagnosis): string {
  const step = GUIDE_STEP_INFO[d.guideStep];
  const lines = [`What happened: ${d.code} - ${d.title}`];
  if (d.description) lines.push(`  Microsoft's message: ${d.description}`);
  lines.push(`Why: ${d.cause}`);
  lines.push(`How to fix: ${d.fix}`);
  if (d.adminConsentUrl) lines.push(`Admin consent URL: ${d.adminConsentUrl}`);
  if (d.retryAfterSeconds !== undefined) lines.push(`Retry after: ${d.retryAfterSeconds} seconds`);
  lines.push(
    d.known
      ? `Guide step: ${step.title} (${d.guideStep}) - ${step.where}`
      : `Guide step: ${step.title} (${d.guideStep}) - a best guess: o365-notify's catalog has no entry for ${d.code}`,
  );
  return lines.join('\n');
}
