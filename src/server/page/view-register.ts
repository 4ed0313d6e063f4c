import { html, type Html } from './html.js';

/**
 * "Register for me" (issue 15.1): the guide's portal work done by `register` from the page. The
 * account type, sign-in method, Tenant ID and sender come from the Account form; the script
 * (client-script.ts) shows the administrator's code, then what was created or changed.
 */
export function registerSection(): Html {
  return html`<section class="card" id="register" aria-labelledby="register-title">
<h2 id="register-title">Register the app for me</h2>
<p class="muted">Instead of the portal steps: an administrator of the tenant signs in once with a code, and o365-notify creates
(or fixes) the app registration through Microsoft Graph exactly as the guide says, with the account type, sign-in method,
Tenant ID and Send as chosen under Account, then saves the settings. The administrator needs Application Administrator
or Cloud Application Administrator, and for admin consent Privileged Role Administrator, Cloud Application Administrator
or Global Administrator.</p>
<label class="inline-check"><input type="checkbox" id="register-consent" checked> Grant admin consent</label>
<div class="actions"><button type="button" class="primary" id="register-start">Register for me</button></div>
<div class="device" id="register-panel" hidden aria-live="polite">
<div id="register-code-box" hidden>
<p>On any device, open <a id="register-link" href="#" target="_blank" rel="noopener noreferrer"></a> and sign in as an administrator with the code:</p>
<p class="code" id="register-code"></p>
</div>
<ul id="register-lines"></ul>
<p id="register-state" role="status"></p>
</div>
</section>`;
}
