import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NewEvent } from '../../src/store/rows.js';

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix = 'o365-notify-store-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function sampleEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  const base = {
    receivedAt: 1_750_000_000_000,
    type: 'imagemanager.verification_failed',
    severity: 'critical' as const,
    status: 'firing' as const,
    agent: 'SRV-FS01',
    folder: 'D:\\Backups\\SRV-FS01',
    summary: 'Verification failed',
    details: { image: 'a.spi', nested: { n: 1 } },
    occurredAt: 1_750_000_000_000,
    dedupKey: '',
    ...overrides,
  };
  return { alertKey: JSON.stringify([base.type, base.agent, base.folder, base.dedupKey]), ...base };
}
