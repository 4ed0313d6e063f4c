import type { PageKit } from './client-kit.js';
import type { ShownDiagnosis } from '../../diagnose/index.js';

/**
 * Sign in with Microsoft (the browser flow, the device code) and "Register for me" (the
 * administrator's code, then progress). Runs in the browser from its source text: no imports.
 */
export function signInScript(kit: PageKit): void {
  const { api, el, answerOf, answer, reloadWith, renderDiagnosis } = kit;

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
        if (data.diagnosis) result?.append(renderDiagnosis(data.diagnosis as ShownDiagnosis));
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
}
