/**
 * Server-side HTML for the settings page: every interpolated value is escaped unless it is
 * already Html, so text from settings, Entra ID, Graph or events can never become markup.
 */

import { escapeHtml, html, raw, type Html } from '../../shared/index.js';

export { escapeHtml, html, raw, type Html };

/** ` checked`, ` selected`, ` disabled`... when the condition holds. */
export function attr(name: string, on: boolean): Html {
  return raw(on ? ` ${name}` : '');
}
