import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { AlertRow, EventOutcome, GroupRow, SilenceRow } from './domain.js';
import type { UnsentGroupEmail } from '../delivery/index.js';
import type { NotifyStore, NotifyStoreTx } from './store-port.js';
import { eventTypeInfo } from './catalog.js';
import { groupKeyFor, newGroup, refreshGroup, scheduleAfterChange, scheduleAfterFlush } from './group.js';
import type { NotifyLogger } from '../infra/index.js';
import { matchesAll, type AlertLabels, type Matchers } from './matchers.js';
import { renderAlertEmail, type AlertView, type TemplateSet } from './render.js';
import { SEVERITY_RANK, eventRuleFor, routeFor, type NotificationRules, type Route } from './rules.js';
import { applyEvent, notificationReason, pendingReason, reminderDueAt, type NotificationReason } from './state.js';

/**
 * The stages between the store and the outbox, each small and run inside one unit of work (the
 * store port's transaction: all of a batch's or a flush's writes, or none):
 *
 *   route+state (per event):  rules -> route -> alert state -> group timer
 *   flush (per due group):    collect -> mute (silences) -> settle quiet -> dedup -> render -> enqueue
 *
 * The flush is a chain of stages over the group's alerts, as Alertmanager's notify pipeline is a
 * chain over a group's alerts; each stage may drop alerts, and an empty list ends the chain.
 */

export interface PipelineContext {
  store: NotifyStore;
  rules: NotificationRules;
  templates: TemplateSet;
  newId: () => string;
  logger: NotifyLogger;
  /** Alerts listed in one e-mail; the rest are counted. */
  maxAlertsPerEmail: number;
}

export interface ActiveSilence {
  id: string;
  matchers: Matchers;
  endsAt: number;
}

/** Silences from the settings file and from the store that apply at `now`. */
export async function activeSilences(store: Pick<NotifyStoreTx, 'silences'>, rules: NotificationRules, now: number): Promise<ActiveSilence[]> {
  const fromSettings = rules.silences.filter((s) => s.startsAt <= now && s.endsAt > now);
  const fromStore = (await store.silences.activeAt(now)).map((s: SilenceRow) => ({ id: s.id, matchers: s.matchers as Matchers, endsAt: s.endsAt }));
  return [...fromSettings, ...fromStore];
}

function labelsOf(a: { type: string; agent: string; folder: string; severity: AlertRow['severity'] }): AlertLabels {
  return { type: a.type, agent: a.agent, folder: a.folder, severity: a.severity };
}

// ---------------------------------------------------------------------------------------------
// Route + state

/**
 * Takes up to `limit` events the pipeline has not seen, in arrival order: routes each by the rules,
 * applies it to its alert, and starts or advances its group's timer. Returns how many were seen.
 */
export function routeEvents(ctx: PipelineContext, now: number, limit: number): Promise<number> {
  const { rules } = ctx;
  return ctx.store.unitOfWork(async (store) => {
    const events = await store.events.nextUnprocessed(limit);
    const alerts = new Map<string, AlertRow>();
    const groups = new Map<string, GroupRow>();
    const routes = new Map<string, Route>();
    // Written in one statement at the end (issue 14); an alert moved to another group takes its
    // events of this batch along as movePendingOf takes those already stored.
    const routed: { id: number; alertKey: string; groupKey: string | null; outcome: EventOutcome }[] = [];
    const markRouted = (id: number, alertKey: string, groupKey: string | null, outcome: EventOutcome) => routed.push({ id, alertKey, groupKey, outcome });
    for (const e of events) {
      if (eventTypeInfo(e.type).kind === 'report') {
        markRouted(e.id, e.alertKey, null, 'report');
        continue;
      }
      const labels = labelsOf(e);
      const route = routeFor(rules, labels);
      const groupKey = groupKeyFor(route, labels);
      const rule = eventRuleFor(rules, e.type);
      if (e.status === 'firing' && !rule.enabled) {
        markRouted(e.id, e.alertKey, groupKey, 'disabled');
        continue;
      }
      if (e.status === 'firing' && SEVERITY_RANK[e.severity] < SEVERITY_RANK[rule.minSeverity]) {
        markRouted(e.id, e.alertKey, groupKey, 'below-severity');
        continue;
      }
      const current = alerts.get(e.alertKey) ?? (await store.alerts.get(e.alertKey));
      const { alert } = applyEvent(current, e, groupKey);
      if (current?.groupKey && current.groupKey !== groupKey) {
        const from = current.groupKey;
        await store.events.movePendingOf(e.alertKey, from, groupKey);
        for (const r of routed) if (r.alertKey === e.alertKey && r.groupKey === from && r.outcome === 'pending') r.groupKey = groupKey;
      }
      alerts.set(alert.key, alert);

      let group = groups.get(groupKey) ?? (await store.groups.get(groupKey)) ?? newGroup(groupKey, route, labels, now);
      group = refreshGroup(group, route);
      routes.set(groupKey, route);
      let outcome: 'pending' | 'unchanged' | 'no-recipients';
      if (pendingReason(alert) === null) outcome = 'unchanged';
      else if (route.recipients.length === 0) outcome = 'no-recipients';
      else {
        outcome = 'pending';
        // Timers count from when the event arrived, not from when this stage got to it.
        group = { ...group, nextFlushAt: scheduleAfterChange(group, Math.min(now, e.receivedAt)) };
      }
      groups.set(groupKey, group);
      markRouted(e.id, e.alertKey, groupKey, outcome);
    }
    await store.events.markRoutedMany(routed);
    for (const alert of alerts.values()) await store.alerts.save(alert);
    for (const group of groups.values()) await store.groups.save(group);
    return events.length;
  });
}

// ---------------------------------------------------------------------------------------------
// Flush

interface FlushItem {
  alert: AlertRow;
  reason: NotificationReason | null;
  /** The end of the silence holding it back, when one does. */
  mutedUntil: number | null;
}

interface FlushContext extends PipelineContext {
  /** The flush's unit of work: every stage reads and writes through it. */
  tx: NotifyStoreTx;
  now: number;
  group: GroupRow;
  silences: ActiveSilence[];
  /** Filled by the stages: alerts held back by a silence, with news still to tell. */
  muted: FlushItem[];
  /** The group's alert e-mail still unsent (Graph unreachable, sign-in lost): updated rather than joined by another. */
  unsent: UnsentGroupEmail | undefined;
  /** Filled by the enqueue stage. */
  notificationId: string | null;
  /** Whether that e-mail is a new one (not the unsent one updated). */
  added: boolean;
  /** The group's alerts as collect read them, and those the stages marked told: the flush's end reads no row twice. */
  alerts: AlertRow[];
  notified: Set<string>;
  /** The group's pending events as enqueue read them, and those it queued. */
  pending: { id: number; alertKey: string }[] | undefined;
  queuedIds: Set<number>;
}

type FlushStage = (ctx: FlushContext, items: FlushItem[]) => FlushItem[] | Promise<FlushItem[]>;

/**
 * collect: every alert of the group with why it would be news now. An alert the unsent e-mail
 * announces keeps that reason: nobody has read it yet.
 */
const collectStage: FlushStage = async (ctx) => {
  ctx.alerts = await ctx.tx.alerts.inGroupKey(ctx.group.key);
  return ctx.alerts.map((alert) => ({
    alert,
    reason: notificationReason(alert, ctx.now, ctx.group.repeatIntervalMs) ?? unsentReason(ctx, alert.key),
    mutedUntil: null,
  }));
};

/** The alert counts as told at `now` (the row, and the flush's own copy of what it read). */
async function markNotified(ctx: FlushContext, key: string): Promise<void> {
  await ctx.tx.alerts.markNotified(key, ctx.now);
  ctx.notified.add(key);
}

function unsentReason(ctx: FlushContext, alertKey: string): NotificationReason | null {
  const reason = ctx.unsent?.alertReasons[alertKey];
  return reason === 'new' || reason === 'escalated' || reason === 'resolved' || reason === 'reminder' ? reason : null;
}

/** What an e-mail says, as a digest: the alerts (without the bookkeeping of who was told when) and why each is in it. */
function contentKeyOf(group: GroupRow, items: { alert: AlertRow; reason: string }[]): string {
  const said = items.map(({ alert, reason }) => {
    const { lastNotifiedAt: _at, lastNotifiedState: _state, lastNotifiedSeverity: _severity, ...shown } = alert;
    return [reason, shown];
  });
  return createHash('sha256').update(JSON.stringify([group.recipients, said])).digest('base64url');
}

/**
 * mute: alerts matching an active silence leave the e-mail. What they still have to say (news, or
 * a reminder while firing) waits for the silence to end.
 */
const muteStage: FlushStage = (ctx, items) =>
  items.filter((item) => {
    const matching = ctx.silences.filter((s) => matchesAll(s.matchers, labelsOf(item.alert)));
    if (matching.length === 0) return true;
    const silenceEnd = Math.max(...matching.map((s) => s.endsAt));
    const reminder = reminderDueAt(item.alert, ctx.group.repeatIntervalMs);
    if (item.reason !== null || reminder !== null) {
      ctx.muted.push({ ...item, mutedUntil: Math.max(silenceEnd, item.reason === null ? reminder! : 0) });
    }
    return false;
  });

/** settle quiet: an alert that fired and resolved before anyone was told needs no e-mail. */
const settleQuietStage: FlushStage = async (ctx, items) => {
  const kept: FlushItem[] = [];
  for (const item of items) {
    if (item.alert.state === 'resolved' && item.reason === null && item.alert.lastNotifiedState !== 'resolved') {
      await markNotified(ctx, item.alert.key);
    } else if (item.alert.state === 'firing' || item.reason === 'resolved') {
      kept.push(item);
    }
  }
  return kept;
};

/** dedup: the group sends only when something is news (new, escalated, resolved, reminder due). */
const dedupStage: FlushStage = (ctx, items) => {
  if (ctx.group.recipients.length === 0) return [];
  return items.some((i) => i.reason !== null) ? items : [];
};

/**
 * render + enqueue: one outbox row with the events it carries; the alerts count as told. When the
 * group's previous e-mail has not gone out, that one is updated instead (at most one unsent e-mail
 * per group through an outage), and re-rendered only if what it says changed.
 */
const enqueueStage: FlushStage = async (ctx, items) => {
  const alerts = items.map((i) => ({ alert: i.alert, reason: (i.reason ?? 'ongoing') as AlertView['reason'] }));
  const content = { contentKey: contentKeyOf(ctx.group, alerts), alertReasons: Object.fromEntries(alerts.map((a) => [a.alert.key, a.reason])) };
  const included = new Set(items.map((i) => i.alert.key));
  ctx.pending = await ctx.tx.events.pendingIn(ctx.group.key);
  const eventIds = ctx.pending.filter((e) => included.has(e.alertKey)).map((e) => e.id);
  const render = (id: string) =>
    renderAlertEmail(ctx.templates, { id, group: ctx.group, alerts, now: ctx.now, timeZone: ctx.rules.dailyReport.timeZone, maxAlerts: ctx.maxAlertsPerEmail });

  let id: string | undefined;
  if (ctx.unsent && ctx.unsent.contentKey === content.contentKey) {
    id = ctx.unsent.id;
  } else if (ctx.unsent && (await ctx.tx.outbox.updateUnsent(ctx.unsent.id, { ...render(ctx.unsent.id), ...content, to: ctx.group.recipients, at: ctx.now }))) {
    id = ctx.unsent.id;
  }
  if (id) {
    await ctx.tx.outbox.linkEvents(id, eventIds);
  } else {
    id = ctx.newId();
    await ctx.tx.outbox.add(
      { id, kind: 'alert', groupKey: ctx.group.key, to: ctx.group.recipients, cc: [], bcc: [], ...render(id), createdAt: ctx.now },
      eventIds,
      content,
    );
    ctx.added = true;
  }
  await ctx.tx.events.markQueuedIds(eventIds);
  for (const id of eventIds) ctx.queuedIds.add(id);
  for (const item of items) await markNotified(ctx, item.alert.key);
  ctx.notificationId = id;
  return items;
};

export const FLUSH_STAGES: readonly FlushStage[] = [collectStage, muteStage, settleQuietStage, dedupStage, enqueueStage];

async function runStages(ctx: FlushContext, stages: readonly FlushStage[]): Promise<void> {
  let items: FlushItem[] = [];
  for (const [index, stage] of stages.entries()) {
    items = await stage(ctx, items);
    if (index > 0 && items.length === 0) return;
  }
}

/**
 * Runs one group's flush; returns the id of the e-mail it queued, if a new one (not the unsent one
 * updated). The group is re-read inside the unit and owned by it (claimDue): a group another
 * instance flushes or has flushed since `due` was read is left alone (issue 16).
 */
export function flushGroup(ctx: PipelineContext, listed: GroupRow, now: number, silences: ActiveSilence[]): Promise<string | null> {
  return ctx.store.unitOfWork(async (store) => {
    const group = await store.groups.claimDue(listed.key, now);
    if (!group) return null;
    const unsent = await store.outbox.unsentAlertEmailOf(group.key);
    const fctx: FlushContext = {
      ...ctx, tx: store, now, group, silences, muted: [], unsent, notificationId: null, added: false,
      alerts: [], notified: new Set(), pending: undefined, queuedIds: new Set(),
    };
    await runStages(fctx, FLUSH_STAGES);

    // Events left pending in the group were not carried: held by a silence, or overtaken (fired and
    // resolved unseen, re-fired before the recovery was told), or there is nobody to tell.
    const mutedKeys = new Set(fctx.muted.map((m) => m.alert.key));
    const stillPending = fctx.pending ? fctx.pending.filter((e) => !fctx.queuedIds.has(e.id)) : await store.events.pendingIn(group.key);
    const leftover = new Set(stillPending.map((e) => e.alertKey));
    for (const alertKey of leftover) {
      const outcome = mutedKeys.has(alertKey) ? 'silenced' : group.recipients.length === 0 ? 'no-recipients' : 'superseded';
      await store.events.settlePendingOf(group.key, alertKey, outcome);
    }

    const lastFlushAt = fctx.notificationId ? now : group.lastFlushAt;
    const due: number[] = [];
    if (group.recipients.length > 0) {
      for (const read of fctx.alerts) {
        if (mutedKeys.has(read.key)) continue;
        // markNotified's change, applied to the copy read at the start.
        const alert = fctx.notified.has(read.key) ? { ...read, lastNotifiedAt: now, lastNotifiedState: read.state, lastNotifiedSeverity: read.severity } : read;
        const reminder = reminderDueAt(alert, group.repeatIntervalMs);
        if (reminder !== null) due.push(reminder);
      }
      for (const m of fctx.muted) due.push(m.mutedUntil!);
    }
    await store.groups.markFlushed(group.key, lastFlushAt, scheduleAfterFlush(group, lastFlushAt, due));
    return fctx.added ? fctx.notificationId : null;
  });
}

/** Flushes every group due at `now`; returns the ids of the e-mails queued. */
export async function flushDueGroups(ctx: PipelineContext, now: number, batch = 200): Promise<string[]> {
  return (await flushDueGroupsWithin(ctx, now, Infinity, batch)).queued;
}

/**
 * Flushes groups due at `now` until `budgetMs` is spent (at least one group, so each call makes
 * progress); `more` when due groups are left for the next call. The running service calls it once
 * per cycle: an outage's flush round of hundreds of long e-mails no longer holds the event loop
 * (and the API with it) for seconds (issue 14).
 */
export async function flushDueGroupsWithin(ctx: PipelineContext, now: number, budgetMs: number, batch = 200): Promise<{ queued: string[]; more: boolean }> {
  const queued: string[] = [];
  const silences = await activeSilences(ctx.store, ctx.rules, now);
  const seen = new Set<string>();
  const deadline = performance.now() + budgetMs;
  for (;;) {
    const due = (await ctx.store.groups.due(now, batch)).filter((g) => !seen.has(g.key));
    if (due.length === 0) return { queued, more: false };
    for (const group of due) {
      if (seen.size > 0 && performance.now() >= deadline) return { queued, more: true };
      seen.add(group.key);
      const id = await flushGroup(ctx, group, now, silences);
      if (id) queued.push(id);
    }
  }
}

/**
 * After the rules or silences changed: refresh every group's recipients and timings from its route
 * and have it looked at again (no sooner than group_interval after its last e-mail).
 */
export async function reviewAllGroups(ctx: PipelineContext, now: number): Promise<void> {
  const { rules } = ctx;
  await ctx.store.unitOfWork(async (store) => {
    for (const group of await store.groups.list()) {
      const route = group.route === 'default' ? rules.defaultRoute : (rules.routes.find((r) => r.name === group.route) ?? rules.defaultRoute);
      const fresh = refreshGroup(group, route);
      const at = group.lastFlushAt === null ? now : Math.max(now, group.lastFlushAt + fresh.groupIntervalMs);
      await store.groups.save({ ...fresh, nextFlushAt: fresh.nextFlushAt === null ? at : Math.min(fresh.nextFlushAt, at) });
    }
  });
}
