import path from 'node:path';
import type { Document, LineCounter, Node, Pair, YAMLMap } from 'yaml';
import { ensureHomeDir, readFileIfExists, writeFileAtomic, withFileLock } from '../infra/index.js';
import { applyEnvOverrides } from './env.js';
import { resolveHome } from './home.js';
import { SettingsError, SettingsFileError, errorsIn, type Problem } from './problems.js';
import {
  SECTION_COMMENTS,
  SETTING_FIELDS,
  SETTINGS_SECTIONS,
  defaultSettings,
  getField,
  setField,
  type Settings,
  type SettingsSection,
} from './settings.js';
import { parseLiteSettings, type SettingsNode } from './settings-tree.js';
import { parseFieldValue } from './values.js';

/**
 * The YAML library, loaded when a settings file is first written or read and not in the plain
 * subset parseLiteSettings reads (settings-tree.ts): commands that only read the file `setup`
 * wrote (`explain`, `config check`) start ~25 ms sooner (issue 14). Every exported function below
 * that uses it awaits it before the synchronous helpers do.
 */
type Yaml = typeof import('yaml');
let Y: Yaml;
async function loadYaml(): Promise<void> {
  Y ??= await import('yaml');
}

export const SETTINGS_FILE_NAME = 'settings.yaml';

const FILE_HEADER = [
  ' o365-notify settings, written by `o365-notify setup`. Safe to edit; `o365-notify config check`',
  ' checks it against the guide. The client secret is not here: it is stored encrypted apart from',
  ' this file. Every setting can be overridden by an O365_NOTIFY_* environment variable.',
].join('\n');

export function settingsPath(home: string): string {
  return path.join(home, SETTINGS_FILE_NAME);
}

/** Where each value came from: `file`, `default`, or the environment variable that set it. */
export type SettingSources = Record<string, string>;

export interface SettingsReadResult {
  home: string;
  path: string;
  exists: boolean;
  settings: Settings;
  /** Values that could not be used (wrong type, unknown value) and unknown names; guide rules are in checkSettings. */
  problems: Problem[];
  sources: SettingSources;
}

function isSection(name: string): name is SettingsSection {
  return (SETTINGS_SECTIONS as readonly string[]).includes(name);
}

function parseText(file: string, text: string): { doc: Document; lines: LineCounter } {
  const lines = new Y.LineCounter();
  const doc = Y.parseDocument(text, { lineCounter: lines, prettyErrors: true });
  const error = doc.errors[0];
  if (error) {
    const line = error.linePos?.[0].line;
    // The first line of yaml's message is the reason; the rest is a code excerpt.
    const reason = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new SettingsFileError(file, line, reason);
  }
  if (doc.contents !== null && !Y.isMap(doc.contents)) {
    throw new SettingsFileError(file, 1, 'the top level must be sections such as "account:" and "mail:", not a list or a single value');
  }
  return { doc, lines };
}

/** The file's tree: by the plain-subset reader when it can, else by the library (which also reports errors). */
export async function settingsTree(file: string, text: string, lite = true): Promise<SettingsNode | null> {
  const plain = lite ? parseLiteSettings(text) : undefined;
  if (plain) return plain.root;
  await loadYaml();
  const { doc, lines } = parseText(file, text);
  return treeOf(doc.contents as Node | null, lines);
}

function lineOf(node: Node | null | undefined, lines: LineCounter): number | undefined {
  const offset = node?.range?.[0];
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

function keyName(pair: Pair): string | undefined {
  return Y.isScalar(pair.key) ? String(pair.key.value) : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** A likely meant field for a misspelt one (clientID, client_id, cliendId -> clientId). */
function suggestion(section: SettingsSection, name: string): string {
  const normalized = name.toLowerCase().replace(/[-_]/g, '');
  const match = SETTING_FIELDS.filter((f) => f.section === section).find(
    (f) => editDistance(f.name.toLowerCase(), normalized) <= 2,
  );
  return match ? ` Did you mean ${match.key}?` : '';
}

/** The library's document as the reader's tree (settings-tree.ts). */
function treeOf(node: Node | null | undefined, lines: LineCounter): SettingsNode | null {
  if (node === null || node === undefined) return null;
  const line = lineOf(node, lines);
  const toJSON = () => node.toJSON() as unknown;
  if (Y.isMap(node)) {
    const pairs = node.items.map((pair) => ({ key: keyName(pair), keyLine: lineOf(pair.key as Node, lines), value: treeOf(pair.value as Node | null, lines) }));
    return { kind: 'map', line, pairs, toJSON };
  }
  if (Y.isSeq(node)) return { kind: 'seq', line, toJSON };
  if (Y.isScalar(node)) return { kind: 'scalar', line, value: node.value, toJSON };
  return { kind: 'other', line, toJSON };
}

function settingsFromTree(root: SettingsNode | null, file: string) {
  const settings = defaultSettings();
  const problems: Problem[] = [];
  const sources: SettingSources = {};
  const where = (line: number | undefined) => (line === undefined ? path.basename(file) : `${path.basename(file)} line ${line}`);
  for (const pair of root?.kind === 'map' ? root.pairs : []) {
    const name = pair.key;
    if (name === undefined) continue;
    const value = pair.value;
    if (!isSection(name)) {
      settings.otherSections[name] = value === null ? null : value.toJSON();
      continue;
    }
    if (value === null || (value.kind === 'scalar' && value.value === null)) continue;
    if (value.kind !== 'map') {
      problems.push({
        field: name,
        severity: 'error',
        message: `${where(value.line)}: "${name}" must be a section of "name: value" lines.`,
        guideStep: null,
      });
      continue;
    }
    for (const item of value.pairs) {
      const fieldName = item.key;
      if (fieldName === undefined) continue;
      const spec = SETTING_FIELDS.find((f) => f.section === name && f.name === fieldName);
      const node = item.value;
      if (!spec) {
        problems.push({
          field: `${name}.${fieldName}`,
          severity: 'warning',
          message: `${where(item.keyLine)}: ${name}.${fieldName} is not a known setting and is ignored.${suggestion(name, fieldName)}`,
          guideStep: null,
        });
        continue;
      }
      const parsed = parseFieldValue(spec, node === null ? null : node.toJSON());
      if (!parsed.ok) {
        problems.push({
          field: spec.key,
          severity: 'error',
          message: `${where(node?.line)}: ${spec.key} must be ${parsed.expected}.`,
          guideStep: spec.guideStep,
        });
        continue;
      }
      if (parsed.value !== undefined) {
        setField(settings, spec, parsed.value);
        sources[spec.key] = 'file';
      }
    }
  }
  return { settings, problems, sources };
}

/**
 * The settings file alone, without environment overrides: what `setup` edits and saves back.
 * A missing file gives the defaults; broken YAML throws SettingsFileError naming the file and line.
 */
export async function readSettingsFile(home: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<SettingsReadResult> {
  const dir = resolveHome(home, env);
  const file = settingsPath(dir);
  const text = await readFileIfExists(file);
  if (text === undefined) {
    return { home: dir, path: file, exists: false, settings: defaultSettings(), problems: [], sources: {} };
  }
  return { home: dir, path: file, exists: true, ...settingsFromTree(await settingsTree(file, text), file) };
}

/** The effective settings (file + O365_NOTIFY_* overrides) with every unusable value listed, not thrown. */
export async function readSettings(home: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<SettingsReadResult> {
  const result = await readSettingsFile(home, env);
  const overrides = applyEnvOverrides(result.settings, env);
  for (const spec of SETTING_FIELDS) result.sources[spec.key] ??= 'default';
  Object.assign(result.sources, overrides.sources);
  // A bad environment value replaces the file's problem for the same field: it is what is used.
  const overridden = new Set(Object.keys(overrides.sources).concat(overrides.problems.map((p) => p.field)));
  result.problems = [...result.problems.filter((p) => !overridden.has(p.field)), ...overrides.problems];
  for (const spec of SETTING_FIELDS) {
    if (getField(result.settings, spec) === undefined) delete result.sources[spec.key];
  }
  return result;
}

/**
 * The effective settings, for code that needs usable values. Throws SettingsFileError for broken
 * YAML and SettingsError listing every value that cannot be used. The guide's rules are not
 * applied here: see checkSettings.
 */
export async function loadSettings(home: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Settings> {
  const result = await readSettings(home, env);
  const errors = errorsIn(result.problems);
  if (errors.length > 0) {
    throw new SettingsError(`The settings in ${result.path} have values that cannot be used:`, errors);
  }
  return result.settings;
}

function comment(lines: string[]): string {
  return lines.map((l) => ` ${l}`).join('\n');
}

function sectionMap(doc: Document, section: SettingsSection, isNewDoc: boolean): YAMLMap {
  const root = doc.contents as YAMLMap;
  const existing = root.get(section, true);
  if (Y.isMap(existing)) return existing;
  const pair = doc.createPair(section, {}) as Pair<Node, YAMLMap>;
  const key = pair.key as Node & { commentBefore?: string | null; spaceBefore?: boolean };
  key.commentBefore = SECTION_COMMENTS[section];
  key.spaceBefore = !isNewDoc || root.items.length > 0;
  if (root.has(section)) {
    root.set(section, pair.value);
    return pair.value!;
  }
  // Keep the sections in their usual order: right after the last one that comes before it.
  const before = new Set(SETTINGS_SECTIONS.slice(0, SETTINGS_SECTIONS.indexOf(section)));
  let at = 0;
  root.items.forEach((item, index) => {
    const name = keyName(item);
    if (name !== undefined && before.has(name as SettingsSection)) at = index + 1;
  });
  if (at === 0 && root.items.length > 0) key.spaceBefore = false;
  root.items.splice(at, 0, pair);
  if (at === 0 && root.items.length > 1) {
    (root.items[1]!.key as Node & { spaceBefore?: boolean }).spaceBefore = true;
  }
  return pair.value!;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Writes `settings` into `doc`, editing nodes in place so comments and unknown entries survive. */
function applySettings(doc: Document, settings: Settings, isNewDoc: boolean): void {
  if (!Y.isMap(doc.contents)) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  const root = doc.contents as unknown as YAMLMap;
  for (const section of SETTINGS_SECTIONS) {
    const fields = SETTING_FIELDS.filter((f) => f.section === section);
    const hasValues = fields.some((f) => getField(settings, f) !== undefined);
    if (!hasValues && !root.has(section)) continue;
    const map = sectionMap(doc, section, isNewDoc);
    for (const spec of fields) {
      const value = getField(settings, spec);
      if (value === undefined) {
        map.delete(spec.name);
      } else if (map.has(spec.name)) {
        const current = map.get(spec.name, true) as Node | undefined;
        if (!sameJson(current?.toJSON(), value)) map.set(spec.name, Array.isArray(value) ? doc.createNode(value) : value);
      } else {
        const pair = doc.createPair(spec.name, value);
        (pair.key as Node & { commentBefore?: string }).commentBefore = comment(spec.comment);
        map.items.push(pair);
      }
    }
    if (map.items.length === 0) root.delete(section);
  }
  for (const pair of [...root.items]) {
    const name = keyName(pair);
    if (name !== undefined && !isSection(name) && !(name in settings.otherSections)) root.delete(name);
  }
  for (const [name, value] of Object.entries(settings.otherSections)) {
    const current = root.get(name, true) as Node | undefined;
    if (root.has(name) && sameJson(current?.toJSON() ?? null, value)) continue;
    if (root.has(name)) {
      root.set(name, doc.createNode(value));
    } else {
      const pair = doc.createPair(name, value);
      (pair.key as Node & { spaceBefore?: boolean }).spaceBefore = root.items.length > 0;
      root.items.push(pair);
    }
  }
}

/**
 * Saves the settings as commented YAML, atomically, mode 0600. An existing file is edited in place:
 * its comments, unknown settings and sections this version does not model are kept.
 * Returns the file's path. Refuses to overwrite a file that is not valid YAML.
 */
export async function saveSettings(home: string | undefined, settings: Settings, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = resolveHome(home, env);
  const file = settingsPath(dir);
  await ensureHomeDir(dir);
  await loadYaml();
  // Setup and the service's settings page may save at the same time: one read-modify-write at once.
  await withFileLock(file, async () => {
    const text = await readFileIfExists(file);
    const isNewDoc = text === undefined || text.trim() === '';
    const doc = isNewDoc ? new Y.Document({}) : parseText(file, text).doc;
    if (isNewDoc) doc.commentBefore = FILE_HEADER;
    applySettings(doc, settings, isNewDoc);
    await writeFileAtomic(file, doc.toString({ lineWidth: 0 }));
  });
  return file;
}
