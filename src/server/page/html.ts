/**
 * Server-side HTML for the settings page: every interpolated value is escaped unless it is
 * already Html, so text from settings, Entra ID, Graph or events can never become markup.
 */

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A fragment that is already HTML. */
export interface Html {
  readonly html: string;
}

export function raw(html: string): Html {
  return { html };
}

function render(value: unknown): string {
  if (value === undefined || value === null || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (typeof value === 'object' && 'html' in value) return (value as Html).html;
  return escapeHtml(String(value));
}

/** Tagged template: escapes every value except Html (and arrays of Html); false/null/undefined render nothing. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return raw(out);
}

/** ` checked`, ` selected`, ` disabled`... when the condition holds. */
export function attr(name: string, on: boolean): Html {
  return raw(on ? ` ${name}` : '');
}
