/**
 * Writes the generated reference pages: docs/configuration.md and docs/cli.md.
 *   node --import tsx scripts/reference.ts
 * test/docs/reference.test.ts fails when a saved page is out of date.
 */
import { writeFileSync } from 'node:fs';
import { loadAllCommands } from '../src/cli/commands/index.js';
import { renderCliReference, renderConfigurationReference } from './docs/reference.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigurationReference());
writeFileSync(new URL('../docs/cli.md', import.meta.url), renderCliReference(await loadAllCommands()));
