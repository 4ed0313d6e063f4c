import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseCommandArgs, UsageError, writeLine, type CliContext, type Command } from '../command.js';

const usage = `Usage: o365-notify emulator [--port N] [--host 127.0.0.1] [--data DIR] [--seed FILE] [--reset] [--tls-cert F --tls-key F]

Runs the Entra ID + Microsoft Graph mail emulator alone (HTTPS).
  --port N        port to listen on (default 8443; 0 picks a free one)
  --host ADDR     address to bind (default 127.0.0.1)
  --data DIR      where the CA, server certificate, signing key and tenant live (default <home>/emulator);
                  a restart on the same DIR and seed is the same tenant: ids, secrets and sign-ins stay
  --seed FILE     directory contents (JSON or YAML); default: the demo tenant contoso.onmicrosoft.com
  --reset         forget the tenant kept in DIR and make a new one from the seed (new ids and secrets)
  --tls-cert F    serve this certificate (PEM) instead of the generated one; needs --tls-key`;

function defaultEmulatorDataDir(home: string | undefined): string {
  return join(home ?? join(homedir(), '.config', 'o365-notify'), 'emulator');
}

export const emulatorCommand: Command = {
  name: 'emulator',
  summary: 'run the Entra ID + Graph mail emulator alone',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values } = parseCommandArgs(args, {
      port: { type: 'string', default: '8443' },
      host: { type: 'string', default: '127.0.0.1' },
      data: { type: 'string' },
      seed: { type: 'string' },
      reset: { type: 'boolean', default: false },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
    });
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not "${values.port}"`);
    if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) throw new UsageError('--tls-cert and --tls-key go together');
    const tls = values['tls-cert'] && values['tls-key']
      ? { certPem: await readFile(values['tls-cert'], 'utf8'), keyPem: await readFile(values['tls-key'], 'utf8') }
      : undefined;
    // Lazily: the emulator is its own package, loaded by this command and `demo` only.
    const { defaultSeed, readSeedFile, startEmulator } = await import('o365-notify-emulator');
    const seed = values.seed ? await readSeedFile(values.seed) : defaultSeed();
    const emulator = await startEmulator({ dataDir: values.data ?? defaultEmulatorDataDir(ctx.home), port, host: values.host, seed, tls, reset: values.reset });
    // Listen for Ctrl-C / SIGTERM before printing the URL: whoever reads it may stop us at once.
    const stopped = new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

    if (ctx.json) {
      writeLine(ctx.stdout, JSON.stringify({ url: emulator.url, caPath: emulator.caPath, restored: emulator.restored, secrets: emulator.seededSecrets }));
    } else {
      writeLine(ctx.stdout, `Entra ID + Graph emulator listening on ${emulator.url}`);
      writeLine(
        ctx.stdout,
        emulator.restored
          ? `  Tenant restored from ${emulator.tenantFile}: same ids, secrets and sign-ins as before (secret values were shown when they were made; --reset makes a new tenant)`
          : `  New tenant from the seed, kept in ${emulator.tenantFile}`,
      );
      if (emulator.caPath) writeLine(ctx.stdout, `  CA certificate (trust it in clients): ${emulator.caPath}`);
      writeLine(ctx.stdout, `  Mailboxes page:        ${emulator.url}/_emulator/`);
      writeLine(ctx.stdout, `  OpenID configuration:  ${emulator.url}/organizations/v2.0/.well-known/openid-configuration`);
      writeLine(ctx.stdout, `  Graph:                 ${emulator.url}/v1.0/`);
      for (const tenant of emulator.context.directory.tenants.values()) {
        if (tenant.domains.length > 0) writeLine(ctx.stdout, `  Tenant ${tenant.displayName}: ${tenant.id} (${tenant.domains.join(', ')})`);
      }
      for (const app of emulator.context.directory.apps.values()) {
        writeLine(ctx.stdout, `  App ${app.displayName}: client id ${app.clientId} (${app.signInAudience})`);
      }
      // The emulator's own test secrets, shown once like the portal does; they are not real credentials.
      for (const s of emulator.seededSecrets) {
        writeLine(ctx.stdout, `  Secret for ${s.appName}: ${s.value} (expires ${s.expiresAt.slice(0, 10)})`);
      }
      writeLine(ctx.stdout, 'Press Ctrl-C to stop.');
    }
    await stopped;
    await emulator.close();
    return 0;
  },
};
