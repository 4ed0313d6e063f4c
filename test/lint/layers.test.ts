import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import { LAYERS } from '../../eslint-rules/layers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const eslint = new ESLint({ cwd: root });

/** The layer rule's messages for `code` as if it were the file `file` (repo-relative). */
async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result!.messages.filter((m) => m.ruleId === 'layers/layers').map((m) => m.message);
}

describe('lint: the layer order of docs/architecture.md', () => {
  it('refuses an import against the layer order', async () => {
    const errors = await layerErrors('src/graph/wrong.ts', "import { NotificationService } from '../notify/index.js';\nexport const x = NotificationService;\n");
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /src\/graph may not import src\/notify/);
  });

  it('refuses a lower layer reaching up to the CLI or the server', async () => {
    assert.equal((await layerErrors('src/notify/wrong.ts', "export { main } from '../cli/main.js';\n")).length, 1);
    assert.equal((await layerErrors('src/delivery/wrong.ts', "export * from '../server/index.js';\n")).length, 1);
    assert.equal((await layerErrors('src/config/wrong.ts', "export const m = () => import('../auth/index.js');\n")).length, 1);
  });

  it('refuses a deep import past another module\'s index', async () => {
    const errors = await layerErrors('src/server/wrong.ts', "import { parseNotificationRules } from '../notify/rules.js';\nexport const x = parseNotificationRules;\n");
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /Import src\/notify\/index\.js instead of src\/notify\/rules\.js/);
  });

  it('lets a module\'s light entry point stand in for its index, and nothing else past it', async () => {
    // notify/checks.ts: `config check` without the store, delivery and msal-node (issue 14).
    assert.deepEqual(await layerErrors('src/cli/commands/ok.ts', "export { settingsProblems } from '../../notify/checks.js';\n"), []);
    const errors = await layerErrors('src/cli/commands/wrong.ts', "export { settingsProblems } from '../../notify/settings-check.js';\n");
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /Import src\/notify\/index\.js instead of src\/notify\/settings-check\.js/);
  });

  it('lets only the demo and emulator commands load the emulator', async () => {
    assert.match((await layerErrors('src/server/wrong.ts', "export { startEmulator } from 'o365-notify-emulator';\n"))[0]!, /Only the `demo` and `emulator` commands/);
    assert.match((await layerErrors('src/cli/commands/send.ts', "export const e = () => import('o365-notify-emulator');\n"))[0]!, /Only the `demo` and `emulator` commands/);
    assert.match((await layerErrors('src/server/wrong.ts', "export { startEmulator } from '../../packages/emulator/src/index.js';\n"))[0]!, /Only the `demo` and `emulator` commands/);
    assert.deepEqual(await layerErrors('src/cli/commands/demo.ts', "export const e = () => import('o365-notify-emulator');\n"), []);
  });

  it('has the demo import the emulator by its package name, never by path (the built product has no packages/)', async () => {
    const errors = await layerErrors('src/cli/commands/demo.ts', "export const e = () => import('../../../packages/emulator/src/index.js');\n");
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /Import the emulator as `o365-notify-emulator`, not packages\/emulator\/src\/index\.js/);
  });

  it('keeps the emulator package to itself: none of its files imports the product', async () => {
    const errors = await layerErrors('packages/emulator/src/entra/wrong.ts', "export { escapeHtml } from '../../../../src/shared/index.js';\n");
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /src\/shared\/index\.js is outside the emulator package/);
    assert.deepEqual(await layerErrors('packages/emulator/src/entra/ok.ts', "export { escapeHtml } from '../html.js';\nexport { default as forge } from 'node-forge';\n"), []);
  });

  it('keeps the store behind the ports: notify, delivery and intake may not import it (issue 12)', async () => {
    const errors = await layerErrors('src/notify/x.ts', "import { openStore } from '../store/index.js';\nexport const x = openStore;\n");
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /src\/notify may not import src\/store/);
    assert.match((await layerErrors('src/delivery/x.ts', "import type { Store } from '../store/index.js';\nexport type X = Store;\n"))[0]!, /src\/delivery may not import src\/store/);
    assert.match((await layerErrors('src/intake/x.ts', "export { withJsonText } from '../store/index.js';\n"))[0]!, /src\/intake may not import src\/store/);
    // The other way is the rule: the SQLite adapter implements the ports notify and delivery own.
    assert.deepEqual(await layerErrors('src/store/x.ts', "export type { NotifyStore } from '../notify/index.js';\nexport type { OutboxStore } from '../delivery/index.js';\n"), []);
  });

  it('allows no two modules to import each other beyond the known pair', () => {
    // intake and notify are one layer (the intake checks against notify's catalog, notify's submit
    // runs the intake's checks); a new pair is a layering mistake to fix in the code, not an entry to add to LAYERS.
    const known = ['intake<->notify'];
    const pairs = Object.entries(LAYERS)
      .flatMap(([from, tos]) => tos.filter((to) => from < to && (LAYERS[to] ?? []).includes(from)).map((to) => `${from}<->${to}`))
      .sort();
    assert.deepEqual(pairs, known);
  });

  it('accepts imports that follow the order, and any import inside a module', async () => {
    assert.deepEqual(await layerErrors('src/server/ok.ts', "export { parseNotificationRules } from '../notify/index.js';\n"), []);
    assert.deepEqual(await layerErrors('src/notify/ok.ts', "export { parseDuration } from './duration.js';\nexport { escapeHtml } from '../shared/index.js';\n"), []);
    assert.deepEqual(await layerErrors('test/anything.test.ts', "export { parseDuration } from '../src/notify/duration.js';\n"), []);
  });
});
