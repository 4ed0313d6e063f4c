import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { catalog, GUIDE_STEP_INFO, renderTroubleshootingMarkdown } from '../../src/diagnose/index.js';

describe('docs/troubleshooting.md', () => {
  const rendered = renderTroubleshootingMarkdown();

  it('is up to date with the catalog (regenerate with scripts/troubleshooting.ts)', () => {
    const saved = readFileSync(new URL('../../docs/troubleshooting.md', import.meta.url), 'utf8');
    assert.equal(saved, rendered, 'run: node --import tsx scripts/troubleshooting.ts > docs/troubleshooting.md');
  });

  it('has one table row for every catalog entry, under its guide step', () => {
    const sections = rendered.split(/\n## /).slice(1);
    for (const entry of catalog) {
      const section = sections.find((s) => s.startsWith(`${GUIDE_STEP_INFO[entry.guideStep].title} (\`${entry.guideStep}\`)`));
      assert.ok(section, `no section for ${entry.guideStep}`);
      const rows = section.split('\n').filter((line) => line.startsWith(`| \`${entry.code}\``));
      assert.equal(rows.length, 1, entry.code);
      assert.equal(rows[0]!.split(/(?<!\\)\|/).length, 6, `${entry.code}: a cell breaks the table`);
    }
  });

  it('shows the admin-consent URL template instead of the placeholder', () => {
    assert.doesNotMatch(rendered, /\{adminConsentUrl\}/);
    assert.match(rendered, /https:\/\/login\.microsoftonline\.com\/&lt;Tenant ID>\/adminconsent\?client_id=&lt;Client ID>/);
  });
});
