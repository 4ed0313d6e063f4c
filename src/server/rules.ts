import type { Logger } from 'pino';
import type { Settings } from '../config/index.js';
import { NOTIFICATIONS_SECTION, parseNotificationRules, type NotificationRules } from '../notify/index.js';

/** The `notifications:` section of the settings as rules (mail.to is the default recipient list); problems are logged, defaults kept. */
export function rulesFromSettings(settings: Settings, logger?: Logger): NotificationRules {
  const parsed = parseNotificationRules(settings.otherSections[NOTIFICATIONS_SECTION], { defaultRecipients: settings.mail.to });
  for (const p of parsed.problems) {
    logger?.[p.severity === 'error' ? 'error' : 'warn']({ field: p.field, guideStep: p.guideStep }, `settings notifications: ${p.message}`);
  }
  return parsed.rules;
}
