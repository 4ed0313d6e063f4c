import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ENVIRONMENT_VARIABLES } from '../../src/config/index.js';
import { commands } from '../../src/cli/commands/index.js';
import { renderCliReference, renderConfigurationReference } from '../../scripts/docs/reference.js';

const saved = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

describe('generated reference pages', () => {
  it('docs/configuration.md is up to date and lists every environment variable', () => {
    const rendered = renderConfigurationReference();
    assert.equal(saved('configuration.md'), rendered, 'run: node --import tsx scripts/reference.ts');
    for (const v of ENVIRONMENT_VARIABLES) assert.ok(rendered.includes(`\`${v.name}\``), v.name);
  });

  it('docs/cli.md is up to date and documents every command', () => {
    const rendered = renderCliReference();
    assert.equal(saved('cli.md'), rendered, 'run: node --import tsx scripts/reference.ts');
    for (const c of commands) assert.ok(rendered.includes(`## \`${c.name}\``), c.name);
  });
});
