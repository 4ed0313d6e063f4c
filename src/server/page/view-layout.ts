import { FAVICON_PATH } from './favicon.js';
import { html, raw, type Html } from './html.js';

/** The document around every page: the stylesheet and script are the service's own files. */
export function documentPage(options: { title: string; body: Html; csrfToken?: string; bodyClass?: string; refreshTo?: string; refreshSeconds?: number }): string {
  const { title, body, csrfToken, bodyClass, refreshTo, refreshSeconds = 1 } = options;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
${csrfToken ? html`<meta name="csrf-token" content="${csrfToken}">` : ''}
${refreshTo ? html`<meta http-equiv="refresh" content="${`${refreshSeconds};url=${refreshTo}`}">` : ''}
<title>${title}</title>
<link rel="icon" type="image/svg+xml" href="${FAVICON_PATH}">
<link rel="stylesheet" href="/ui/page.css">
${csrfToken ? raw('<script src="/ui/page.js" defer></script>') : ''}
</head>
<body${bodyClass ? html` class="${bodyClass}"` : ''}>
${body}
</body>
</html>
`.html;
}

function header(): Html {
  return html`<header class="top"><div class="brand">o365-notify<span>ImageManager e-mail notifications</span></div></header>`;
}

/** What a visitor without a session sees (HTTP 401): how to get in, and the password form when one is set. */
export function lockedPage(options: { passwordSet: boolean; message?: string }): string {
  const body = html`${header()}
<main id="main">
<section class="card" aria-labelledby="locked-title">
<h1 id="locked-title">Sign in to the settings page</h1>
${options.message ? html`<p class="problem error" role="alert">${options.message}</p>` : ''}
<p>Only the administrator may use this page. Open a one-time sign-in link: <code>o365-notify serve</code>
prints one when it starts, and <code>o365-notify page link</code> makes a new one at any time (each works once, for 15 minutes).</p>
${
  options.passwordSet
    ? html`<form method="post" action="/ui/login">
<div class="field"><label for="password">Admin password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required></div>
<div class="actions"><button type="submit" class="primary">Sign in</button></div>
</form>`
    : html`<p class="muted">An admin password for later visits can be set on the page once you are in.</p>`
}
</section>
</main>`;
  return documentPage({ title: 'Sign in - o365-notify', body, bodyClass: 'locked' });
}

/**
 * The answer to Entra's form_post on `/`. It arrives as a cross-site request, which carries no
 * SameSite=Strict cookie; the refresh that follows is a same-site navigation, which does.
 */
export function signInFinishedPage(options: { ok: boolean; title: string; lines: string[]; returnTo: string }): string {
  const body = html`${header()}
<main id="main">
<section class="card">
<h1>${options.title}</h1>
${options.lines.map((line) => html`<p${options.ok ? '' : raw(' class="problem error"')}>${line}</p>`)}
<p><a href="${options.returnTo}">Back to the settings page</a></p>
</section>
</main>`;
  return documentPage({ title: `${options.title} - o365-notify`, body, bodyClass: 'locked', refreshTo: options.returnTo, refreshSeconds: options.ok ? 1 : 5 });
}

/** A page for a request that is not allowed (HTTP 4xx). */
export function errorPage(title: string, text: string): string {
  return documentPage({ title: `${title} - o365-notify`, body: html`${header()}<main id="main"><section class="card"><h1>${title}</h1><p>${text}</p></section></main>`, bodyClass: 'locked' });
}
