import { createRequire } from 'node:module';

/**
 * A CommonJS package loaded on the first call rather than when its importer loads (issue 14:
 * start-up time and idle memory), the same module every call after. Synchronous, so callers stay so.
 */
export function lazyRequire<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= createRequire(import.meta.url)(name) as T);
}
