/**
 * The page's icon (issue 10.8: browsers ask for /favicon.ico on their own, and a 404 there is noise
 * in the browser console and the log). An envelope, as SVG: small, sharp at every size, no binary
 * asset. The page links it (<link rel="icon">), and /favicon.ico answers the same for clients
 * that ask without reading the page (Chromium and Firefox go by its content type).
 */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="2" y="6" width="28" height="20" rx="3" fill="#0f5ea8"/><path d="M4 9l12 9 12-9" fill="none" stroke="#fff" stroke-width="2.5" stroke-linejoin="round"/></svg>`;

export const FAVICON_PATH = '/ui/favicon.svg';
