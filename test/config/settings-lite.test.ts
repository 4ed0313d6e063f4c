import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultSettings, saveSettings, SETTING_FIELDS, setField, settingsPath, type FieldSpec } from '../../src/config/index.js';
import { settingsTree } from '../../src/config/file.js';
import { parseLiteSettings, type SettingsNode } from '../../src/config/settings-tree.js';

/** What the reader uses of a tree: kinds, keys, lines, scalar values and the JSON of every node. */
function shape(node: SettingsNode | null): unknown {
  if (node === null) return null;
  const base = { kind: node.kind, line: node.line, json: node.toJSON() };
  if (node.kind === 'scalar') return { ...base, value: node.value };
  if (node.kind === 'map') return { ...base, pairs: node.pairs.map((p) => ({ key: p.key, keyLine: p.keyLine, value: shape(p.value) })) };
  return base;
}

async function bothReaders(text: string): Promise<{ lite: unknown; library: unknown; usedLite: boolean }> {
  const lite = await settingsTree('settings.yaml', text, true);
  const library = await settingsTree('settings.yaml', text, false);
  return { lite: shape(lite), library: shape(library), usedLite: parseLiteSettings(text) !== undefined };
}

function sampleValue(spec: FieldSpec): unknown {
  switch (spec.kind.type) {
    case 'enum': return spec.kind.values[0];
    case 'port': return 8025;
    case 'positive-integer': return 25;
    case 'date': return '2027-01-31';
    case 'url': return 'https://127.0.0.1:4443/path';
    case 'list': return ['it-team@contoso.com', 'ops@contoso.com'];
    case 'boolean': return true;
    case 'network-list': return ['127.0.0.1/32', '10.0.0.0/8'];
    case 'address-or-domain-list': return ['contoso.com', 'alerts@contoso.com'];
    case 'store-url': return 'postgres://notify@db.example:5432/notify';
    default: return "Contoso's alerts #1: [ops]";
  }
}

let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'o365-settings-lite-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('the settings file read without the yaml library (issue 14)', () => {
  it('reads every field of a file that saveSettings wrote, exactly as the library does', async () => {
    const settings = defaultSettings();
    for (const spec of SETTING_FIELDS) setField(settings, spec, sampleValue(spec) as never);
    settings.otherSections.notifications = { group_by: ['agent'], group_wait: '2s', daily_report: false, repeat_interval: '4h' };
    await saveSettings(root, settings, {});
    const text = await fs.readFile(settingsPath(root), 'utf8');
    const { lite, library, usedLite } = await bothReaders(text);
    assert.equal(usedLite, true, 'the file setup writes is in the plain subset');
    assert.deepEqual(lite, library);
  });

  const inSubset: Record<string, string> = {
    'an empty file': '',
    'comments only': '# nothing yet\n\n   # indented comment\n',
    'scalars of the core schema': [
      'mail:',
      '  a: ~', '  b: null', '  c: NULL', '  d: true', '  e: False', '  f: TRUE', '  g: 42', '  h: -7', '  i: 0', '  j: 2.5',
      '  k: yes', '  l: 2s', '  m: 127.0.0.1', '  n: https://host:443/x?y=1', '  o: a#b', '  p: value # comment',
      "  q: 'it''s'   # quoted", '  r: "double"', '  s:', '  t: # only a comment', '  u: 2027-01-31', '  v: tRUE', '  w: nul',
    ].join('\n'),
    'lists indented and at the key\'s own column': 'mail:\n  to:\n    - a@contoso.com\n    - b@contoso.com # second\n  cc:\n  - c@contoso.com\nservice:\n  port: 8025\n',
    'nested unknown sections and wrong shapes': [
      'account: single-tenant', 'mail:', '  - a', 'extra:', '  deep:', '    deeper:', '      x: 1', '  list:', '    - 1', '    - two',
      'service:', '  port:', '    - 1', '  host:', '    a: b', 'store:',
    ].join('\n'),
    'trailing spaces and blank lines': 'account:   \n\n  type: single-tenant   \n\n\n  clientId: abc  \n',
  };
  for (const [name, text] of Object.entries(inSubset)) {
    it(`reads ${name} in the subset, as the library does`, async () => {
      const { lite, library, usedLite } = await bothReaders(text);
      assert.equal(usedLite, true);
      assert.deepEqual(lite, library);
    });
  }

  const outside: Record<string, string> = {
    'a flow list': 'mail:\n  to: [a, b]\n',
    'a flow map': 'mail: {to: a}\n',
    'an anchor and alias': 'a: &x 1\nb: *x\n',
    'a tag': 'a: !!str 1\n',
    'a block scalar': 'a: |\n  text\n',
    'a multi-line plain scalar': 'a: one\n  two\n',
    'a tab': 'a:\n\tb: 1\n',
    'CRLF line ends': 'a: 1\r\nb: 2\r\n',
    'a duplicate key': 'a: 1\na: 2\n',
    'a number in another form': 'a: 1e3\n',
    'a hex number': 'a: 0x1F\n',
    'a leading zero': 'a: 007\n',
    'a float without digits after the point': 'a: 1.\n',
    'an escape': 'a: "x\\ny"\n',
    'an unclosed quote': "a: 'x\n",
    'a map in a list': 'a:\n  - name: x\n',
    'a document marker': '---\na: 1\n',
    'a top-level list': '- a\n- b\n',
    'an indented first line': '  a: 1\n',
    'a bad indent': 'a:\n    b: 1\n  c: 2\n',
    'a value with ": "': 'a: b: c\n',
    'a null key': 'null: 1\n',
    'a quoted key': '"a": 1\n',
  };
  for (const [name, text] of Object.entries(outside)) {
    it(`leaves ${name} to the library, which reads or rejects it as before`, async () => {
      assert.equal(parseLiteSettings(text), undefined);
      let lite: unknown;
      let library: unknown;
      try {
        library = shape(await settingsTree('settings.yaml', text, false));
      } catch (err) {
        library = (err as Error).message;
      }
      try {
        lite = shape(await settingsTree('settings.yaml', text, true));
      } catch (err) {
        lite = (err as Error).message;
      }
      assert.deepEqual(lite, library);
    });
  }
});
