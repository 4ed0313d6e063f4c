import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('lint: one HTML escaping for the product and the emulator', () => {
  it('the emulator package\'s html.ts is the product\'s src/shared/html.ts to the letter', () => {
    // The emulator imports nothing of the product (its own package, issue 12.5), so it keeps a
    // copy of these 35 lines rather than a third package; this keeps the two from drifting apart.
    assert.equal(read('packages/emulator/src/html.ts'), read('src/shared/html.ts'), 'change both: copy src/shared/html.ts to packages/emulator/src/html.ts');
  });
});
