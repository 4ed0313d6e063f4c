import { loadSettings, resolveHome } from '../../config/index.js';
import { parseDuration } from '../../notify/index.js';
import {
  applySteps,
  describeStep,
  localServiceUrl,
  serviceInstallPlan,
  serviceStatusCommand,
  serviceUninstallPlan,
  systemServiceHost,
  waitUntilReady,
  type InstallStep,
  type ServiceHost,
  type ServicePlan,
} from '../../ops/index.js';
import { ensureApiToken } from '../../server/index.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, UsageError, writeLine, type CliContext, type Command } from '../command.js';

const usage = `Usage: o365-notify service install [--user NAME] [--low-ports] [--no-start] [--wrapper WinSW-x64.exe] [--dry-run]
       o365-notify service uninstall [--dry-run]
       o365-notify service status
       o365-notify service wait-ready [--timeout 60s]

Installs o365-notify as a service that starts at boot, with its own home directory
(--home DIR; default /var/lib/o365-notify on Linux, %ProgramData%\\o365-notify on Windows).
Run it as root (sudo) or in an elevated prompt. --dry-run prints every step and changes nothing.

Linux: a hardened systemd unit (/etc/systemd/system/o365-notify.service) running as the system
user o365-notify (or --user NAME), logs in the journal. --low-ports lets it listen below 1024
(e.g. the SMTP relay on port 25 or 587). Windows: a Windows service through WinSW 2.x (download
WinSW-x64.exe from https://github.com/winsw/winsw/releases and pass it with --wrapper), running
as NT AUTHORITY\\LocalService (or --user DOMAIN\\name), logs in <home>\\logs.

The API token is made during install and shown once here, so it never goes into the service's log.
uninstall stops and removes the service and keeps the home. wait-ready waits until the service
answers /readyz (the unit's ExecStartPost uses it).`;

function printPlan(ctx: CliContext, plan: ServicePlan): void {
  writeLine(ctx.stdout, `Would do, in this order (home: ${plan.home}):`);
  plan.steps.forEach((step, i) => writeLine(ctx.stdout, `  ${i + 1}. ${describeStep(step)}    # to ${step.why}`));
  const unit = plan.steps.find((s): s is Extract<InstallStep, { kind: 'write-file' }> => s.kind === 'write-file');
  if (unit) writeLine(ctx.stdout, `\n${unit.path}:\n${unit.content}`);
}

async function carryOut(ctx: CliContext, host: ServiceHost, plan: ServicePlan, verb: string): Promise<number> {
  if (!(await host.isAdmin())) {
    writeLine(ctx.stderr, `${verb} needs administrator rights: run it with sudo (Linux) or in an elevated prompt ("Run as administrator", Windows). Nothing was changed.`);
    return EXIT_FAILED;
  }
  try {
    await applySteps(plan.steps, host.run, (step, warning) => {
      if (warning) writeLine(ctx.stderr, `  skipped: ${describeStep(step)}: ${warning}`);
      else writeLine(ctx.stdout, `  done: ${describeStep(step)}`);
    });
  } catch (err) {
    writeLine(ctx.stderr, (err as Error).message);
    return EXIT_FAILED;
  }
  writeLine(ctx.stdout, '\nNext:');
  for (const line of plan.next) writeLine(ctx.stdout, `  ${line}`);
  return EXIT_OK;
}

/** Makes the API token in the new home and shows it once here (not in the service's log). */
function apiTokenStep(ctx: CliContext, home: string): InstallStep {
  return {
    kind: 'action',
    description: `make the API token in ${home} and show it once`,
    why: 'give ImageManager and scripts their bearer token without it being written to the service log',
    run: async () => {
      const made = await ensureApiToken(home);
      if (made.token) writeLine(ctx.stdout, `  API token (shown once; keep it for the event API): ${made.token}`);
      else writeLine(ctx.stdout, '  The home already has an API token (`o365-notify token rotate` makes a new one).');
    },
  };
}

async function install(args: string[], ctx: CliContext, host: ServiceHost): Promise<number> {
  const { values } = parseCommandArgs(args, {
    user: { type: 'string' },
    'low-ports': { type: 'boolean', default: false },
    'no-start': { type: 'boolean', default: false },
    wrapper: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    'unit-dir': { type: 'string' },
  });
  const plan = await serviceInstallPlan(
    {
      home: ctx.home,
      user: values.user,
      lowPorts: values['low-ports'],
      start: !values['no-start'],
      wrapper: values.wrapper,
      unitDir: values['unit-dir'],
      prepareHome: (home) => [apiTokenStep(ctx, home)],
    },
    host,
  );
  if (values['dry-run']) {
    printPlan(ctx, plan);
    return EXIT_OK;
  }
  return carryOut(ctx, host, plan, '`service install`');
}

async function waitReady(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, { timeout: { type: 'string', default: '60s' } });
  const timeoutMs = parseDuration(values.timeout);
  if (timeoutMs === undefined) throw new UsageError(`--timeout must be a duration such as 60s or 2m, not "${values.timeout}"`);
  const settings = await loadSettings(ctx.home, ctx.env);
  const url = localServiceUrl(settings.service.host, settings.service.port);
  const result = await waitUntilReady(url, timeoutMs);
  if (result.ready) {
    writeLine(ctx.stdout, `The service answers ${url}/readyz.`);
    return EXIT_OK;
  }
  writeLine(
    ctx.stderr,
    `The service did not answer ${url}/readyz within ${values.timeout} (last: ${result.last}). ` +
      `Its log says why (journalctl -u o365-notify, or <home>\\logs on Windows); \`o365-notify --home ${resolveHome(ctx.home, ctx.env)} doctor\` checks the setup.`,
  );
  return EXIT_FAILED;
}

export const serviceCommand: Command = {
  name: 'service',
  summary: 'install, remove or check the service that starts at boot (systemd, Windows)',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const [action, ...rest] = args;
    const host = systemServiceHost(ctx.env);
    switch (action) {
      case 'install':
        return install(rest, ctx, host);
      case 'uninstall': {
        const { values } = parseCommandArgs(rest, { 'dry-run': { type: 'boolean', default: false }, 'unit-dir': { type: 'string' } });
        const plan = serviceUninstallPlan({ home: ctx.home, unitDir: values['unit-dir'] }, host);
        if (values['dry-run']) {
          printPlan(ctx, plan);
          return EXIT_OK;
        }
        return carryOut(ctx, host, plan, '`service uninstall`');
      }
      case 'status': {
        parseCommandArgs(rest, {});
        const { command, args: statusArgs } = serviceStatusCommand(host, ctx.home);
        const result = await host.run(command, statusArgs);
        ctx.stdout.write(result.stdout);
        if (result.stderr) ctx.stderr.write(result.stderr);
        if (result.code === null) writeLine(ctx.stderr, `Could not run ${command}: is the service installed (\`o365-notify service install\`)?`);
        return result.code === 0 ? EXIT_OK : EXIT_FAILED;
      }
      case 'wait-ready':
        return waitReady(rest, ctx);
      default:
        throw new UsageError(action === undefined ? 'service needs an action: install, uninstall, status or wait-ready' : `Unknown service action "${action}".`);
    }
  },
};
