import path from 'node:path';
import process from 'node:process';

/**
 * The layer rule of docs/architecture.md, as an ESLint rule: which top-level module of src/ may
 * import which, and that another module is used only through its index.ts (no deep imports)
 * or one of its LIGHT_ENTRIES.
 *
 *   cli, server -> intake, notify -> delivery -> graph, auth -> config, secrets -> infra
 *   store implements the ports notify and delivery own (NotifyStore, OutboxStore: src/store/sqlite-port.ts);
 *   only cli and server (the composition), ops and the relay use it
 *   diagnose and shared are used by all; the emulator (its own package, packages/emulator) only by
 *   the `demo` and `emulator` commands, by its name; the emulator imports nothing of src/
 */
const BASE = ['infra', 'diagnose', 'shared'];
export const LAYERS = {
  cli: ['ops', 'registration', 'server', 'relay', 'intake', 'notify', 'delivery', 'store', 'graph', 'auth', 'config', 'secrets', ...BASE],
  server: ['registration', 'relay', 'intake', 'notify', 'delivery', 'store', 'graph', 'auth', 'config', 'secrets', ...BASE],
  // intake and notify are one layer: the intake checks events against notify's catalog, and
  // notify's submit() runs the intake's checks, so every way in is validated the same way.
  intake: ['notify', 'delivery', 'config', ...BASE],
  notify: ['delivery', 'config', 'intake', ...BASE],
  // The SMTP relay: an intake that stores raw messages and a sender the delivery worker uses for them.
  relay: ['delivery', 'graph', 'config', 'store', ...BASE],
  store: ['notify', 'delivery', ...BASE],
  delivery: ['graph', 'auth', 'config', 'secrets', ...BASE],
  graph: ['net', 'config', ...BASE],
  auth: ['graph', 'net', 'config', 'secrets', ...BASE],
  config: ['secrets', ...BASE],
  secrets: [...BASE],
  // `register`: the guide's portal work through Graph, with an administrator's sign-in.
  registration: ['auth', 'graph', 'config', 'secrets', ...BASE],
  // Installing, packaging, backup: the store's file and the settings and secrets as files.
  ops: ['store', 'config', 'secrets', ...BASE],
  // HTTPS to Entra ID and Graph: one agent per target, proxy, trusted CAs (issue 10.10, 9.7).
  net: [],
  infra: ['diagnose', 'shared'],
  diagnose: ['shared'],
  shared: [],
};

/**
 * A module's light entry points besides index.ts: a subset of its exports that loads little, for
 * commands that must start fast (issue 14: `config check` within a few times `node -e 0`), and the
 * domain's records a store implementation keeps (issue 12).
 */
export const LIGHT_ENTRIES = {
  notify: ['src/notify/checks.js', 'src/notify/domain.js'],
  // The master key's environment variables without the cryptography (config's table of variables).
  secrets: ['src/secrets/key-variables.js'],
  // The records a store keeps: types and constants, so a store loads none of the module's code.
  delivery: ['src/delivery/outbox-types.js'],
};

/** Product files that may load the emulator (its own package): the commands that run it. */
export const EMULATOR_USERS = ['src/cli/commands/demo.ts', 'src/cli/commands/emulator.ts'];
const EMULATOR_PACKAGE = /(^|\/)(o365-notify-)?emulator(\/|$)/;
/** The emulator's workspace package (issue 12.5): its files import nothing outside it. */
const EMULATOR_DIR = 'packages/emulator/';

function order() {
  return 'cli, server -> intake, notify -> delivery -> graph, auth -> config, secrets -> infra; diagnose and shared below all (docs/architecture.md)';
}

export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'imports follow the layer order and go through a module\'s index' },
    schema: [],
    messages: {
      layer: 'src/{{from}} may not import src/{{to}}: the layers are {{order}}.',
      deep: 'Import {{index}} instead of {{target}}: another module is used only through its index.ts.',
      emulator: 'Only the `demo` and `emulator` commands may load the emulator; the product never depends on it.',
      emulatorPath: 'Import the emulator as `o365-notify-emulator`, not {{target}}: the built product reaches it only as a package (packages/emulator/dist).',
      outside: '{{target}} is outside the emulator package: it is its own package (packages/emulator) and imports nothing of the product; copy what it needs (see docs/architecture.md).',
    },
  },
  create(context) {
    const root = context.cwd ?? process.cwd();
    const file = path.relative(root, context.filename).split(path.sep).join('/');
    const parts = file.split('/');
    if (file.startsWith(EMULATOR_DIR)) return importVisitors(checkEmulatorFile);
    if (parts[0] !== 'src' || parts.length < 3) return {};
    const from = parts[1];

    function checkEmulatorFile(node, spec) {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      if (!target.startsWith(EMULATOR_DIR)) context.report({ node, messageId: 'outside', data: { target } });
    }

    function check(node, spec) {
      if (typeof spec !== 'string') return;
      if (!spec.startsWith('.')) {
        if (EMULATOR_PACKAGE.test(spec) && !EMULATOR_USERS.includes(file)) context.report({ node, messageId: 'emulator' });
        return;
      }
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      if (target.startsWith(EMULATOR_DIR)) {
        context.report({ node, messageId: EMULATOR_USERS.includes(file) ? 'emulatorPath' : 'emulator', data: { target } });
        return;
      }
      const t = target.split('/');
      if (t[0] !== 'src' || t.length < 3) return;
      const to = t[1];
      if (to === from) return;
      const allowed = LAYERS[from];
      if (!allowed || !allowed.includes(to)) {
        context.report({ node, messageId: 'layer', data: { from, to, order: order() } });
        return;
      }
      const index = `src/${to}/index.js`;
      if (target !== index && !(LIGHT_ENTRIES[to] ?? []).includes(target)) context.report({ node, messageId: 'deep', data: { index, target } });
    }

    return importVisitors(check);
  },
};

/** The AST visitors that hand every import's and re-export's source to `check`. */
function importVisitors(check) {
  return {
    ImportDeclaration: (node) => check(node.source, node.source.value),
    ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
    ExportAllDeclaration: (node) => check(node.source, node.source.value),
    ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
  };
}

export default { rules: { layers: layersRule } };
