import type { ShownDiagnosis } from '../../diagnose/index.js';

/**
 * The helpers every part of the page's script uses (client-script.ts assembles the parts). Like
 * the parts, pageKit runs in the browser from its source text: no imports, nothing from outside
 * its body; the types below are erased.
 */

export interface ProblemJson {
  field: string;
  severity: 'error' | 'warning';
  message: string;
}

export interface PageKit {
  api(method: string, url: string, body?: unknown): Promise<{ status: number; data: Record<string, unknown> }>;
  el(tag: string, className?: string, text?: string): HTMLElement;
  answerOf(holder: HTMLElement): HTMLElement;
  answer(holder: HTMLElement, kind: 'ok' | 'failed' | 'pending', message: string): HTMLElement;
  holderOf(node: Element): HTMLElement | null;
  reloadWith(message: string, near?: HTMLElement | null): void;
  showFlash(): void;
  refused(form: HTMLElement, message: string): void;
  formJson(form: HTMLFormElement): Record<string, string | string[]>;
  renderDiagnosis(d: ShownDiagnosis): HTMLElement;
  showProblems(form: HTMLElement, problems: ProblemJson[], only?: (p: ProblemJson) => boolean): void;
  refreshLive(): Promise<void>;
}

export function pageKit(): PageKit {
  const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
  const FLASH_KEY = 'o365-notify-flash';

  const api = async (method: string, url: string, body?: unknown): Promise<{ status: number; data: Record<string, unknown> }> => {
    const response = await fetch(url, {
      method,
      headers: body === undefined ? { 'x-csrf-token': csrf } : { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
    let data: Record<string, unknown> = {};
    try {
      data = (await response.json()) as Record<string, unknown>;
    } catch {
      data = {};
    }
    if (response.status === 401) window.location.reload();
    return { status: response.status, data };
  };

  const el = (tag: string, className?: string, text?: string): HTMLElement => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  /** The answer line next to a form's submit button (made on first use). */
  const answerOf = (holder: HTMLElement): HTMLElement => {
    const actions = holder.tagName === 'FORM' ? holder.querySelector<HTMLElement>('.actions') : null;
    let line = (actions ?? holder).querySelector<HTMLElement>(':scope > .answer');
    if (!line) {
      line = el('p', 'answer');
      line.setAttribute('role', 'status');
      line.setAttribute('aria-live', 'polite');
      const heading = holder.querySelector(':scope > h2');
      if (actions) actions.append(line);
      else if (heading) heading.after(line);
      else holder.prepend(line);
    }
    return line;
  };

  const answer = (holder: HTMLElement, kind: 'ok' | 'failed' | 'pending', message: string): HTMLElement => {
    const line = answerOf(holder);
    line.replaceChildren(el('span', kind, message));
    line.dataset.kind = kind;
    return line;
  };

  /** Where a button's answer goes: its form, else its section (the silences table's "End now"). */
  const holderOf = (node: Element): HTMLElement | null => node.closest<HTMLElement>('form[id]') ?? node.closest<HTMLElement>('section[id]');

  // After a save the page reloads; the message is shown where the button was pressed, not at the top.
  const reloadWith = (message: string, near?: HTMLElement | null): void => {
    sessionStorage.setItem(FLASH_KEY, JSON.stringify({ message, near: near?.id ?? '' }));
    if (near) history.scrollRestoration = 'manual';
    window.location.reload();
  };

  const showFlash = (): void => {
    const stored = sessionStorage.getItem(FLASH_KEY);
    if (!stored) return;
    sessionStorage.removeItem(FLASH_KEY);
    let flash: { message: string; near: string };
    try {
      flash = JSON.parse(stored) as { message: string; near: string };
    } catch {
      flash = { message: stored, near: '' };
    }
    const near = flash.near ? document.getElementById(flash.near) : null;
    if (near) {
      answer(near, 'ok', flash.message).scrollIntoView({ block: 'center' });
      return;
    }
    const holder = document.getElementById('flash');
    if (!holder) return;
    holder.textContent = flash.message;
    holder.hidden = false;
  };

  /** A refused submit: the reason next to the button, focus on the first field in error. */
  const refused = (form: HTMLElement, message: string): void => {
    const line = answer(form, 'failed', message);
    const first = form.querySelector<HTMLElement>('.has-error input:not([type="hidden"]), .has-error select, .has-error textarea');
    if (first) {
      first.focus({ preventScroll: true });
      first.scrollIntoView({ block: 'center' });
    } else {
      line.scrollIntoView({ block: 'nearest' });
    }
  };

  /** The form's fields as JSON: repeated names become lists; `data-multi` groups are always lists. */
  const formJson = (form: HTMLFormElement): Record<string, string | string[]> => {
    const out: Record<string, string | string[]> = {};
    new FormData(form).forEach((value, name) => {
      if (typeof value !== 'string') return;
      const previous = out[name];
      if (previous === undefined) out[name] = value;
      else out[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
    });
    // The browser's local time, sent as an instant: the server may be in another time zone.
    form.querySelectorAll<HTMLInputElement>('input[type="datetime-local"]').forEach((input) => {
      if (input.value) out[input.name] = new Date(input.value).toISOString();
    });
    form.querySelectorAll<HTMLInputElement>('[data-multi]').forEach((input) => {
      const value = out[input.name];
      out[input.name] = value === undefined ? [] : Array.isArray(value) ? value : [value];
    });
    return out;
  };

  /** Text whose `backticked` parts are commands, as code (as the server renders them, view-checklist.ts). */
  const withCode = (text: string): (string | HTMLElement)[] => {
    const parts = text.split('`');
    if (parts.length % 2 === 0) return [text];
    return parts.map((part, i) => (i % 2 === 1 ? el('code', undefined, part) : part));
  };

  const renderDiagnosis = (d: ShownDiagnosis): HTMLElement => {
    const box = el('div', 'diagnosis');
    box.append(el('p', 'diagnosis-title', `${d.code}: ${d.title}`));
    const why = el('p');
    why.append(el('strong', undefined, 'Why: '), ...withCode(d.cause));
    const fix = el('p');
    fix.append(el('strong', undefined, 'Fix: '), ...withCode(d.fix));
    box.append(why, fix);
    if (d.where) {
      const where = el('p', 'where');
      where.append(el('strong', undefined, 'Where: '), ...withCode(d.where));
      box.append(where);
    }
    if (d.adminConsentUrl) {
      const p = el('p');
      const link = el('a', undefined, 'Open the admin-consent page') as HTMLAnchorElement;
      link.href = d.adminConsentUrl;
      link.rel = 'noopener noreferrer';
      link.target = '_blank';
      p.append(link);
      box.append(p);
    }
    return box;
  };

  /** Messages next to their fields (`data-field`), the rest in the form's summary. */
  const showProblems = (form: HTMLElement, problems: ProblemJson[], only?: (p: ProblemJson) => boolean): void => {
    form.querySelectorAll<HTMLElement>('[data-field]').forEach((holder) => {
      holder.classList.remove('has-error', 'has-warning');
      const msg = holder.querySelector('.msg');
      if (msg) msg.textContent = '';
      holder.querySelectorAll('input, select, textarea').forEach((input) => input.removeAttribute('aria-invalid'));
    });
    const summary = form.querySelector<HTMLElement>('.problems');
    const rest: ProblemJson[] = [];
    for (const problem of problems.filter((p) => (only ? only(p) : true))) {
      const holder = form.querySelector<HTMLElement>(`[data-field="${CSS.escape(problem.field)}"]`);
      const msg = holder?.querySelector('.msg');
      if (!holder || !msg) {
        rest.push(problem);
        continue;
      }
      const line = el('span', `problem ${problem.severity}`, problem.message);
      msg.append(line);
      holder.classList.add(problem.severity === 'error' ? 'has-error' : 'has-warning');
      if (problem.severity === 'error') holder.querySelectorAll('input, select, textarea').forEach((input) => input.setAttribute('aria-invalid', 'true'));
    }
    if (!summary) return;
    summary.replaceChildren();
    for (const problem of rest) summary.append(el('p', `problem ${problem.severity}`, problem.message));
  };

  // ---- The checklist, the banner and the deliveries stay current while the page is open.
  const refreshLive = async (): Promise<void> => {
    const { status, data } = await api('GET', '/ui/api/state?fragments=1');
    if (status !== 200) return;
    const fragments = (data.fragments ?? {}) as Record<string, string>;
    for (const [id, markup] of Object.entries(fragments)) {
      const target = document.getElementById(id);
      // Server-rendered and escaped there; scripts in it would not run (CSP).
      if (target) target.innerHTML = markup;
    }
  };

  return { api, el, answerOf, answer, holderOf, reloadWith, showFlash, refused, formJson, renderDiagnosis, showProblems, refreshLive };
}
