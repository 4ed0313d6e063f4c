import { type Diagnosis, GUIDE_STEP_INFO } from '../../diagnose/index.js';
import { html, raw, type Html } from './html.js';
import type { PageData } from './page-data.js';
import { diagnosisBlock } from './view-checklist.js';

function diagnosisOf(d: Diagnosis, seenIn: string): Html {
  return diagnosisBlock({ ...d, where: GUIDE_STEP_INFO[d.guideStep].where, seenIn });
}

function facts(data: PageData): Html {
  const { auth } = data;
  if (!auth.account) return html`<p id="signin-state">Not signed in.</p>`;
  const rows: [string, string][] = [['Account', auth.account]];
  if (auth.tenantId) rows.push(['Tenant', auth.tenantId]);
  if (auth.signedInAt) rows.push(['Signed in', data.time(Date.parse(auth.signedInAt))]);
  if (auth.accessTokenExpiresAt) rows.push(['Access token valid until', data.time(Date.parse(auth.accessTokenExpiresAt))]);
  if (auth.refreshTokenAgeDays !== undefined && auth.refreshTokenExpiresBy) {
    rows.push(['Refresh token', `${auth.refreshTokenAgeDays} day(s) old; refreshed automatically, it would end unused on ${data.time(Date.parse(auth.refreshTokenExpiresBy))}`]);
  }
  return html`<p id="signin-state">${auth.signedIn ? 'Signed in.' : 'Sign in again needed.'}</p>
<dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

function devicePanel(data: PageData): Html {
  const view = data.deviceCode;
  const waiting = view.state === 'waiting';
  return html`<div class="device" id="device-panel" data-state="${view.state}"${waiting ? '' : html` hidden`} aria-live="polite">
<h3>Sign in with a code</h3>
<p>On any device, open <a id="device-link" href="${waiting ? view.verificationUri : '#'}" target="_blank" rel="noopener noreferrer">${waiting ? view.verificationUri : ''}</a>
and enter the code:</p>
<p class="code" id="device-code">${waiting ? view.userCode : ''}</p>
<p id="device-state" role="status">${waiting ? 'Waiting for the sign-in to complete...' : ''}</p>
<button type="button" class="small" data-post="/ui/api/signin/cancel">Cancel</button>
</div>`;
}

function lastDeviceOutcome(data: PageData): Html {
  const view = data.deviceCode;
  if (view.state === 'failed') {
    return html`<div class="result" id="device-outcome"><p class="failed">The device-code sign-in failed: ${view.error}</p>${view.diagnosis ? diagnosisOf(view.diagnosis, `device-code sign-in, ${data.time(Date.parse(view.at))}`) : ''}</div>`;
  }
  return html``;
}

export function signInSection(data: PageData): Html {
  const { auth } = data;
  const mode = data.settings.account.auth;
  const problem = auth.problem;
  const browser = (primary: boolean) => html`<button type="button"${primary ? raw(' class="primary"') : ''} data-signin="browser">Sign in with Microsoft</button>`;
  const code = (primary: boolean) =>
    html`<button type="button"${primary ? raw(' class="primary"') : ''} data-signin="device-code">${primary ? 'Sign in with Microsoft (code)' : 'Sign in with a code on another device'}</button>`;
  const buttons =
    mode === 'app-only'
      ? html`<button type="button" class="primary" data-signin="app-only">Check the app-only sign-in</button>`
      : !data.local
        ? code(true)
        : mode === 'device-code'
          ? html`${code(true)} ${browser(false)}`
          : html`${browser(true)} ${code(false)}`;
  return html`<section class="card" id="signin" aria-labelledby="signin-title">
<h2 id="signin-title">Sign in with Microsoft</h2>
${facts(data)}
${problem ? html`<div class="result" id="signin-problem"><p class="failed">${problem.reason}</p>${problem.diagnosis ? diagnosisOf(problem.diagnosis, `sign-in, ${data.time(Date.parse(problem.since))}`) : ''}</div>` : ''}
${auth.notes.map((n) => html`<p class="muted">Note: ${n}</p>`)}
<p class="muted">${
    mode === 'app-only'
      ? 'App-only: the service signs in as the application with the client secret.'
      : data.local
        ? html`Opened on this machine: Microsoft's sign-in page returns to <code>${data.pageRedirectUri}</code> (registered as <code>${data.registerRedirectUri}</code>).`
        : 'Opened from another machine: the browser sign-in could not return to this server, so sign in with a code.'
  }</p>
<div class="actions">${buttons}
${auth.account ? html`<button type="button" data-post="/ui/api/signout" data-confirm="Sign out? E-mails wait until someone signs in again.">Sign out</button>` : ''}</div>
<div id="signin-result" class="result" role="status" aria-live="polite"></div>
${devicePanel(data)}
${problem ? '' : lastDeviceOutcome(data)}
</section>`;
}
