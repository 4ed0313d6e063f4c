/**
 * A small logic-less template language, enough for e-mails and safe by default:
 *
 *   {{ name }} / {{ alert.agent }}   a value; HTML-escaped in HTML output, as is in text output
 *   {{#each alerts}} ... {{else}} ... {{/each}}   repeat for each item (with @index, @number, @first, @last)
 *   {{#if x}} ... {{else}} ... {{/if}}, {{#unless x}} ... {{/unless}}
 *   {{! comment }}
 *
 * A name is looked up in the innermost `each` item first, then outwards; `this` is the current item.
 * There is deliberately no "raw" output: every value a sender controls is escaped.
 */
import { cleanText, escapeHtml } from '../shared/index.js';

export type OutputMode = 'html' | 'text';

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'value'; path: string[]; line: number }
  | { kind: 'each'; path: string[]; body: Node[]; otherwise: Node[]; line: number }
  | { kind: 'if'; path: string[]; negate: boolean; body: Node[]; otherwise: Node[]; line: number };

export class TemplateError extends Error {
  constructor(
    readonly template: string,
    readonly line: number,
    detail: string,
  ) {
    super(`Template ${template}, line ${line}: ${detail}`);
    this.name = 'TemplateError';
  }
}

const PATH = /^(?:this|@?[A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function parsePath(name: string, text: string, line: number): string[] {
  if (!PATH.test(text)) throw new TemplateError(name, line, `"${text.slice(0, 60)}" is not a value name (letters, digits, _ and dots)`);
  return text.split('.');
}

interface Frame {
  kind: 'root' | 'each' | 'if';
  nodes: Node[];
  node?: Extract<Node, { kind: 'each' | 'if' }>;
  inElse: boolean;
  tag?: string;
}

export function compileTemplate(source: string, name = 'template'): Template {
  const root: Frame = { kind: 'root', nodes: [], inElse: false };
  const stack: Frame[] = [root];
  const top = () => stack[stack.length - 1]!;
  const emit = (node: Node) => {
    const frame = top();
    if (frame.node && frame.inElse) frame.node.otherwise.push(node);
    else frame.nodes.push(node);
  };
  const re = /\{\{([\s\S]*?)\}\}/g;
  let last = 0;
  let line = 1;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    const text = source.slice(last, m.index);
    if (text) emit({ kind: 'text', text });
    line += (text.match(/\n/g) ?? []).length;
    last = re.lastIndex;
    const tag = m[1]!.trim();
    const tagLine = line;
    line += (m[0].match(/\n/g) ?? []).length;
    if (tag.startsWith('!')) continue;
    if (tag.startsWith('#')) {
      const [keyword, ...rest] = tag.slice(1).trim().split(/\s+/);
      const arg = rest.join(' ');
      if (keyword !== 'each' && keyword !== 'if' && keyword !== 'unless') {
        throw new TemplateError(name, tagLine, `unknown block "#${keyword}" (use #each, #if or #unless)`);
      }
      const path = parsePath(name, arg, tagLine);
      const node: Extract<Node, { kind: 'each' | 'if' }> =
        keyword === 'each'
          ? { kind: 'each', path, body: [], otherwise: [], line: tagLine }
          : { kind: 'if', path, negate: keyword === 'unless', body: [], otherwise: [], line: tagLine };
      emit(node);
      stack.push({ kind: keyword === 'each' ? 'each' : 'if', nodes: node.body, node, inElse: false, tag: keyword });
      continue;
    }
    if (tag.startsWith('/')) {
      const keyword = tag.slice(1).trim();
      const frame = top();
      if (frame.kind === 'root' || frame.tag !== keyword) {
        throw new TemplateError(name, tagLine, `{{/${keyword}}} closes nothing${frame.tag ? ` (the open block is #${frame.tag})` : ''}`);
      }
      stack.pop();
      continue;
    }
    if (tag === 'else') {
      const frame = top();
      if (frame.kind === 'root' || frame.inElse) throw new TemplateError(name, tagLine, '{{else}} outside an #if, #unless or #each block');
      frame.inElse = true;
      continue;
    }
    emit({ kind: 'value', path: parsePath(name, tag, tagLine), line: tagLine });
  }
  const rest = source.slice(last);
  if (rest) emit({ kind: 'text', text: rest });
  if (stack.length > 1) throw new TemplateError(name, top().node!.line, `#${top().tag} is never closed`);
  return new Template(name, root.nodes);
}


interface Scope {
  value: unknown;
  vars: Record<string, unknown>;
}

function property(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  // Own properties only: "constructor" or "__proto__" in a template reach nothing.
  return Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

function lookup(scopes: readonly Scope[], path: readonly string[]): unknown {
  const [head, ...rest] = path as [string, ...string[]];
  let value: unknown;
  if (head === 'this') value = scopes[scopes.length - 1]!.value;
  else if (head.startsWith('@')) {
    for (let i = scopes.length - 1; i >= 0 && value === undefined; i--) value = scopes[i]!.vars[head];
  } else {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const scope = scopes[i]!.value;
      if (scope !== null && typeof scope === 'object' && Object.prototype.hasOwnProperty.call(scope, head)) {
        value = (scope as Record<string, unknown>)[head];
        break;
      }
    }
  }
  for (const key of rest) value = property(value, key);
  return value;
}

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return Boolean(value);
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return '';
}

export class Template {
  constructor(
    readonly name: string,
    private readonly nodes: readonly Node[],
  ) {}

  render(data: unknown, mode: OutputMode): string {
    const out: string[] = [];
    this.renderNodes(this.nodes, [{ value: data, vars: {} }], mode, out);
    return out.join('');
  }

  private renderNodes(nodes: readonly Node[], scopes: Scope[], mode: OutputMode, out: string[]): void {
    for (const node of nodes) {
      switch (node.kind) {
        case 'text':
          out.push(node.text);
          break;
        case 'value': {
          const text = stringify(lookup(scopes, node.path));
          out.push(mode === 'html' ? escapeHtml(text) : text);
          break;
        }
        case 'if': {
          const show = truthy(lookup(scopes, node.path)) !== node.negate;
          this.renderNodes(show ? node.body : node.otherwise, scopes, mode, out);
          break;
        }
        case 'each': {
          const list = lookup(scopes, node.path);
          const items = Array.isArray(list) ? list : [];
          if (items.length === 0) {
            this.renderNodes(node.otherwise, scopes, mode, out);
            break;
          }
          items.forEach((item, index) => {
            const vars = { '@index': index, '@number': index + 1, '@first': index === 0, '@last': index === items.length - 1 };
            this.renderNodes(node.body, [...scopes, { value: item, vars }], mode, out);
          });
          break;
        }
      }
    }
  }
}

/**
 * A subject line: one line, no control characters (CR/LF would start a new header), no Unicode
 * direction overrides, at most 255 characters.
 */
export function sanitizeSubject(text: string): string {
  const clean = cleanText(text, 'line')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...clean];
  return chars.length > 255 ? `${chars.slice(0, 254).join('')}…` : clean;
}
