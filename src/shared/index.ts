/** Small helpers with no dependencies, used by every layer. */
export { badRecipientMessage, emailAddressProblem, isEmailAddress, NOBODY_IS_EMAILED } from './email.js';
export { contentTypeForFileName } from './content-types.js';
export { maskAddress } from './mask.js';
export { escapeHtml, html, raw, type Html } from './html.js';
export { cleanText, hasControlCharacters, printable, type TextShape } from './text.js';
export { productVersion } from './version.js';
export { parseStoreUrl, redactStoreUrl, type ParsedStoreUrl, type StoreLocation } from './store-url.js';
export { jsonText, withJsonText } from './json-text.js';
export { lazyRequire } from './lazy-require.js';
