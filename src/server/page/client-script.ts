import { pageKit, type PageKit } from './client-kit.js';
import { formsScript } from './client-forms.js';
import { signInScript } from './client-signin.js';

/**
 * The page's one script, served as /ui/page.js (CSP: scripts from the service only, none inline).
 * Written as functions so they are type-checked and linted with the rest; their source text is
 * what the browser gets, so none may use imports or anything from outside its own body. The parts
 * share one PageKit (client-kit.ts): forms and buttons (client-forms.ts), sign-in and registration
 * (client-signin.ts), and what runs last (below).
 */
function pageEnd(kit: PageKit): void {
  const { refreshLive, showFlash } = kit;

  // "Ends at" is typed in the browser's time, which may not be the zone the page shows times in.
  const browserZone = document.getElementById('browser-zone');
  if (browserZone) browserZone.textContent = `(your browser's time, ${Intl.DateTimeFormat().resolvedOptions().timeZone})`;

  window.setInterval(() => {
    if (document.visibilityState === 'visible') void refreshLive();
  }, 15_000);

  showFlash();
}

/** The script as served: esbuild (tsx) may wrap functions in __name() to keep their names. */
export const PAGE_SCRIPT = `"use strict";
var __name = function (target) { return target; };
(function () {
  var kit = (${pageKit.toString()})();
  (${formsScript.toString()})(kit);
  (${signInScript.toString()})(kit);
  (${pageEnd.toString()})(kit);
})();
`;
