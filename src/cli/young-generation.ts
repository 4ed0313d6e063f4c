import { createRequire } from 'node:module';
import type V8 from 'node:v8';

/**
 * Issue 14: the idle service within 100 MB RSS. Start-up (loading fastify, msal, the routes' schemas,
 * opening the store) allocates in bursts that make V8 double its young generation up to 2 x 16 MB,
 * and those pages stay resident while the service sits idle (~20-30 MB of the idle RSS; V8's own
 * memory reducer gives them back only after ~25 s). So `serve` holds the young generation at its
 * first size while it starts, and lets it grow again (V8's default factor, 2) once it listens:
 * under load it grows as before, the peak is unchanged.
 *
 * --semi-space-growth-factor is read by V8 each time the young generation would grow
 * (`node --v8-options`); one given on the command line or in NODE_OPTIONS is left alone.
 */
const FLAG = '--semi-space-growth-factor';
/** node:v8 when serve starts, not in every command's start-up (main imports this file). */
const v8 = (): typeof V8 => createRequire(import.meta.url)('node:v8') as typeof V8;
const V8_DEFAULT_GROWTH = 2;

function chosenByUser(): boolean {
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes(FLAG) || a.includes('semi_space_growth_factor'));
}

let held = false;

export function holdYoungGeneration(): void {
  if (held || chosenByUser()) return;
  v8().setFlagsFromString(`${FLAG}=1`);
  held = true;
}

export function releaseYoungGeneration(): void {
  if (!held) return;
  v8().setFlagsFromString(`${FLAG}=${V8_DEFAULT_GROWTH}`);
  held = false;
}
