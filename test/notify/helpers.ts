import path from 'node:path';
import { NotificationService, type NotificationServiceOptions } from '../../src/notify/service.js';
import { outcomeOfError, type DeliveryChannel, type DeliveryOutcome, type OutgoingMessage } from '../../src/delivery/index.js';
import { parseNotificationRules, type NotificationRules } from '../../src/notify/rules.js';
import { openStore, sqliteNotifyStore, type Store, type StoreOptions } from '../../src/store/index.js';
import { tempDir } from '../store/helpers.js';

export { tempDir };

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public now: number = Date.UTC(2025, 5, 2, 6, 0, 0)) {}
  read = (): number => this.now;
  advance(ms: number): number {
    this.now += ms;
    return this.now;
  }
}

/** The wall clock, for tests of the running service's own timers. */
export class RealClock extends FakeClock {
  override read = (): number => Date.now();
}

export interface FakeSendResult {
  messageId?: string;
}

export type SendBehaviour = (email: OutgoingMessage, attempt: number, signal: AbortSignal) => FakeSendResult | Promise<FakeSendResult>;

/** A delivery channel that records every e-mail; `behaviour` decides per call (throw to fail, like an adapter would). */
export class FakeSender implements DeliveryChannel {
  readonly sent: OutgoingMessage[] = [];
  readonly calls: OutgoingMessage[] = [];
  behaviour: SendBehaviour | undefined;

  async send(email: OutgoingMessage, { signal }: { signal: AbortSignal }): Promise<DeliveryOutcome> {
    this.calls.push(email);
    const attempt = this.calls.filter((c) => c.headers['x-o365-notify-id'] === email.headers['x-o365-notify-id']).length;
    try {
      const result = this.behaviour ? await this.behaviour(email, attempt, signal) : { messageId: `msg-${this.calls.length}` };
      this.sent.push(email);
      return { kind: 'sent', messageId: result?.messageId ?? null, requests: 1 };
    } catch (err) {
      return outcomeOfError(err);
    }
  }
}

export class SendError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    Object.assign(this, extra);
  }
}

export function rulesFrom(section: unknown, defaultRecipients = ['admin@contoso.com']): NotificationRules {
  const parsed = parseNotificationRules(section, { defaultRecipients, now: Date.UTC(2025, 5, 1) });
  const errors = parsed.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.message).join('\n'));
  return parsed.rules;
}

export interface Harness {
  service: NotificationService;
  store: Store;
  clock: FakeClock;
  sender: FakeSender;
  dir: string;
  file: string;
  close: () => void;
}

/** A service on a temporary store with a fake clock and sender; the daily report is off unless asked for. */
export function harness(
  section: unknown = {},
  options: Partial<Omit<NotificationServiceOptions, 'clock' | 'sender'>> & { clock?: FakeClock; sender?: FakeSender; dir?: string; storeOptions?: StoreOptions } = {},
): Harness {
  const tmp = options.dir ? { dir: options.dir, cleanup: () => undefined } : tempDir('o365-notify-svc-');
  const file = path.join(tmp.dir, 'store.db');
  const store = openStore(file, options.storeOptions);
  const clock = options.clock ?? new FakeClock();
  const sender = options.sender ?? new FakeSender();
  const withoutReport = section !== null && typeof section === 'object' && !('daily_report' in section) ? { ...section, daily_report: false } : section;
  const { clock: _clock, sender: _sender, dir: _dir, storeOptions: _storeOptions, ...rest } = options;
  const service = new NotificationService({
    ...rest,
    store: sqliteNotifyStore(store),
    channel: sender,
    rules: options.rules ?? rulesFrom(withoutReport),
    clock: clock.read,
    delivery: { retryBaseMs: 1000, retryMaxMs: 60_000, ...options.delivery },
  });
  return {
    service,
    store,
    clock,
    sender,
    dir: tmp.dir,
    file,
    close: () => {
      store.close();
      tmp.cleanup();
    },
  };
}

export function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'imagemanager.verification_failed',
    agent: 'SRV-FS01',
    folder: 'D:\\Backups\\SRV-FS01',
    summary: 'Verification failed for image 42',
    ...overrides,
  };
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
