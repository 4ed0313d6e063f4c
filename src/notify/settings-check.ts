import { checkSettings, type CheckContext, type Problem, type Settings } from '../config/index.js';
import { NOTIFICATIONS_SECTION, parseNotificationRules } from './rules.js';

/**
 * Every check the service runs on the settings, in one place: the guide's rules for `account:`,
 * `mail:`, `endpoints:`, `service:` (src/config) and the `notifications:` section (recipients,
 * timings, rules, silences). `config check`, `setup`, `doctor` and the settings page's save all call
 * this, so none of them can say "no problems" about settings the service would use differently.
 */
export function settingsProblems(settings: Settings, context: CheckContext = {}): Problem[] {
  const notifications = parseNotificationRules(settings.otherSections[NOTIFICATIONS_SECTION], {
    defaultRecipients: settings.mail.to,
    ...(context.now ? { now: context.now.getTime() } : {}),
  });
  // "No recipients" is said once, by the notifications check (it knows about rules' recipients too).
  const nobody = notifications.problems.some((p) => p.field === `${NOTIFICATIONS_SECTION}.recipients` && p.severity === 'warning');
  const account = checkSettings(settings, context).filter((p) => !(nobody && p.field === 'mail.to' && p.severity === 'warning' && settings.mail.to.length === 0));
  return [...account, ...notifications.problems];
}
