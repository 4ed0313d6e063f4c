import type { AppRegistration, User } from '../directory.js';
import type { SignInFlow } from './flows.js';
import { hiddenInputs, html, type Html } from './html.js';
import { GRAPH_APPLICATION, GRAPH_DELEGATED, OIDC_DESCRIPTIONS, type OidcScope } from './scopes.js';

/** The bodies of the emulated sign-in pages (wrapped by html.page). */

export const LOGIN_PATH = '/common/login';
export const LOGIN_CANCEL_PATH = '/common/login/cancel';
export const CONSENT_PATH = '/common/Consent/Set';
export const CONSENT_RETURN_PATH = '/common/Consent/Return';
export const DEVICE_LOGIN_PATH = '/devicelogin';

function flowField(flow: SignInFlow): Html {
  return hiddenInputs({ flowToken: flow.id });
}

function intro(flow: SignInFlow, app: AppRegistration): Html {
  if (flow.kind === 'device') {
    return html`<p>Are you trying to sign in to <strong>${app.displayName}</strong>?</p>
<p class="small">Only continue if you downloaded the app from a store or website that you trust.</p>`;
  }
  if (flow.kind === 'adminconsent') {
    return html`<p>Sign in with an administrator account to grant <strong>${app.displayName}</strong> access to your organization.</p>`;
  }
  return html`<p>to continue to <strong>${app.displayName}</strong></p>`;
}

/** Pick an account (one button per known user, each with data-upn) or type one (loginfmt / idSIButton9). */
export function accountPage(flow: SignInFlow, app: AppRegistration, users: User[], options: { error?: string; prefill?: string } = {}): Html {
  const tiles = users.map(
    (u) => html`<form method="post" action="${LOGIN_PATH}">${flowField(flow)}<button type="submit" class="tile" name="loginfmt" value="${u.upn}" data-upn="${u.upn}">${u.displayName}<br><span class="small">${u.upn}</span></button></form>`,
  );
  const cancel =
    flow.kind === 'device'
      ? html`<form method="post" action="${LOGIN_CANCEL_PATH}">${flowField(flow)}<div class="buttons"><button type="submit" id="idBtn_Back" class="secondary">Cancel</button></div></form>`
      : html``;
  return html`<h1 id="loginHeader">${users.length > 0 ? 'Pick an account' : 'Sign in'}</h1>
${intro(flow, app)}
${tiles}
<form method="post" action="${LOGIN_PATH}" id="loginForm">${flowField(flow)}
<label for="i0116">${users.length > 0 ? 'Use another account' : 'Email, phone, or Skype'}</label>
<input type="email" name="loginfmt" id="i0116" autocomplete="username" value="${options.prefill ?? ''}" aria-describedby="usernameError"${options.error ? html` aria-invalid="true"` : html``} autofocus>
${options.error ? html`<p id="usernameError" class="error" role="alert">${options.error}</p>` : html``}
<div class="buttons"><button type="submit" id="idSIButton9">Next</button></div>
</form>
${cancel}`;
}

function permissionItems(delegated: string[], oidc: OidcScope[]): Html[] {
  return [
    ...delegated.map((p) => html`<li data-permission="${p}">${GRAPH_DELEGATED[p]?.description ?? p} <span class="small">(${p})</span></li>`),
    ...oidc.map((s) => html`<li data-permission="${s}">${OIDC_DESCRIPTIONS[s]}</li>`),
  ];
}

/** "Permissions requested" with Cancel (idBtn_Back) and Accept (idSIButton9). */
export function consentPage(
  flow: SignInFlow,
  app: AppRegistration,
  user: User,
  permissions: { delegated: string[]; oidc: OidcScope[]; application?: string[] },
  forOrganization: 'optional' | 'always' | 'never',
): Html {
  const application = permissions.application ?? [];
  const orgBox =
    forOrganization === 'optional'
      ? html`<p><input type="checkbox" name="consentOnBehalf" id="consentOnBehalf" value="true"> <label for="consentOnBehalf" style="display:inline">Consent on behalf of your organization</label></p>`
      : html``;
  const orgText =
    forOrganization === 'always'
      ? html`<p class="small">If you accept, this app will get access to the specified resources for all users in your organization. No one else will be prompted to review these permissions.</p>`
      : html`<p class="small">Accepting these permissions means that you allow this app to use your data as specified in their terms of service and privacy statement. You can change these permissions at https://myapps.microsoft.com.</p>`;
  return html`<p class="small">${user.upn}</p>
<h1>Permissions requested${forOrganization === 'always' ? html`<br><span class="small">Accept for your organization</span>` : html``}</h1>
<p><strong id="appName">${app.displayName}</strong><br><span class="small">unverified</span></p>
<p>This app would like to:</p>
<ul class="perms">${permissionItems(permissions.delegated, permissions.oidc)}${application.map(
    (p) => html`<li data-permission="${p}" data-type="application">${GRAPH_APPLICATION[p]?.description ?? p} <span class="small">(${p}, application)</span></li>`,
  )}</ul>
<form method="post" action="${CONSENT_PATH}" id="consentForm">${flowField(flow)}
${orgBox}${orgText}
<div class="buttons"><button type="submit" name="action" value="cancel" id="idBtn_Back" class="secondary">Cancel</button>
<button type="submit" name="action" value="accept" id="idSIButton9">Accept</button></div>
</form>`;
}

/** Consent the user may not give: AADSTS90094. */
export function needAdminApprovalPage(flow: SignInFlow, app: AppRegistration, user: User): Html {
  return html`<p class="small">${user.upn}</p>
<h1>Need admin approval</h1>
<p><strong>${app.displayName}</strong><br><span class="small">unverified</span></p>
<p>${app.displayName} needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.</p>
<p id="error-message" class="small" data-aadsts="90094">AADSTS90094: The grant requires admin permission.</p>
<p><a href="${LOGIN_PATH}?flowToken=${encodeURIComponent(flow.id)}">Have an admin account? Sign in with that account</a></p>
<form method="post" action="${CONSENT_RETURN_PATH}">${flowField(flow)}
<div class="buttons"><button type="submit" id="idBtn_Back" class="secondary">Return to the application without granting consent</button></div>
</form>`;
}

export function deviceCodePage(options: { error?: string; prefill?: string } = {}): Html {
  return html`<h1>Enter code</h1>
<p>Enter the code displayed on your app or device.</p>
<form method="post" action="${DEVICE_LOGIN_PATH}" id="deviceForm">
<label for="otc">Code</label>
<input type="text" name="otc" id="otc" autocomplete="off" autocapitalize="characters" spellcheck="false" value="${options.prefill ?? ''}" aria-describedby="otcError"${options.error ? html` aria-invalid="true"` : html``} autofocus>
${options.error ? html`<p id="otcError" class="error" role="alert">${options.error}</p>` : html``}
<div class="buttons"><button type="submit" id="idSIButton9">Next</button></div>
</form>`;
}

export function deviceDonePage(app: AppRegistration): Html {
  return html`<h1>${app.displayName}</h1>
<p id="message">You have signed in to the ${app.displayName} application on your device. You may now close this window.</p>`;
}

export function deviceDeclinedPage(app: AppRegistration): Html {
  return html`<h1>${app.displayName}</h1>
<p id="message">You have declined to sign in to the ${app.displayName} application on your device. You may now close this window.</p>`;
}

export function signedOutPage(): Html {
  return html`<h1>You signed out of your account</h1>
<p>It’s a good idea to close all browser windows.</p>`;
}
