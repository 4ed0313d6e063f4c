import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
type Manifest = { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
const manifest = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8')) as Manifest;

/** The packages the emulator's source imports (bare specifiers, node: built-ins left out). */
function importedPackages(): Set<string> {
  const dir = join(root, 'packages/emulator/src');
  const names = new Set<string>();
  for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    // import/export ... from '...', import '...', import('...')
    const specs = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?\bfrom\s+'([^']+)'|^\s*import\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/gm)].map((m) => m[1] ?? m[2] ?? m[3]!);
    for (const spec of specs) {
      if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
      names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return names;
}

describe('lint: the emulator package\'s dependencies (issue 12.5)', () => {
  it('each package the emulator imports is pinned in its package.json and supplied by the product at the same version', () => {
    const emulator = manifest('packages/emulator/package.json');
    const product = manifest('package.json');
    const imported = [...importedPackages()].sort();
    assert.ok(imported.includes('fastify') && imported.includes('node-forge'), `read the imports: ${imported.join(', ')}`);
    // The bundled emulator resolves them from the installed product's node_modules.
    const mismatched = imported.filter((name) => !emulator.devDependencies?.[name] || emulator.devDependencies[name] !== product.dependencies?.[name]);
    assert.deepEqual(mismatched, [], 'pin these in packages/emulator/package.json devDependencies exactly as in the root dependencies');
    assert.deepEqual(emulator.dependencies ?? {}, {}, 'no runtime dependencies: npm pack would ship them twice');
    assert.equal(product.dependencies?.['o365-notify-emulator'], '0.1.0');
  });
});
