/** Issue 10.4: a NOT NEEDED step is not counted, and `commands` show as code, not literal backticks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChecklistStep } from '../../src/server/page/checklist.js';
import type { PageData } from '../../src/server/page/page-data.js';
import { checklistFragment } from '../../src/server/page/view-checklist.js';

function step(id: string, state: ChecklistStep['state'], where = 'App registrations'): ChecklistStep {
  return { id, title: id, where, state, evidence: '', problems: [] } as unknown as ChecklistStep;
}

test('the summary counts only the steps this setup needs', () => {
  const steps = [...Array.from({ length: 7 }, (_, i) => step(`s${i}`, 'done')), step('redirect-uri', 'not-needed'), step('test-email', 'todo', 'This page: Send test e-mail (or `o365-notify test`)')];
  const out = checklistFragment({ checklist: steps } as unknown as PageData).html;
  assert.match(out, /7 of 8 steps done \(1 not needed for this setup\)\./);
  assert.match(out, /\(or <code>o365-notify test<\/code>\)/);
  assert.doesNotMatch(out, /`/);
  const allDone = checklistFragment({ checklist: [step('a', 'done'), step('b', 'not-needed')] } as unknown as PageData).html;
  assert.match(allDone, /Every step is done/);
});
