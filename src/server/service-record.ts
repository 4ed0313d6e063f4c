import fs from 'node:fs/promises';
import os from 'node:os';
import { readFileIfExists, writeFileAtomic } from '../infra/index.js';
import { serviceRecordPath } from './paths.js';

/**
 * The running service's record in the home directory (issue 9.4): its address, process and host.
 * A service may listen on any port (`serve --port 28025` while the settings say 8025); the CLI
 * reads this record to reach it, and while the process lives the store is the service's: the CLI
 * never writes it (nor reviews groups) then. Removed at shutdown; a record left by a killed
 * process is recognised by its dead pid and ignored.
 */
export interface ServiceRecord {
  url: string;
  pid: number;
  hostname: string;
  startedAt: string;
}

export async function writeServiceRecord(home: string, url: string): Promise<ServiceRecord> {
  const record: ServiceRecord = { url, pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() };
  await writeFileAtomic(serviceRecordPath(home), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

/** The record, or undefined when there is none (or it is not one of ours). */
export async function readServiceRecord(home: string): Promise<ServiceRecord | undefined> {
  const text = await readFileIfExists(serviceRecordPath(home));
  if (text === undefined) return undefined;
  try {
    const r = JSON.parse(text) as Partial<ServiceRecord>;
    if (typeof r.url !== 'string' || typeof r.pid !== 'number' || typeof r.hostname !== 'string') return undefined;
    return { url: r.url, pid: r.pid, hostname: r.hostname, startedAt: typeof r.startedAt === 'string' ? r.startedAt : '' };
  } catch {
    return undefined; // half a file from another tool: not a record
  }
}

/** Removes the record at shutdown, only if it is still this one (a second service may have written its own). */
export async function removeServiceRecord(home: string, mine: ServiceRecord): Promise<void> {
  const now = await readServiceRecord(home);
  if (now && now.pid === mine.pid && now.startedAt === mine.startedAt) await fs.rm(serviceRecordPath(home), { force: true });
}

/**
 * Whether the recorded process still lives. On another host (a home on a shared drive) it cannot
 * be checked here: it counts as alive, the stricter answer (the message says how to clear it).
 */
export function recordedProcessAlive(record: ServiceRecord): boolean {
  if (record.hostname !== os.hostname()) return true;
  try {
    process.kill(record.pid, 0);
    return true;
  } catch (err) {
    // EPERM: it lives, under another user (a system service).
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
