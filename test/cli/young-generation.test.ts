import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** In a fresh process (its young generation still at its first size): sizes while held, then after the release. */
const SCRIPT = `
import v8 from 'node:v8';
import { holdYoungGeneration, releaseYoungGeneration } from './src/cli/young-generation.ts';
const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const keep = [];
const churn = () => { for (let i = 0; i < 400_000; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 200_000) keep.splice(0, 100_000); } };
const first = young();
holdYoungGeneration();
churn();
const held = young();
releaseYoungGeneration();
churn(); churn();
console.log(JSON.stringify({ first, held, released: young() }));
`;

describe('serve holds the young generation while it starts (issue 14: idle RSS)', () => {
  it('does not let it grow while held, and lets it grow again once released', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], { cwd: process.cwd() });
    const { first, held, released } = JSON.parse(stdout) as { first: number; held: number; released: number };
    assert.equal(held, first, `held: ${held} bytes, first ${first}`);
    assert.ok(released > held, `released: ${released} bytes, held ${held}`);
  });

  it('leaves a growth factor given to node alone', async () => {
    const script = SCRIPT.replace("console.log(JSON.stringify({ first, held, released: young() }));", "console.log(JSON.stringify({ first, held }));");
    const { stdout } = await run(process.execPath, ['--semi-space-growth-factor=2', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd() });
    const { first, held } = JSON.parse(stdout) as { first: number; held: number };
    assert.ok(held > first, `not held: ${held} bytes, first ${first}`);
  });
});
