export {
  CUSTOM_TYPE_PATTERN,
  CUSTOM_TYPE_PREFIX,
  IMAGEMANAGER_EVENT_TYPES,
  catalogEntries,
  eventTypeInfo,
  fillWording,
  headlineFor,
  isCatalogType,
  isCustomType,
  isKnownEventType,
  type EventTypeInfo,
} from './catalog.js';
export { formatDuration, parseDuration } from './duration.js';
export { settingsProblems } from './settings-check.js';
export { formatTime } from './format.js';
export {
  DEFAULT_DAILY_REPORT_TIME,
  DEFAULT_GROUP_BY,
  DEFAULT_TIMINGS,
  GROUP_LABELS,
  NOTIFICATIONS_EXAMPLE,
  NOTIFICATIONS_SECTION,
  defaultNotificationRules,
  eventRuleFor,
  isEmailAddress,
  parseNotificationRules,
  routeFor,
  type ConfigSilence,
  type DailyReportSettings,
  type EventTypeRule,
  type GroupLabel,
  type NotificationRules,
  type ParseRulesOptions,
  type ParsedRules,
  type Route,
  type Timings,
} from './rules.js';
export { MATCHER_LABELS, describeMatchers, globMatches, matchesAll, type AlertLabels, type Matchers } from './matchers.js';
export { applyEvent, notificationReason, pendingReason, type AlertChange, type NotificationReason } from './state.js';
export { groupKeyFor, scheduleAfterChange, scheduleAfterFlush } from './group.js';
export { TemplateError, compileTemplate, sanitizeSubject, type OutputMode, type Template } from './template.js';
export { BUILTIN_TEMPLATES, TEMPLATE_NAMES, type TemplateName, type TemplatePart } from './templates.js';
export {
  TEMPLATES_DIR_NAME,
  TemplateSet,
  alertEmailView,
  renderAlertEmail,
  templatesDir,
  type AlertEmailInput,
  type AlertView,
  type RenderedEmail,
  type TemplateProblem,
} from './render.js';
export { PREVIEW_NAMES, PreviewError, previewEmail } from './preview.js';
export { LAST_REPORT_META_KEY, dailyReportView, dueReportDate, renderDailyReport } from './report.js';
export {
  HEALTH_NOTICE_KINDS,
  SECRET_EXPIRY_THRESHOLDS_DAYS,
  credentialExpiryNotice,
  secretExpiryNotice,
  secretExpiryThreshold,
  signInRefusalNotice,
  type ExpiringCredential,
  type HealthNotice,
  type HealthNoticeKind,
} from './health.js';
export { NotifyMetrics, type NotifyGauges, type NotifyMetricsSnapshot } from './metrics.js';
export { FLUSH_STAGES, activeSilences, flushDueGroups, flushDueGroupsWithin, flushGroup, reviewAllGroups, routeEvents, type PipelineContext } from './pipeline.js';
export {
  NotificationService,
  SilenceValidationError,
  type DeliveryRecord,
  type NotificationServiceOptions,
  type ServiceStatus,
  type SilenceInput,
  type TickReport,
  type RunOnce,
  runHere,
} from './service.js';
// The domain's records (a store keeps them as they are) and the store port notify owns.
export * from './domain.js';
export type {
  AlertStore,
  EventStore,
  GroupStore,
  HealthNoticeStore,
  MetaStore,
  NotifyStore,
  NotifyStoreTx,
  SilenceStore,
} from './store-port.js';
