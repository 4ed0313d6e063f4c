import type { PageKit, ProblemJson } from './client-kit.js';
import type { ShownDiagnosis } from '../../diagnose/index.js';

/**
 * The page's forms and buttons: the account form's live checks, forms that post JSON, buttons that
 * post, copy buttons. Runs in the browser from its source text (client-script.ts): no imports.
 */
export function formsScript(kit: PageKit): void {
  const { api, el, answer, holderOf, reloadWith, refused, formJson, renderDiagnosis, showProblems, refreshLive } = kit;

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
            if (data.diagnosis) result.append(renderDiagnosis(data.diagnosis as ShownDiagnosis));
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
}
