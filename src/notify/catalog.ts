import type { Severity } from './domain.js';

/**
 * The ImageManager events (DESIGN.md section 4), named after ImageManager's own notification
 * rules, plus `custom.*` for any other tool.
 *
 * Wording uses optional segments: `[ for {folder}]` is dropped when the event has no folder, so
 * "Verification failed[ for {folder}][ on {agent}]" reads "Verification failed on SRV-FS01" for an
 * event without a folder.
 */
export interface EventTypeInfo {
  id: string;
  /** `alert`: state-based (firing/resolved). `report`: informational, shown in the daily status report. */
  kind: 'alert' | 'report';
  /** Short name of the check, e.g. "Verification failed". */
  title: string;
  defaultSeverity: Severity;
  /** Headline while failing. */
  firing: string;
  /** Headline once recovered. */
  resolved: string;
  /** What the administrator checks first, in ImageManager's terms. */
  advice: string;
}

export const CUSTOM_TYPE_PREFIX = 'custom.';
/** `custom.` followed by a lower-case name: letters, digits, `_`, `-`, `.`. */
export const CUSTOM_TYPE_PATTERN = /^custom\.[a-z0-9][a-z0-9_.-]{0,62}$/;

const IMAGEMANAGER_TYPES: readonly EventTypeInfo[] = [
  {
    id: 'imagemanager.verification_failed',
    kind: 'alert',
    title: 'Verification failed',
    defaultSeverity: 'critical',
    firing: 'Verification failed[ for {folder}][ on {agent}]',
    resolved: 'Verification is passing again[ for {folder}][ on {agent}]',
    advice:
      'ImageManager could not verify one or more backup images in this managed folder. Open the folder in ImageManager, read the verification result for the image named in the details, and re-verify it; an image that stays unreadable breaks the chain after it, so take a new backup of the protected machine.',
  },
  {
    id: 'imagemanager.consolidation_failed',
    kind: 'alert',
    title: 'Consolidation failed',
    defaultSeverity: 'critical',
    firing: 'Consolidation failed[ for {folder}][ on {agent}]',
    resolved: 'Consolidation is succeeding again[ for {folder}][ on {agent}]',
    advice:
      'ImageManager could not consolidate the incremental images of this managed folder (daily, weekly or monthly). Check free space on the backup storage and that no other process holds the image files open, then let ImageManager retry the consolidation.',
  },
  {
    id: 'imagemanager.retention_failed',
    kind: 'alert',
    title: 'Retention failed',
    defaultSeverity: 'warning',
    firing: 'Retention failed[ for {folder}][ on {agent}]',
    resolved: 'Retention is succeeding again[ for {folder}][ on {agent}]',
    advice:
      'ImageManager could not apply the retention policy of this managed folder, so old image files are not being removed and storage use grows. Check the folder\'s permissions and that the files are not locked.',
  },
  {
    id: 'imagemanager.replication_failed',
    kind: 'alert',
    title: 'Replication failed',
    defaultSeverity: 'critical',
    firing: 'Replication failed[ for {folder}][ on {agent}]',
    resolved: 'Replication is succeeding again[ for {folder}][ on {agent}]',
    advice:
      'ImageManager could not replicate images of this managed folder to its replication target, so the off-site copy is falling behind. Check that the target is reachable and its credentials are still valid.',
  },
  {
    id: 'imagemanager.hsr_failed',
    kind: 'alert',
    title: 'HeadStart Restore failed',
    defaultSeverity: 'critical',
    firing: 'HeadStart Restore failed[ for {folder}][ on {agent}]',
    resolved: 'HeadStart Restore is succeeding again[ for {folder}][ on {agent}]',
    advice:
      'ImageManager could not apply new images to the HeadStart Restore (HSR) virtual disk, so the standby machine is not current. Check the HSR job\'s target and its free space.',
  },
  {
    id: 'imagemanager.replication_queue_over_limit',
    kind: 'alert',
    title: 'Replication queue over limit',
    defaultSeverity: 'warning',
    firing: 'Replication queue over limit[ for {folder}][ on {agent}]',
    resolved: 'Replication queue is back under its limit[ for {folder}][ on {agent}]',
    advice:
      'More images are waiting to be replicated than the configured limit allows: replication cannot keep up. Check the bandwidth to the target and any throttling schedule.',
  },
  {
    id: 'imagemanager.hsr_queue_over_limit',
    kind: 'alert',
    title: 'HSR queue over limit',
    defaultSeverity: 'warning',
    firing: 'HSR queue over limit[ for {folder}][ on {agent}]',
    resolved: 'HSR queue is back under its limit[ for {folder}][ on {agent}]',
    advice:
      'More images are waiting for HeadStart Restore than the configured limit allows: the standby machine is falling behind. Check the HSR target\'s performance and free space.',
  },
  {
    id: 'imagemanager.disk_usage_over_threshold',
    kind: 'alert',
    title: 'Managed folder disk usage over threshold',
    defaultSeverity: 'warning',
    firing: 'Disk usage over threshold[ for {folder}][ on {agent}]',
    resolved: 'Disk usage is back under its threshold[ for {folder}][ on {agent}]',
    advice:
      'The volume holding this managed folder is fuller than the configured threshold. Free space or review the retention policy before backups and consolidation start to fail.',
  },
  {
    id: 'imagemanager.inactive_folder',
    kind: 'alert',
    title: 'Inactive folder (no new images)',
    defaultSeverity: 'warning',
    firing: 'No new images[ in {folder}][ on {agent}]',
    resolved: 'New images are arriving again[ in {folder}][ on {agent}]',
    advice:
      'No new backup image has arrived in this managed folder within the configured time. Check that the backup job on the protected machine is running and can reach the backup storage.',
  },
  {
    id: 'imagemanager.images_in_store_root',
    kind: 'alert',
    title: 'Images in backup-store root',
    defaultSeverity: 'warning',
    firing: 'Images found in the backup store root[ {folder}][ on {agent}]',
    resolved: 'Backup store root is clear of images again[ {folder}][ on {agent}]',
    advice:
      'Image files were found directly in the root of the backup store instead of in a managed folder, so ImageManager does not verify or consolidate them. Point the backup job at a subfolder and move the files there.',
  },
  {
    id: 'imagemanager.folder_conflict',
    kind: 'alert',
    title: 'Folder conflict',
    defaultSeverity: 'warning',
    firing: 'Folder conflict[ for {folder}][ on {agent}]',
    resolved: 'Folder conflict resolved[ for {folder}][ on {agent}]',
    advice:
      'This folder is managed by more than one ImageManager or overlaps another managed folder. Manage each folder from a single ImageManager agent.',
  },
  {
    id: 'imagemanager.service_not_responding',
    kind: 'alert',
    title: 'Service not responding',
    defaultSeverity: 'critical',
    firing: 'ImageManager service not responding[ on {agent}][ ({folder})]',
    resolved: 'ImageManager service is responding again[ on {agent}][ ({folder})]',
    advice:
      'The ImageManager service on this machine did not answer. Check that the service is running (Windows Services: ImageManager) and restart it if needed.',
  },
  {
    id: 'imagemanager.daily_report',
    kind: 'report',
    title: 'Daily status report',
    defaultSeverity: 'info',
    firing: 'Daily status report[ for {folder}][ from {agent}]',
    resolved: 'Daily status report[ for {folder}][ from {agent}]',
    advice: 'Informational: shown in the next daily status report.',
  },
];

const BY_ID = new Map(IMAGEMANAGER_TYPES.map((t) => [t.id, t]));

export const IMAGEMANAGER_EVENT_TYPES: readonly string[] = IMAGEMANAGER_TYPES.map((t) => t.id);

export function catalogEntries(): readonly EventTypeInfo[] {
  return IMAGEMANAGER_TYPES;
}

export function isCatalogType(type: string): boolean {
  return BY_ID.has(type);
}

export function isCustomType(type: string): boolean {
  return CUSTOM_TYPE_PATTERN.test(type);
}

export function isKnownEventType(type: string): boolean {
  return isCatalogType(type) || isCustomType(type);
}

/** "custom.nightly_sync-failed" -> "Nightly sync failed". */
function titleFromCustomName(type: string): string {
  const words = type.slice(CUSTOM_TYPE_PREFIX.length).replace(/[_.-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The catalog entry of a type; `custom.*` types get generic wording from their name. */
export function eventTypeInfo(type: string): EventTypeInfo {
  const known = BY_ID.get(type);
  if (known) return known;
  const title = titleFromCustomName(type) || type;
  return {
    id: type,
    kind: 'alert',
    title,
    defaultSeverity: 'warning',
    firing: `${title}[ for {folder}][ on {agent}]`,
    resolved: `Resolved: ${title}[ for {folder}][ on {agent}]`,
    advice: 'Reported by another tool through o365-notify; see the summary and details for what to check.',
  };
}

/**
 * Fills a wording: `{agent}`/`{folder}` take the values; a `[...]` segment whose placeholders are
 * all empty is dropped. The result is plain text; escaping is the renderer's job.
 */
export function fillWording(wording: string, values: { agent: string; folder: string }): string {
  const fill = (text: string) => text.replace(/\{(agent|folder)\}/g, (_m, name: 'agent' | 'folder') => values[name]);
  // One pass over the wording, so a value that itself contains "{folder}" is never expanded again.
  return wording.replace(/\[([^\]]*)\]|\{(agent|folder)\}/g, (_m, segment: string | undefined, name?: 'agent' | 'folder') => {
    if (segment === undefined) return values[name!];
    const names = [...segment.matchAll(/\{(agent|folder)\}/g)].map((m) => m[1] as 'agent' | 'folder');
    return names.length > 0 && names.every((n) => values[n] === '') ? '' : fill(segment);
  });
}

export function headlineFor(type: string, state: 'firing' | 'resolved', agent: string, folder: string): string {
  const info = eventTypeInfo(type);
  return fillWording(state === 'firing' ? info.firing : info.resolved, { agent, folder });
}
