import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RelayStore } from '../store/index.js';
import { relayCertificate } from './certificate.js';
import { startRelayListener, type RelayListener, type RelayListenerOptions } from './listener.js';

/** What the listener takes, but its certificate: startRelay loads or makes that from smtp settings. */
export type StartRelayOptions = Omit<RelayListenerOptions, 'certificate'>;

export interface RunningRelay extends RelayListener {
  certificatePath: string;
  certificateFingerprint: string;
  orphansRemoved: number;
}

/**
 * Spool files no row points to: written by a session that died (or was refused) before its
 * commit. The client was not told 250 for them, so it sends them again; they are removed.
 */
async function removeOrphans(spoolDir: string, relay: RelayStore): Promise<number> {
  let names: string[];
  try {
    names = await readdir(spoolDir);
  } catch {
    return 0;
  }
  const referenced = await relay.referencedSpoolFiles();
  let removed = 0;
  for (const name of names) {
    const file = join(spoolDir, name);
    if (referenced.has(file)) continue;
    await rm(file, { force: true });
    removed++;
  }
  return removed;
}

/** The relay as `serve` and `demo` run it: the certificate, orphan clean-up, then the listener(s). */
export async function startRelay(o: StartRelayOptions): Promise<RunningRelay> {
  const certificate = await relayCertificate(o.home, { certificate: o.smtp.certificate, certificateKey: o.smtp.certificateKey });
  const orphansRemoved = await removeOrphans(join(o.home, 'relay-spool'), o.relay);
  if (orphansRemoved > 0) o.logger?.info({ component: 'smtp', orphansRemoved }, 'removed spool files of messages that were never acknowledged');
  const listener = await startRelayListener({ ...o, certificate });
  return { ...listener, certificatePath: certificate.certPath, certificateFingerprint: certificate.fingerprint256, orphansRemoved };
}
