import assert from 'node:assert/strict';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID, defaultSeed, type SeedFile } from '../../packages/emulator/src/index.js';
import { runCli, tempHome } from './cli.js';
import type { TestEmulator } from './emulator.js';

/**
 * The default seed with the app-only registration also granted (and consented) Mail.ReadWrite:
 * what a message over Graph's 4 MB request limit needs for its draft and upload session.
 */
export function mailReadWriteSeed(): SeedFile {
  const seed = defaultSeed();
  const app = seed.apps!.find((a) => a.clientId === DEMO_APPS.appOnly)!;
  app.applicationPermissions = ['Mail.Send', 'Mail.ReadWrite'];
  app.consent = [{ tenant: DEMO_DOMAIN, application: ['Mail.Send', 'Mail.ReadWrite'] }];
  return seed;
}

/**
 * A temp home set up for app-only sending the way a user does it: `setup --non-interactive
 * --auth app-only` with the registration's seeded client secret on stdin and its Expires date.
 */
export async function appOnlyHome(
  emu: TestEmulator,
  options: { sender: string; to?: string; clientId?: string },
): Promise<{ home: string; cleanup: () => Promise<void> }> {
  const clientId = options.clientId ?? DEMO_APPS.appOnly;
  const home = await tempHome();
  const secret = emu.seededSecrets.find((s) => s.clientId === clientId)!;
  const setup = await runCli(
    ['setup', '--non-interactive', '--emulator', emu.url, '--emulator-ca', emu.caPath, '--account-type', 'single-tenant', '--client-id', clientId,
      '--tenant-id', DEMO_TENANT_ID, '--auth', 'app-only', '--sender', options.sender, ...(options.to ? ['--to', options.to] : []),
      '--client-secret-stdin', '--secret-expires', secret.expiresAt.slice(0, 10)],
    { home: home.home, stdin: secret.value },
  );
  if (setup.code !== 0) await home.cleanup();
  assert.equal(setup.code, 0, setup.stderr);
  return home;
}
