/**
 * notify's light entry point: the settings checks without the service, the store or delivery, for
 * commands that must answer at once (`config check`). index.ts loads all of notify (and with it
 * better-sqlite3, the delivery worker and msal-node): ~140 ms more at every start (issue 14).
 */
export { settingsProblems } from './settings-check.js';
