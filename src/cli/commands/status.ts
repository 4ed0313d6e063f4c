import { openAuthSession, readAuthStatus, type AuthStatus } from '../../auth/index.js';
import { formatDiagnosis } from '../../diagnose/index.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, writeLine, type CliContext, type Command } from '../command.js';

const usage = `Usage: o365-notify status [--json]

Shows the account, the access token's expiry, the last refresh and the refresh token's age
(Entra ID ends it after 90 days unused), the client secret's expiry, and whether you must
sign in again and why. Exit 1 when something needs you.`;

function line(ctx: CliContext, label: string, value: string | undefined): void {
  writeLine(ctx.stdout, `${label.padEnd(22)} ${value ?? '-'}`);
}

function printStatus(ctx: CliContext, s: AuthStatus): void {
  line(ctx, 'Sign-in method', s.mode);
  line(ctx, 'Account', s.account ? `${s.account}${s.tenantId ? ` (tenant ${s.tenantId})` : ''}` : 'not signed in');
  line(ctx, 'Access token expires', s.accessTokenExpiresAt);
  line(ctx, 'Signed in at', s.signedInAt);
  line(ctx, 'Last refresh', s.lastRefreshAt);
  if (s.refreshTokenAgeDays !== undefined) {
    line(ctx, 'Refresh token age', `${s.refreshTokenAgeDays} day(s); unused it stops working by ${s.refreshTokenExpiresBy?.slice(0, 10)}`);
  }
  const secret = s.secret.configured
    ? `set${s.secret.expiresOn ? `, expires ${s.secret.expiresOn} (${s.secret.daysLeft} day(s) left)` : ', expiry not recorded (setup --secret-expires)'}`
    : 'not set';
  line(ctx, 'Client secret', secret);
  for (const note of s.notes) writeLine(ctx.stdout, `Note: ${note}`);
  if (s.signInRequired) {
    writeLine(ctx.stdout, `\nSign in again needed: ${s.problem?.reason ?? 'no account is signed in.'} Run \`o365-notify login\`.`);
  }
  if (s.problem?.diagnosis) writeLine(ctx.stdout, '\n' + formatDiagnosis(s.problem.diagnosis));
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'account, token health, refresh-token age, secret expiry',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    parseCommandArgs(args, {});
    const session = await openAuthSession({ home: ctx.home, env: ctx.env });
    const status = await readAuthStatus(session.home, session.settings, await session.secrets.hasClientSecret());
    if (ctx.json) writeLine(ctx.stdout, JSON.stringify(status));
    else printStatus(ctx, status);
    const secretExpired = status.secret.daysLeft !== undefined && status.secret.daysLeft < 0;
    return status.signInRequired || status.problem || secretExpired ? EXIT_FAILED : EXIT_OK;
  },
};
