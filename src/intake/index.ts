/**
 * The ways in: validation of events (HTTP API, CLI) and of Alertmanager's webhook, each turning
 * outside input into events the notification pipeline accepts, or into field errors.
 */
export { alertmanagerToEvents, eventTypeForAlertname, severityForLabel, type AlertmanagerMapping } from './alertmanager.js';
export {
  EVENT_LIMITS,
  EventValidationError,
  alertKeyOf,
  parseEventPayload,
  toNewEvent,
  validateEvents,
  type FieldError,
  type PayloadResult,
  type ValidEvent,
  type ValidationResult,
} from './events.js';
