import { readFileSync } from 'node:fs';

/**
 * The product's version, from the package.json that ships with it (src/shared and dist/shared both sit
 * two levels below the package root, so the same relative path works from sources and the build).
 */
export function productVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
