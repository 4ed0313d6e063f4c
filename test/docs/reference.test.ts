import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ENVIRONMENT_VARIABLES } from '../../src/config/index.js';
import { commandIndex, loadAllCommands } from '../../src/cli/commands/index.js';
import { renderCliReference, renderConfigurationReference } from '../../scripts/docs/reference.js';

const saved = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

describe('generated reference pages', () => {
  it('docs/configuration.md is up to date and lists every environment variable', () => {
    const rendered = renderConfigurationReference();
    assert.equal(saved('configuration.md'), rendered, 'run: node --import tsx scripts/reference.ts');
    for (const v of ENVIRONMENT_VARIABLES) assert.ok(rendered.includes(`\`${v.name}\``), v.name);
  });

  it('docs/cli.md is up to date and documents every command', async () => {
    const commands = await loadAllCommands();
    const rendered = renderCliReference(commands);
    assert.equal(saved('cli.md'), rendered, 'run: node --import tsx scripts/reference.ts');
    for (const c of commands) assert.ok(rendered.includes(`## \`${c.name}\``), c.name);
  });

  it('the command index (what --help lists without loading modules) names and describes each command as its module does', async () => {
    const commands = await loadAllCommands();
    assert.deepEqual(commandIndex.map((e) => [e.name, e.summary]), commands.map((c) => [c.name, c.summary]));
    assert.equal(new Set(commandIndex.map((e) => e.name)).size, commandIndex.length, 'no name twice');
  });
});
