/**
 * What the history benches share (bench/history.ts, bench/ingest-history.ts):
 * a store of one size in a temp dir, closed and removed after; a row per size with its ratio to
 * the smallest. And what every bench takes: medians; the output when a bench runs alone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store, type StoreOptions } from '../src/store/index.js';
import type { BenchSection } from './run.js';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** `run` with a fresh store in a temp dir (`prefix` names it); the store closed and the dir removed whatever happens. */
export async function withTempStore<T>(prefix: string, options: StoreOptions, run: (store: Store, dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `o365-bench-${prefix}-`));
  const store = openStore(join(dir, 'store.db'), options);
  try {
    return await run(store, dir);
  } finally {
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * One row per size: its figure and the ratio to the first size's, checked against `limit`
 * (`higherIsBetter`: a rate, at least 1/limit of the first; else a time, at most limit times it).
 */
export function ratioRows<F>(
  figures: F[],
  label: (f: F) => string,
  pick: (f: F) => number,
  show: (f: F, ratio: number) => string,
  limit: { ratio: number; text: string; higherIsBetter?: boolean },
): BenchSection['rows'] {
  const base = figures[0]!;
  return figures.map((f) => {
    const ratio = pick(f) / pick(base);
    const met = limit.higherIsBetter ? ratio >= 1 / limit.ratio : ratio <= limit.ratio;
    return [label(f), show(f, ratio), f === base ? '' : limit.text, f === base ? null : met];
  });
}

/** The output of `node --import tsx bench/<name>.ts`. */
export function printSection(section: BenchSection): void {
  for (const [name, value, target, met] of section.rows) console.log(`${name}: ${value} ${target} ${met === null ? '' : met ? 'MET' : 'NOT MET'}`);
  for (const note of section.notes ?? []) console.log(note);
}
