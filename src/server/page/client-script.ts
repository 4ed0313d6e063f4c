/**
 * The page's one script, served as /ui/page.js (CSP: scripts from the service only, none inline).
 * Written as a function so it is type-checked and linted with the rest; its source text is what
 * the browser gets. It must not use imports or anything from outside its own body.
 */

interface ProblemJson {
  field: string;
  severity: 'error' | 'warning';
  message: string;
}

interface DiagnosisJson {
  code: string;
  title: string;
  cause: string;
  fix: string;
  where?: string;
  adminConsentUrl?: string;
}

function pageScript(): void {
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

  const renderDiagnosis = (d: DiagnosisJson): HTMLElement => {
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
  // ---- Account: the tenant rule and the redirect URI follow the choices live; checks as you type.
  const account = document.getElementById('account-form') as HTMLFormElement | null;
  if (account) {
    const isAccountField = (p: ProblemJson) => p.field.startsWith('account.') || p.field === 'clientSecret';
    const requirement = document.getElementById('tenant-requirement');
    const tenantHelp = document.getElementById('tenant-rule');
    const redirect = document.getElementById('redirect-uri');
    const port = account.querySelector<HTMLInputElement>('input[name="redirectPort"]');
    const sender = document.getElementById('sender-field');
    const rules: Record<string, [string, string]> = {
      'single-tenant': ['required', 'Single tenant: enter the Directory (tenant) ID (or a verified domain such as contoso.onmicrosoft.com).'],
      'multi-tenant': ['optional', 'Multitenant: the Tenant ID is optional; leave it blank to let any organization sign in.'],
      'multi-tenant-personal': ['must be blank', 'Multitenant and personal accounts: the guide says the Tenant ID MUST BE left blank.'],
    };
    const follow = (): void => {
      const type = account.querySelector<HTMLInputElement>('input[name="type"]:checked')?.value ?? '';
      const rule = rules[type];
      if (requirement) {
        requirement.textContent = rule ? rule[0] : 'depends on the account type';
        requirement.dataset.rule = rule ? rule[0] : '';
      }
      if (tenantHelp) tenantHelp.textContent = rule ? rule[1] : 'Choose the account type first.';
      const auth = account.querySelector<HTMLInputElement>('input[name="auth"]:checked')?.value ?? '';
      if (sender) sender.hidden = auth !== 'app-only';
      if (redirect && port) {
        const value = port.value.trim();
        redirect.textContent = /^\d+$/.test(value) ? `http://localhost:${value}` : 'http://localhost';
      }
    };
    let timer: number | undefined;
    let sequence = 0;
    const check = async (): Promise<void> => {
      const mine = ++sequence;
      const { data } = await api('POST', '/ui/api/check', formJson(account));
      if (mine !== sequence) return;
      showProblems(account, (data.problems as ProblemJson[] | undefined) ?? [], isAccountField);
    };
    const later = (): void => {
      follow();
      window.clearTimeout(timer);
      timer = window.setTimeout(() => void check(), 250);
    };
    // A refusal is answered; once the person edits again, the live check takes over.
    const stale = (): void => {
      const line = account.querySelector<HTMLElement>('.answer');
      if (line?.dataset.kind === 'failed') line.replaceChildren();
    };
    account.addEventListener('input', stale);
    account.addEventListener('input', later);
    account.addEventListener('change', later);
    follow();
    account.addEventListener('submit', (event) => {
      event.preventDefault();
      void (async () => {
        const { status, data } = await api('POST', '/ui/api/account', formJson(account));
        if (status === 200) return reloadWith(String(data.message ?? 'Saved.'), account);
        showProblems(account, (data.problems as ProblemJson[] | undefined) ?? [], isAccountField);
        refused(account, String(data.error ?? `Not saved (HTTP ${status}).`));
      })();
    });
  }

  // ---- Forms that post JSON: saved -> reload with a message; refused -> the problems in place.
  document.querySelectorAll<HTMLFormElement>('form[data-api]').forEach((form) => {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const button = form.querySelector<HTMLButtonElement>('button[type="submit"]');
      const result = form.dataset.result ? document.querySelector<HTMLElement>(form.dataset.result) : null;
      if (button) button.disabled = true;
      if (result) {
        result.replaceChildren(el('p', 'pending', form.dataset.pending ?? 'Working...'));
      }
      void (async () => {
        try {
          const { status, data } = await api('POST', form.dataset.api ?? '', formJson(form));
          if (result) {
            result.replaceChildren(el('p', status === 200 && data.ok !== false ? 'ok' : 'failed', String(data.message ?? data.error ?? '')));
            if (data.diagnosis) result.append(renderDiagnosis(data.diagnosis as DiagnosisJson));
            void refreshLive();
            return;
          }
          if (status === 200) return reloadWith(String(data.message ?? 'Saved.'), form);
          showProblems(form, (data.problems as ProblemJson[] | undefined) ?? []);
          refused(form, String(data.error ?? `Not saved (HTTP ${status}).`));
        } finally {
          if (button) button.disabled = false;
        }
      })();
    });
  });

  // ---- Buttons that post (sign out, check again, remove a silence, lock the page); delegated, as
  // fragments are replaced while the page is open.
  document.addEventListener('click', (event) => {
    const button = (event.target as Element | null)?.closest<HTMLButtonElement>('button[data-post]');
    if (!button) return;
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    button.disabled = true;
    void (async () => {
      const { status, data } = await api(button.dataset.method ?? 'POST', button.dataset.post ?? '');
      const near = holderOf(button);
      if (status === 200) reloadWith(String(data.message ?? 'Done.'), near);
      else {
        button.disabled = false;
        if (near) answer(near, 'failed', String(data.error ?? `Failed (HTTP ${status}).`)).scrollIntoView({ block: 'nearest' });
        else window.alert(String(data.error ?? `Failed (HTTP ${status}).`));
      }
    })();
  });

  // ---- Copy buttons.
  document.addEventListener('click', (event) => {
    const button = (event.target as Element | null)?.closest<HTMLButtonElement>('button[data-copy]');
    if (!button) return;
    const source = document.querySelector<HTMLElement>(button.dataset.copy ?? '');
    const text = source?.textContent?.trim() ?? '';
    const done = () => {
      const label = button.textContent;
      button.textContent = 'Copied';
      window.setTimeout(() => (button.textContent = label), 2000);
    };
    if (navigator.clipboard) {
      void navigator.clipboard.writeText(text).then(done, () => undefined);
    } else if (source) {
      const range = document.createRange();
      range.selectNodeContents(source);
      window.getSelection()?.removeAllRanges();
      window.getSelection()?.addRange(range);
    }
  });

  // ---- Sign in with Microsoft: the browser flow leaves for Microsoft; the device code shows here.
  const panel = document.getElementById('device-panel');
  const pollDeviceCode = (): void => {
    window.setTimeout(() => {
      void (async () => {
        const { data } = await api('GET', '/ui/api/signin/status');
        if (data.state === 'waiting') pollDeviceCode();
        else if (data.state === 'signed-in') reloadWith(`Signed in as ${String(data.account)}.`, document.getElementById('signin'));
        else window.location.reload();
      })();
    }, 1500);
  };
  const showDeviceCode = (data: Record<string, unknown>): void => {
    if (!panel) return;
    panel.hidden = false;
    const code = document.getElementById('device-code');
    const link = document.getElementById('device-link') as HTMLAnchorElement | null;
    if (code) code.textContent = String(data.userCode ?? '');
    if (link) {
      link.href = String(data.verificationUri ?? '');
      link.textContent = String(data.verificationUri ?? '');
    }
    const state = document.getElementById('device-state');
    if (state) state.textContent = 'Waiting for the sign-in to complete...';
    pollDeviceCode();
  };
  document.querySelectorAll<HTMLButtonElement>('button[data-signin]').forEach((button) => {
    button.addEventListener('click', () => {
      const method = button.dataset.signin ?? '';
      const result = document.getElementById('signin-result');
      // What the previous attempt said is no longer the news.
      for (const id of ['signin-problem', 'device-outcome']) {
        const old = document.getElementById(id);
        if (old) old.hidden = true;
      }
      button.disabled = true;
      result?.replaceChildren(el('p', 'pending', method === 'browser' ? 'Opening the Microsoft sign-in page...' : 'Asking Microsoft for a code...'));
      void (async () => {
        const { status, data } = await api('POST', `/ui/api/signin/${method}`);
        button.disabled = false;
        if (status === 200 && method === 'browser' && typeof data.url === 'string') {
          window.location.assign(data.url);
          return;
        }
        if (status === 200 && data.state === 'waiting') {
          result?.replaceChildren();
          showDeviceCode(data);
          return;
        }
        if (status === 200 && data.ok !== false && data.state !== 'failed') {
          reloadWith(String(data.message ?? 'Signed in.'), document.getElementById('signin'));
          return;
        }
        result?.replaceChildren(el('p', 'failed', String(data.error ?? data.message ?? 'Sign-in failed.')));
        if (data.diagnosis) result?.append(renderDiagnosis(data.diagnosis as DiagnosisJson));
      })();
    });
  });
  if (panel && panel.dataset.state === 'waiting') pollDeviceCode();

  // ---- Register for me: the administrator's code, then each change in the portal's words.
  const registerPanel = document.getElementById('register-panel');
  const showRegistration = (data: Record<string, unknown>): boolean => {
    if (!registerPanel || !data.state || data.state === 'idle') return false;
    registerPanel.hidden = false;
    const waiting = data.state === 'waiting';
    const box = document.getElementById('register-code-box');
    if (box) box.hidden = !waiting;
    if (waiting) {
      const link = document.getElementById('register-link') as HTMLAnchorElement | null;
      if (link) {
        link.href = String(data.verificationUri ?? '');
        link.textContent = String(data.verificationUri ?? '');
      }
      const code = document.getElementById('register-code');
      if (code) code.textContent = String(data.userCode ?? '');
    }
    const list = document.getElementById('register-lines');
    list?.replaceChildren(...((data.lines as string[] | undefined) ?? []).map((line) => el('li', undefined, line)));
    const state = document.getElementById('register-state');
    if (state) {
      state.className = data.state === 'failed' ? 'failed' : data.state === 'done' ? 'ok' : 'pending';
      state.textContent =
        data.state === 'failed'
          ? String(data.error ?? 'Registering failed.')
          : data.state === 'done'
            ? `Done: the app registration ${String(data.clientId)} follows the guide, and the settings are saved.`
            : waiting
              ? 'Waiting for the administrator to sign in...'
              : 'Registering...';
    }
    return data.state === 'starting' || data.state === 'waiting' || data.state === 'working';
  };
  const pollRegistration = (): void => {
    window.setTimeout(() => {
      void (async () => {
        const { data } = await api('GET', '/ui/api/register/status');
        if (showRegistration(data)) pollRegistration();
        else if (data.state === 'done') reloadWith(`Registered: the app ${String(data.clientId)} and the settings are saved.`, document.getElementById('register'));
      })();
    }, 1000);
  };
  document.getElementById('register-start')?.addEventListener('click', (event) => {
    const button = event.currentTarget as HTMLButtonElement;
    const chosen = (name: string) => document.querySelector<HTMLInputElement>(`#account-form input[name="${name}"]:checked`)?.value ?? '';
    const value = (id: string) => (document.getElementById(id) as HTMLInputElement | null)?.value ?? '';
    const body = {
      type: chosen('type'),
      auth: chosen('auth'),
      tenantId: value('tenantId'),
      sender: value('sender'),
      grantAdminConsent: (document.getElementById('register-consent') as HTMLInputElement | null)?.checked ?? true,
    };
    button.disabled = true;
    const section = document.getElementById('register');
    if (section) answer(section, 'pending', 'Asking Microsoft for a code...');
    void (async () => {
      const { status, data } = await api('POST', '/ui/api/register', body);
      button.disabled = false;
      if (section) answerOf(section).replaceChildren();
      if (status === 200) {
        if (showRegistration(data)) pollRegistration();
        return;
      }
      if (!showRegistration(data) && section) answer(section, 'failed', String(data.error ?? `Not started (HTTP ${status}).`));
    })();
  });
  if (registerPanel) {
    void api('GET', '/ui/api/register/status').then(({ data }) => {
      if (showRegistration(data)) pollRegistration();
    });
  }

  // "Ends at" is typed in the browser's time, which may not be the zone the page shows times in.
  const browserZone = document.getElementById('browser-zone');
  if (browserZone) browserZone.textContent = `(your browser's time, ${Intl.DateTimeFormat().resolvedOptions().timeZone})`;

  window.setInterval(() => {
    if (document.visibilityState === 'visible') void refreshLive();
  }, 15_000);

  showFlash();
}

/** The script as served: esbuild (tsx) may wrap functions in __name() to keep their names. */
export const PAGE_SCRIPT = `"use strict";\nvar __name = function (target) { return target; };\n(${pageScript.toString()})();\n`;
