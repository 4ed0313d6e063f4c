/** Small helpers with no dependencies, used by every layer. */
export { escapeHtml, html, raw, type Html } from './html.js';
