/**
 * A three-way merge of msal-node's serialized caches (sections Account, IdToken, AccessToken,
 * RefreshToken, AppMetadata, each a map of entity key to entity), for a write that lost the race
 * to another writer: keep every entity the other writer stored, and apply on top only what this
 * writer changed since it read `base` (added, replaced or removed). An entity both changed is
 * this writer's: it was issued by the token endpoint just now, after the other writer read.
 */
type Sections = Record<string, unknown>;

function parse(json: string | undefined): Sections {
  if (!json) return {};
  const value = JSON.parse(json) as unknown;
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Sections) : {};
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function mergeTokenCaches(base: string | undefined, ours: string, theirs: string | undefined): string {
  const b = parse(base);
  const o = parse(ours);
  const result = parse(theirs);
  for (const section of new Set([...Object.keys(b), ...Object.keys(o)])) {
    const bs = b[section];
    const os = o[section];
    if (!isMap(bs) && !isMap(os)) {
      if (!same(bs, os)) result[section] = os;
      continue;
    }
    const target = isMap(result[section]) ? (result[section] as Record<string, unknown>) : {};
    const bm = isMap(bs) ? bs : {};
    const om = isMap(os) ? os : {};
    for (const key of new Set([...Object.keys(bm), ...Object.keys(om)])) {
      if (same(bm[key], om[key])) continue; // not ours to decide: theirs stands
      if (om[key] === undefined) delete target[key];
      else target[key] = om[key];
    }
    result[section] = target;
  }
  return JSON.stringify(result);
}
