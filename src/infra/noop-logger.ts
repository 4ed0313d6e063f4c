/** The slice of pino's logger the notification service uses (pino's Logger fits as is). */
export interface NotifyLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const noopLogger: NotifyLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
