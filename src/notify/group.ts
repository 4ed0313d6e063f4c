import type { GroupRow } from './domain.js';
import type { AlertLabels } from './matchers.js';
import type { Route } from './rules.js';

/**
 * Grouping, as Alertmanager does it: alerts with the same route and the same values of the route's
 * group_by labels share one e-mail. A new group waits group_wait for related alerts; after an
 * e-mail, the group sends again no sooner than group_interval (new problems, recoveries) and at
 * the latest after repeat_interval (reminders while something stays broken). Unlike Alertmanager,
 * the timers live in the store, so a restart neither loses a pending e-mail nor sends early.
 */

function groupLabelsFor(route: Route, labels: AlertLabels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of route.groupBy) out[name] = labels[name];
  return out;
}

/** `route|{"agent":"SRV1"}`: stable, readable, and unambiguous whatever the values contain. */
export function groupKeyFor(route: Route, labels: AlertLabels): string {
  return `${route.name}|${JSON.stringify(groupLabelsFor(route, labels))}`;
}

/** A fresh group row for a route (timers not yet set). */
export function newGroup(key: string, route: Route, labels: AlertLabels, now: number): GroupRow {
  return {
    key,
    route: route.name,
    labels: groupLabelsFor(route, labels),
    recipients: [...route.recipients],
    groupWaitMs: route.groupWaitMs,
    groupIntervalMs: route.groupIntervalMs,
    repeatIntervalMs: route.repeatIntervalMs,
    nextFlushAt: null,
    lastFlushAt: null,
    createdAt: now,
  };
}

/** The route's current settings win (the settings file may have changed since the group was made). */
export function refreshGroup(group: GroupRow, route: Route): GroupRow {
  return {
    ...group,
    recipients: [...route.recipients],
    groupWaitMs: route.groupWaitMs,
    groupIntervalMs: route.groupIntervalMs,
    repeatIntervalMs: route.repeatIntervalMs,
  };
}

/**
 * When the group must next be looked at, after one of its alerts changed at `now`.
 * - never sent: group_wait after the first change (later changes join that first e-mail);
 * - idle (nothing firing that was told, so no reminder is scheduled): group_wait, but never sooner
 *   than group_interval after the previous e-mail;
 * - active: at the next group_interval boundary.
 * An earlier scheduled flush is kept. So one group sends at most one e-mail per group_interval.
 */
export function scheduleAfterChange(group: GroupRow, now: number): number {
  let candidate: number;
  if (group.lastFlushAt === null) candidate = now + group.groupWaitMs;
  else if (group.nextFlushAt === null) candidate = Math.max(now + group.groupWaitMs, group.lastFlushAt + group.groupIntervalMs);
  else candidate = Math.max(now, group.lastFlushAt + group.groupIntervalMs);
  return group.nextFlushAt === null ? candidate : Math.min(group.nextFlushAt, candidate);
}

/**
 * After a flush at `now`: the earliest of the reminders and the ends of silences holding back news,
 * never sooner than group_interval after the last e-mail. Null when nothing is left to say.
 */
export function scheduleAfterFlush(group: GroupRow, lastFlushAt: number | null, dueTimes: readonly number[]): number | null {
  if (dueTimes.length === 0) return null;
  const earliest = Math.min(...dueTimes);
  return lastFlushAt === null ? earliest : Math.max(earliest, lastFlushAt + group.groupIntervalMs);
}
