/**
 * Escaping for every HTML o365-notify renders (e-mails, the settings page, the sign-in
 * answer page, the emulator's pages): one implementation, so no page escapes differently.
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
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
