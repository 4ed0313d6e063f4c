import type { Severity } from './domain.js';

/** Labels an alert is matched on (routes and silences). */
export interface AlertLabels {
  type: string;
  agent: string;
  folder: string;
  severity: Severity;
}

export const MATCHER_LABELS = ['type', 'agent', 'folder', 'severity'] as const;
export type MatcherLabel = (typeof MATCHER_LABELS)[number];

/** Label -> pattern; `*` matches any run of characters, `?` one. Case-insensitive (Windows names are). */
export type Matchers = Partial<Record<MatcherLabel, string>>;

const compiled = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  let re = compiled.get(glob);
  if (!re) {
    const body = glob
      .split('')
      .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, 'is');
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(glob, re);
  }
  return re;
}

export function globMatches(pattern: string, value: string): boolean {
  return globToRegExp(pattern).test(value);
}

/** Every given matcher must match; an empty set matches everything. */
export function matchesAll(matchers: Matchers, labels: AlertLabels): boolean {
  for (const label of MATCHER_LABELS) {
    const pattern = matchers[label];
    if (pattern !== undefined && !globMatches(pattern, labels[label])) return false;
  }
  return true;
}

export function describeMatchers(matchers: Matchers): string {
  const parts = MATCHER_LABELS.filter((l) => matchers[l] !== undefined).map((l) => `${l}=${matchers[l]}`);
  return parts.length === 0 ? 'everything' : parts.join(', ');
}
