import { DATE_FORMS, isDomainName, isEmailAddress, isNetworkRange, parseCalendarDate } from './identifiers.js';
import { parseStoreUrl } from '../shared/index.js';
import type { FieldSpec } from './settings.js';

export type ParsedValue = { ok: true; value: unknown } | { ok: false; expected: string };

function show(raw: unknown): string {
  const text = typeof raw === 'string' ? `"${raw}"` : JSON.stringify(raw) ?? String(raw);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function splitList(text: string): string[] {
  return text
    .split(/[,;]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Turns a value read from settings.yaml or an environment variable into the model's type.
 * Blank (empty text or YAML null) means "not set" and yields undefined.
 */
export function parseFieldValue(spec: FieldSpec, raw: unknown): ParsedValue {
  if (raw === null || raw === undefined) return { ok: true, value: undefined };
  if (raw instanceof Date && spec.kind.type === 'date') return { ok: true, value: raw.toISOString().slice(0, 10) };
  const text = typeof raw === 'string' ? raw.trim() : undefined;
  if (text === '') return { ok: true, value: undefined };
  switch (spec.kind.type) {
    case 'string':
      return text === undefined ? { ok: false, expected: `text, not ${show(raw)}` } : { ok: true, value: text };
    case 'enum': {
      const value = text?.toLowerCase();
      return value !== undefined && spec.kind.values.includes(value)
        ? { ok: true, value }
        : { ok: false, expected: `one of ${spec.kind.values.join(', ')}, not ${show(raw)}` };
    }
    case 'port':
    case 'positive-integer': {
      const n = typeof raw === 'number' ? raw : text !== undefined && /^\d+$/.test(text) ? Number(text) : NaN;
      const max = spec.kind.type === 'port' ? 65535 : Number.MAX_SAFE_INTEGER;
      if (Number.isInteger(n) && n >= 1 && n <= max) return { ok: true, value: n };
      return {
        ok: false,
        expected: spec.kind.type === 'port' ? `a port number (1-65535), not ${show(raw)}` : `a whole number of 1 or more, not ${show(raw)}`,
      };
    }
    case 'date': {
      if (text === undefined) return { ok: false, expected: `a date as ${DATE_FORMS}, not ${show(raw)}` };
      const parsed = parseCalendarDate(text);
      return 'date' in parsed ? { ok: true, value: parsed.date } : { ok: false, expected: `a date as ${DATE_FORMS}; ${parsed.problem}` };
    }
    case 'url': {
      if (text === undefined) return { ok: false, expected: `a URL, not ${show(raw)}` };
      try {
        const url = new URL(text);
        return { ok: true, value: url.href.replace(/\/+$/, '') };
      } catch {
        return { ok: false, expected: `a URL such as https://127.0.0.1:8443, not ${show(raw)}` };
      }
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      const word = text?.toLowerCase();
      if (word === 'true' || word === 'yes' || word === 'on') return { ok: true, value: true };
      if (word === 'false' || word === 'no' || word === 'off') return { ok: true, value: false };
      return { ok: false, expected: `true or false, not ${show(raw)}` };
    }
    case 'network-list':
    case 'address-or-domain-list': {
      const items = Array.isArray(raw) ? raw : text !== undefined ? splitList(text) : undefined;
      const network = spec.kind.type === 'network-list';
      const what = network ? 'IP addresses or CIDR ranges such as 192.168.1.0/24' : 'e-mail addresses or domains such as contoso.com';
      if (!items || !items.every((i) => typeof i === 'string')) return { ok: false, expected: `a list of ${what}, not ${show(raw)}` };
      const values = items.map((i) => i.trim()).filter((i) => i !== '');
      const valid = network ? isNetworkRange : (v: string) => isEmailAddress(v) || isDomainName(v.replace(/^@/, ''));
      const bad = values.find((v) => !valid(v));
      if (bad !== undefined) return { ok: false, expected: `a list of ${what}; ${show(bad)} is not one` };
      return { ok: true, value: network ? values : values.map((v) => v.replace(/^@/, '').toLowerCase()) };
    }
    case 'store-url': {
      // Never echoed: the value can hold a password.
      if (text === undefined) return { ok: false, expected: 'sqlite: or a postgres:// URL written as text' };
      const parsed = parseStoreUrl(text);
      return parsed.ok ? { ok: true, value: text } : { ok: false, expected: `sqlite: or a postgres:// URL, but the value given ${parsed.problem.replace(/\.$/, '')}` };
    }
    case 'list': {
      const items = Array.isArray(raw) ? raw : text !== undefined ? splitList(text) : undefined;
      if (!items || !items.every((i) => typeof i === 'string')) {
        return { ok: false, expected: `a list of addresses, not ${show(raw)}` };
      }
      return { ok: true, value: items.map((i) => i.trim()).filter((i) => i !== '') };
    }
  }
}
