import { html } from './html.js';
import type { PageData } from './page-data.js';
import { accountSection } from './view-account.js';
import { bannerFragment, checklistFragment } from './view-checklist.js';
import { accessSection, deliveriesFragment, testSection } from './view-deliveries.js';
import { documentPage } from './view-layout.js';
import { notificationsSection, silencesSection } from './view-notifications.js';
import { signInSection } from './view-signin.js';
import { relaySection } from './view-relay.js';
import { registerSection } from './view-register.js';

/** Parts of the page the script refreshes in place: element id -> inner HTML. */
export function liveFragments(data: PageData): Record<string, string> {
  return {
    'banner-live': bannerFragment(data.banner).html,
    'checklist-live': checklistFragment(data).html,
    'deliveries-live': deliveriesFragment(data).html,
  };
}

export function settingsPage(data: PageData, csrfToken: string): string {
  const body = html`<a class="skip" href="#main">Skip to the settings</a>
<header class="top">
<div class="brand">o365-notify<span>ImageManager e-mail notifications</span></div>
<nav aria-label="Sections">
<a href="#checklist">Checklist</a><a href="#register">Register</a><a href="#account">Account</a><a href="#signin">Sign-in</a><a href="#test">Test e-mail</a>
<a href="#deliveries">Deliveries</a><a href="#relay">SMTP relay</a><a href="#notifications">Notifications</a><a href="#silences">Silences</a><a href="#access">Page access</a>
</nav>
<button type="button" class="small lock" data-post="/ui/logout">Lock the page</button>
</header>
<main id="main">
<h1>Settings</h1>
<p class="muted" id="time-zone-note">Times on this page and in the e-mails are in ${data.timeZoneLabel}: the daily report's time zone, under <a href="#notifications">Notifications</a>.</p>
<p id="flash" class="flash" role="status" hidden></p>
<div id="banner-live">${bannerFragment(data.banner)}</div>
<section class="card" id="checklist" aria-labelledby="checklist-title">
<h2 id="checklist-title">The guide, step by step</h2>
<p class="muted">Each step of <em>Office365 Account Configuration</em>, ticked only from what Microsoft actually answered.</p>
<div id="checklist-live">${checklistFragment(data)}</div>
</section>
${registerSection()}
${accountSection(data)}
${signInSection(data)}
${testSection(data)}
<section class="card" id="deliveries" aria-labelledby="deliveries-title">
<h2 id="deliveries-title">Deliveries</h2>
<div id="deliveries-live">${deliveriesFragment(data)}</div>
</section>
${relaySection(data)}
${notificationsSection(data)}
${silencesSection(data)}
${accessSection(data)}
</main>`;
  return documentPage({ title: 'Settings - o365-notify', body, csrfToken });
}
