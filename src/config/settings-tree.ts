/**
 * The settings file as a small tree: what readSettingsFile needs of a YAML document (maps of named
 * entries, lists, scalars, the line each starts on, the JSON value). Two sources build it: the
 * `yaml` library for any file, and parseLiteSettings below for the plain files `setup` writes,
 * which reads them without loading the library (~25 ms and ~80 modules of start-up: issue 14,
 * `config check` and `explain` within 3x `node -e 0`).
 *
 * parseLiteSettings accepts a strict subset of YAML 1.2 (block maps with plain keys, block lists of
 * scalars, plain and simply quoted scalars, comments) and returns undefined for anything else -
 * flow collections, anchors, tags, block scalars, multi-line scalars, escapes, tabs, duplicate keys,
 * numbers beyond plain decimals - so the library reads those, and reports their errors, as before.
 * Scalars resolve as the library's core schema does (yaml/dist/schema/core: null, bool, int, float);
 * test/config/settings-lite.test.ts compares both readers on every kind of file.
 */
export interface SettingsPair {
  /** The key, when it is a scalar (other keys are skipped by the reader). */
  key: string | undefined;
  keyLine: number | undefined;
  value: SettingsNode | null;
}

export type SettingsNode =
  | { kind: 'map'; line: number | undefined; pairs: SettingsPair[]; toJSON(): unknown }
  | { kind: 'seq'; line: number | undefined; toJSON(): unknown }
  | { kind: 'scalar'; line: number | undefined; value: unknown; toJSON(): unknown }
  | { kind: 'other'; line: number | undefined; toJSON(): unknown };

interface Line {
  no: number;
  indent: number;
  text: string;
}

/** Thrown inside the parser when the text leaves the subset; parseLiteSettings turns it into undefined. */
class NotLite extends Error {}

const NULL = /^(?:~|[Nn]ull|NULL)$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const PLAIN_INT = /^-?(?:0|[1-9][0-9]{0,14})$/;
const PLAIN_FLOAT = /^-?(?:0|[1-9][0-9]{0,14})\.[0-9]{1,15}$/;
/** Every number form of the core schema: those PLAIN_INT and PLAIN_FLOAT do not take go to the library. */
const ANY_NUMBER = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$/;
const KEY_LINE = /^([A-Za-z_][A-Za-z0-9_.-]*):(?: +(.*))?$/;
/** Characters that start something other than a plain scalar, or that the subset leaves out anywhere. */
const PLAIN_START = /^[-?:,[\]{}#&*!|>'"%@`]/;
const OUTSIDE_PLAIN = /[[\]{}\t]|: |:$/;

function scalarNode(value: unknown, line: number): SettingsNode {
  return { kind: 'scalar', line, value, toJSON: () => value };
}

/** The rest of a line after a closing quote may only be spaces and a comment. */
function endsQuoted(rest: string): boolean {
  return /^\s*(?:#.*)?$/.test(rest) && (rest === '' || /^\s/.test(rest));
}

/** An inline value: a quoted or plain scalar, resolved as the core schema does. */
function scalar(source: string, line: number): SettingsNode {
  if (source.startsWith("'")) {
    let out = '';
    for (let i = 1; i < source.length; i++) {
      if (source[i] !== "'") {
        out += source[i];
      } else if (source[i + 1] === "'") {
        out += "'";
        i++;
      } else if (endsQuoted(source.slice(i + 1))) return scalarNode(out, line);
      else throw new NotLite();
    }
    throw new NotLite();
  }
  if (source.startsWith('"')) {
    const close = source.indexOf('"', 1);
    if (close < 0 || source.includes('\\') || !endsQuoted(source.slice(close + 1))) throw new NotLite();
    return scalarNode(source.slice(1, close), line);
  }
  const hash = source.search(/\s#/);
  const text = (hash < 0 ? source : source.slice(0, hash)).trimEnd();
  if (text === '' || NULL.test(text)) return scalarNode(null, line);
  if (BOOL.test(text)) return scalarNode(/^[Tt]/.test(text), line);
  if (PLAIN_INT.test(text) || PLAIN_FLOAT.test(text)) return scalarNode(Number(text), line);
  if (ANY_NUMBER.test(text) || PLAIN_START.test(text) || OUTSIDE_PLAIN.test(text)) throw new NotLite();
  return scalarNode(text, line);
}

function isItem(line: Line | undefined, indent: number): boolean {
  return line !== undefined && line.indent === indent && (line.text === '-' || line.text.startsWith('- '));
}

class LiteParser {
  private at = 0;
  constructor(private readonly lines: Line[]) {}

  document(): SettingsNode | null {
    if (this.lines.length === 0) return null;
    if (this.lines[0]!.indent !== 0) throw new NotLite();
    const root = this.map(0);
    if (this.at !== this.lines.length) throw new NotLite();
    return root;
  }

  private map(indent: number): SettingsNode {
    const pairs: SettingsPair[] = [];
    const keys = new Set<string>();
    let line: Line | undefined;
    while ((line = this.lines[this.at]) !== undefined && line.indent === indent && !isItem(line, indent)) {
      const m = KEY_LINE.exec(line.text);
      // `null:`, `true:` are not string keys; `__proto__` is not a plain property.
      if (!m || keys.has(m[1]!) || NULL.test(m[1]!) || BOOL.test(m[1]!) || m[1] === '__proto__') throw new NotLite();
      keys.add(m[1]!);
      this.at++;
      const inline = m[2]?.trim() ?? '';
      const next = this.lines[this.at];
      let value: SettingsNode;
      if (inline !== '' && !inline.startsWith('#')) value = scalar(inline, line.no);
      else if (next !== undefined && next.indent > indent) value = isItem(next, next.indent) ? this.seq(next.indent) : this.map(next.indent);
      else if (isItem(next, indent)) value = this.seq(indent);
      else value = scalarNode(null, line.no);
      pairs.push({ key: m[1]!, keyLine: line.no, value });
    }
    if (line !== undefined && line.indent > indent) throw new NotLite();
    const first = pairs[0]?.keyLine;
    return { kind: 'map', line: first, pairs, toJSON: () => Object.fromEntries(pairs.map((p) => [p.key, p.value?.toJSON() ?? null])) };
  }

  private seq(indent: number): SettingsNode {
    const items: SettingsNode[] = [];
    let line: Line | undefined;
    while (isItem((line = this.lines[this.at]), indent)) {
      const inline = line!.text.slice(1).trim();
      // Nested lists and maps in a list (`- - a`, `- name: x`) are left to the library.
      if (inline === '' || inline.startsWith('#') || inline.startsWith('- ') || inline === '-' || KEY_LINE.test(inline)) throw new NotLite();
      items.push(scalar(inline, line!.no));
      this.at++;
    }
    if (line !== undefined && line.indent > indent) throw new NotLite();
    return { kind: 'seq', line: items[0]?.line, toJSON: () => items.map((i) => i.toJSON()) };
  }
}

/** The settings file's tree read without the yaml library, or undefined when the text is not in the subset. */
export function parseLiteSettings(text: string): { root: SettingsNode | null } | undefined {
  if (/[\r\t\uFEFF]/.test(text)) return undefined;
  const lines: Line[] = [];
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const content = raw[i]!.trimStart();
    if (content === '' || content.startsWith('#')) continue;
    lines.push({ no: i + 1, indent: raw[i]!.length - content.length, text: content.trimEnd() });
  }
  try {
    return { root: new LiteParser(lines).document() };
  } catch (err) {
    if (err instanceof NotLite) return undefined;
    throw err;
  }
}
