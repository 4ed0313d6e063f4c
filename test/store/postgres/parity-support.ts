import type { NewEvent, NewNotification, Store } from '../../../src/store/index.js';
import type { AsyncMethods, conformance } from '../../../src/store/postgres/conformance.js';

/**
 * The repositories of one backend, every method awaited: the SQLite ones wrapped, the PostgreSQL
 * ones as they are (what conformance() checks them against).
 */
export type Backend = ReturnType<typeof conformance>;

/** A synchronous repository whose methods return promises of their results. */
export function awaited<T extends object>(repo: T): AsyncMethods<T> {
  return new Proxy(repo, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? async (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(target, args) : value;
    },
  }) as unknown as AsyncMethods<T>;
}

export function sqliteBackend(store: Store): Backend {
  return {
    events: awaited(store.events),
    alerts: awaited(store.alerts),
    groups: awaited(store.groups),
    silences: awaited(store.silences),
    outbox: awaited(store.outbox),
    health: awaited(store.health),
    meta: awaited(store.meta),
    relay: awaited(store.relay),
  };
}

export const T0 = 1_750_000_000_000;

export function event(i: number, over: Partial<NewEvent> = {}): NewEvent {
  return {
    receivedAt: T0 + i * 1000,
    type: ['b.type', 'B.type', 'a_type'][i % 3]!,
    severity: i % 2 ? 'critical' : 'warning',
    status: 'firing',
    agent: `agent-${i % 3}`,
    folder: 'C:\\Images',
    summary: `event ${i}`,
    details: { n: i, nested: { ok: true } },
    occurredAt: T0 + i * 1000 - 5,
    dedupKey: '',
    alertKey: `k${i % 3}`,
    ...over,
  };
}

export function notification(id: string, offset: number, over: Partial<NewNotification> = {}): NewNotification {
  return {
    id,
    kind: 'alert',
    groupKey: `g-${id}`,
    to: ['ops@contoso.com'],
    cc: [],
    bcc: ['audit@contoso.com'],
    subject: `Subject ${id}`,
    html: `<p>${id}</p>`,
    text: id,
    importance: 'normal',
    createdAt: T0 + offset,
    ...over,
  };
}
