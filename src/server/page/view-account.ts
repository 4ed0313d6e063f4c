import { ACCOUNT_TYPE_LABELS, AUTH_MODES, type AccountType, type AuthMode, type Problem } from '../../config/index.js';
import { attr, html, type Html } from './html.js';
import type { PageData } from './page-data.js';

/** The guide's words for each supported account type. */
const GUIDE_ACCOUNT_TYPES: { type: AccountType; requirement: string; description: string; useCase: string; security: string }[] = [
  {
    type: 'single-tenant',
    requirement: 'Both Client ID & Tenant ID.',
    description: 'Restricted to users within a single Microsoft Entra ID tenant (your organization).',
    useCase: 'Internal applications.',
    security: 'This is the most secure because it limits exposure by ensuring only users from your organization can authenticate.',
  },
  {
    type: 'multi-tenant',
    requirement: 'Client ID (Tenant ID optional).',
    description: 'Accessible by users from any Microsoft Entra ID tenant (any organization using Microsoft 365 or Azure).',
    useCase: 'SaaS applications intended for multiple organizations.',
    security: 'Broader access scope; ensure proper tenant validation and access controls.',
  },
  {
    type: 'multi-tenant-personal',
    requirement: 'Only Client ID (Tenant ID is not required and MUST BE left blank).',
    description: 'Supports both organizational accounts (from any Microsoft Entra ID tenant) and personal Microsoft accounts (e.g. Outlook.com, Xbox, Skype).',
    useCase: 'Applications for business and consumers.',
    security: 'Requires careful handling of identity types and permissions due to mixed account sources.',
  },
];

const AUTH_DESCRIPTIONS: Record<AuthMode, { label: string; detail: string }> = {
  browser: {
    label: 'Browser',
    detail: 'Sign in on this machine; Microsoft returns to http://localhost (Mobile and desktop applications). Mail is sent as the signed-in user.',
  },
  'device-code': {
    label: 'Device code',
    detail: 'For servers without a browser: enter a code on any device. Needs "Allow public client flows" = Yes.',
  },
  'app-only': {
    label: 'App-only',
    detail: 'No user signs in: the client secret and the Application permission Mail.Send (admin consent); sends as the mailbox below.',
  },
};

const TENANT_RULES: Record<AccountType, [string, string]> = {
  'single-tenant': ['required', 'Single tenant: enter the Directory (tenant) ID (or a verified domain such as contoso.onmicrosoft.com).'],
  'multi-tenant': ['optional', 'Multitenant: the Tenant ID is optional; leave it blank to let any organization sign in.'],
  'multi-tenant-personal': ['must be blank', 'Multitenant and personal accounts: the guide says the Tenant ID MUST BE left blank.'],
};

/** Server-rendered messages for a field (the script replaces them as you type). */
export function fieldMessages(problems: Problem[], field: string): Html {
  return html`${problems.filter((p) => p.field === field).map((p) => html`<span class="problem ${p.severity}">${p.message}</span>`)}`;
}

function fieldClass(problems: Problem[], field: string): string {
  const mine = problems.filter((p) => p.field === field);
  return mine.some((p) => p.severity === 'error') ? ' has-error' : mine.length > 0 ? ' has-warning' : '';
}

function envNote(data: PageData, key: string): Html {
  const source = data.sources[key];
  return source && source !== 'file' && source !== 'default' ? html`<p class="help">In use: the value from ${source}, which overrides the file.</p>` : html``;
}

export function accountSection(data: PageData): Html {
  const a = data.fileSettings.account;
  // Before anything is saved, an empty form is not shown as a list of errors (the checklist says what to do).
  const problems = data.settingsExist ? data.problems.filter((p) => p.field.startsWith('account.') || p.field === 'clientSecret') : [];
  const invalid = (field: string) => attr('aria-invalid="true"', problems.some((p) => p.field === field && p.severity === 'error'));
  const [rule, ruleHelp] = a.type && a.type !== 'personal' ? TENANT_RULES[a.type] : ['depends on the account type', 'Choose the account type first.'];
  const secret = data.secretConfigured
    ? `Set${a.secretExpires ? `, expires on ${a.secretExpires}` : ' (expiry date not recorded)'}`
    : 'Not set';
  return html`<section class="card" id="account" aria-labelledby="account-title">
<h2 id="account-title">Microsoft 365 account</h2>
<p class="muted">Enter what you collected while following the guide <em>Office365 Account Configuration</em> in the Azure portal.
Saved to <code>${data.settingsFile}</code>, the same file the command line reads and writes.</p>
<form id="account-form" novalidate>
<fieldset data-field="account.type" class="${fieldClass(problems, 'account.type')}">
<legend>Supported account types</legend>
<p class="help">As chosen on "Register an application" (App registrations &gt; (your app) &gt; Authentication).</p>
${GUIDE_ACCOUNT_TYPES.map(
  (t) => html`<div class="choice">
<input type="radio" name="type" id="type-${t.type}" value="${t.type}" aria-describedby="type-${t.type}-about"${attr('checked', a.type === t.type)}>
<div><label for="type-${t.type}"><strong>${ACCOUNT_TYPE_LABELS[t.type]}</strong></label>
<span class="detail" id="type-${t.type}-about"><b>Requirement for authentication:</b> ${t.requirement}
${t.description} Use case: ${t.useCase} Security: ${t.security}</span></div>
</div>`,
)}
<div class="choice unsupported">
<input type="radio" name="type" id="type-personal" value="personal" disabled aria-describedby="personal-why">
<div><label for="type-personal"><strong>${ACCOUNT_TYPE_LABELS.personal}</strong></label>
<span class="unsupported-note" id="personal-why">Not supported: the guide says "Personal Microsoft accounts only is NOT supported".
To let personal accounts (Outlook.com) sign in, register the app with the third choice above, which includes them.</span></div>
</div>
<span class="msg" role="status">${fieldMessages(problems, 'account.type')}</span>
</fieldset>

<div class="row">
<div class="field${fieldClass(problems, 'account.clientId')}" data-field="account.clientId">
<label for="clientId">Client ID <span class="req" data-rule="required">required</span></label>
<input type="text" id="clientId" name="clientId" value="${a.clientId ?? ''}" autocomplete="off" spellcheck="false" aria-describedby="clientId-help clientId-msg"${invalid('account.clientId')}>
<p class="help" id="clientId-help">Application (client) ID: App registrations &gt; (your app) &gt; Overview.</p>
${envNote(data, 'account.clientId')}
<span class="msg" id="clientId-msg" role="status">${fieldMessages(problems, 'account.clientId')}</span>
</div>
<div class="field${fieldClass(problems, 'account.tenantId')}" data-field="account.tenantId">
<label for="tenantId">Tenant ID <span class="req" id="tenant-requirement" data-rule="${rule}">${rule}</span></label>
<input type="text" id="tenantId" name="tenantId" value="${a.tenantId ?? ''}" autocomplete="off" spellcheck="false" aria-describedby="tenant-rule tenantId-msg"${invalid('account.tenantId')}>
<p class="help" id="tenant-rule">${ruleHelp}</p>
${envNote(data, 'account.tenantId')}
<span class="msg" id="tenantId-msg" role="status">${fieldMessages(problems, 'account.tenantId')}</span>
</div>
</div>

<div class="row">
<div class="field${fieldClass(problems, 'clientSecret')}" data-field="clientSecret">
<label for="secret">Client secret</label>
<span class="secret-state" id="secret-state">${secret}</span>
<input type="password" id="secret" name="secret" autocomplete="new-password" spellcheck="false" placeholder="${data.secretConfigured ? 'Paste a new Value to replace it' : 'Paste the Value (not the Secret ID)'}" aria-describedby="secret-help secret-msg">
<p class="help" id="secret-help">Certificates &amp; secrets &gt; Client secrets: the Value, shown once after "Add". It is stored encrypted and never shown again.
Not needed for browser or device-code sign-in with the Mobile and desktop registration.</p>
${data.secretConfigured ? html`<label class="inline-check"><input type="checkbox" name="clearSecret" id="clearSecret"> Clear the stored secret</label>` : ''}
<span class="msg" id="secret-msg" role="status">${fieldMessages(problems, 'clientSecret')}</span>
</div>
<div class="field${fieldClass(problems, 'account.secretExpires')}" data-field="account.secretExpires">
<label for="secretExpires">Secret expires on</label>
<input type="date" id="secretExpires" name="secretExpires" value="${a.secretExpires ?? ''}" aria-describedby="secretExpires-help secretExpires-msg"${invalid('account.secretExpires')}>
<p class="help" id="secretExpires-help">The Expires date shown next to the secret, to be warned ahead of time.</p>
<span class="msg" id="secretExpires-msg" role="status">${fieldMessages(problems, 'account.secretExpires')}</span>
</div>
</div>

<fieldset data-field="account.auth" class="${fieldClass(problems, 'account.auth')}">
<legend>Sign-in method</legend>
${AUTH_MODES.map(
  (mode) => html`<div class="choice">
<input type="radio" name="auth" id="auth-${mode}" value="${mode}" aria-describedby="auth-${mode}-about"${attr('checked', a.auth === mode)}>
<div><label for="auth-${mode}"><strong>${AUTH_DESCRIPTIONS[mode].label}</strong></label>
<span class="detail" id="auth-${mode}-about">${AUTH_DESCRIPTIONS[mode].detail}</span></div>
</div>`,
)}
<span class="msg" role="status">${fieldMessages(problems, 'account.auth')}</span>
</fieldset>

<div class="field${fieldClass(problems, 'account.sender')}" data-field="account.sender" id="sender-field"${attr('hidden', a.auth !== 'app-only')}>
<label for="sender">Send as (app-only)</label>
<input type="email" id="sender" name="sender" value="${a.sender ?? ''}" autocomplete="off" aria-describedby="sender-help sender-msg"${invalid('account.sender')}>
<p class="help" id="sender-help">The mailbox app-only sending uses: its address or user object ID.</p>
<span class="msg" id="sender-msg" role="status">${fieldMessages(problems, 'account.sender')}</span>
</div>

<div class="field${fieldClass(problems, 'account.redirectPort')}" data-field="account.redirectPort">
<label for="redirectPort">Redirect URI port (optional)</label>
<input type="number" id="redirectPort" name="redirectPort" min="1" max="65535" value="${a.redirectPort ?? ''}" aria-describedby="redirectPort-help redirectPort-msg"${invalid('account.redirectPort')}>
<p class="help" id="redirectPort-help">Leave blank to register plain http://localhost (any port works then); set one only if you registered http://localhost:PORT.</p>
<span class="msg" id="redirectPort-msg" role="status">${fieldMessages(problems, 'account.redirectPort')}</span>
</div>
<div class="redirect">
<span>Redirect URI to register under Authentication &gt; Add a platform &gt; <b>Mobile and desktop applications</b>:</span>
<code id="redirect-uri">${data.registerRedirectUri}</code>
<button type="button" class="small" data-copy="#redirect-uri" aria-label="Copy the redirect URI">Copy</button>
</div>

<div class="problems" role="status" aria-live="polite"></div>
<div class="actions"><button type="submit" class="primary">Save account settings</button>
<span class="muted">Checked against the guide as you type (the same checks as the command line's config check).</span></div>
</form>
</section>`;
}
