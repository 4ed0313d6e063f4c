/**
 * Writes the generated reference pages: docs/configuration.md, docs/cli.md and docs/api.md (the
 * HTTP request shapes, from the route schemas).
 *   node --import tsx scripts/reference.ts
 * test/docs/reference.test.ts (test/server/route-schemas.test.ts for docs/api.md) fails when a saved
 * page is out of date.
 */
import { writeFileSync } from 'node:fs';
import { loadAllCommands } from '../src/cli/commands/index.js';
import { renderApiReference } from './docs/api-reference.js';
import { renderCliReference, renderConfigurationReference } from './docs/reference.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigurationReference());
writeFileSync(new URL('../docs/cli.md', import.meta.url), renderCliReference(await loadAllCommands()));
writeFileSync(new URL('../docs/api.md', import.meta.url), await renderApiReference());
