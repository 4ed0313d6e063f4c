import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** The project's limit (issue 12): a file in src/ over this many lines is split along its seams. */
const MAX_LINES = 450;

describe('lint: small modules', () => {
  it(`no file in src/ or packages/emulator/src/ is over ${MAX_LINES} lines`, () => {
    // The files git tracks and the new ones it does not ignore, as `duplicates` reads the tree;
    // the emulator's package (issue 12.5) is held to the same limit.
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'src', 'packages/emulator/src'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f.endsWith('.ts') && fs.existsSync(`${root}${f}`));
    assert.ok(files.length > 100, 'src/ is listed');
    assert.ok(files.some((f) => f.startsWith('packages/emulator/src/')), 'packages/emulator/src/ is listed');
    const over = files
      .map((f) => ({ file: f, lines: fs.readFileSync(`${root}${f}`, 'utf8').split('\n').length - 1 }))
      .filter((f) => f.lines > MAX_LINES)
      .map((f) => `${f.file}: ${f.lines} lines`);
    assert.deepEqual(over, [], `split these along their seams (docs/architecture.md, "Where to change X"): ${over.join('; ')}`);
  });
});
