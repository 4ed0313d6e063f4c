import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { diagnose, formatDiagnosis, isGuideStep } from '../../src/diagnose/index.js';

interface DevCase {
  name: string;
  shape: string;
  input: unknown;
  expectedCode: string;
  expectedGuideStep: string;
}

// Raw errors built from Microsoft's documented texts, in every shape a user may paste.
const devSet = JSON.parse(
  readFileSync(new URL('../fixtures/diagnose/raw-errors.json', import.meta.url), 'utf8'),
) as DevCase[];

describe('development set of raw errors', () => {
  it('is large and varied enough to mean something', () => {
    assert.ok(devSet.length >= 40, `${devSet.length} cases`);
    const shapes = new Set(devSet.map((c) => c.shape));
    for (const shape of ['entra-body', 'entra-body-text', 'error-description', 'msal-server-error', 'log-line', 'graph-envelope', 'http-response']) {
      assert.ok(shapes.has(shape), `no ${shape} case`);
    }
    for (const c of devSet) assert.ok(isGuideStep(c.expectedGuideStep), `${c.name}: ${c.expectedGuideStep}`);
  });

  for (const c of devSet) {
    it(`${c.name}`, () => {
      const d = diagnose(c.input);
      assert.ok(d, 'no diagnosis');
      assert.equal(d.code, c.expectedCode);
      assert.equal(d.guideStep, c.expectedGuideStep);
      assert.equal(d.known, true);
      const text = formatDiagnosis(d);
      assert.match(text, /^What happened: /);
      assert.match(text, /\nHow to fix: /);
      // Microsoft's text is kept, trace IDs and stack-like noise are not.
      if (d.description) {
        assert.doesNotMatch(d.description, /Trace ID|Correlation ID|\r|\n|\\r|\\n/);
      }
      assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+/);
    });
  }
});
