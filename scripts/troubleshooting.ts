/**
 * Prints docs/troubleshooting.md from the error catalog in src/diagnose/:
 *   node --import tsx scripts/troubleshooting.ts > docs/troubleshooting.md
 * test/diagnose/troubleshooting.test.ts fails when the saved file is out of date.
 */
import { renderTroubleshootingMarkdown } from '../src/diagnose/index.js';

process.stdout.write(renderTroubleshootingMarkdown());
