import { openAuthSession, readAuthStatus, type AuthStatus } from '../../auth/index.js';
import { formatDiagnosis } from '../../diagnose/index.js';
import { readStoreSummary, withCliSharedSignIn, type InstanceSummary, type StoreSummary } from '../../server/index.js';
import { printRelayStatus, readRelayStatus, type RelayStatus } from './smtp-status.js';
import { isSetUp } from './send.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, writeLine, type CliContext, type Command } from '../command.js';

const usage = `Usage: o365-notify status [--json]

Shows the account, the access token's expiry, the last refresh and the refresh token's age
(Entra ID ends it after 90 days unused), the client secret's expiry, and whether you must
sign in again and why. Once the service has run (\`o365-notify serve\`): the notification queue,
the last delivery, the last delivery error, why the next queued e-mail waits (a retry, or the daily
recipient budget) and open health warnings. Exit 1 when something needs you.`;

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
  if (s.certificate) line(ctx, 'Certificate', `in use, expires ${s.certificate.expiresOn} (${s.certificate.daysLeft} day(s) left)`);
  for (const note of s.notes) writeLine(ctx.stdout, `Note: ${note}`);
  if (s.signInRequired) {
    // A setting of the app registration refused it (AADSTS7000218...): signing in again fails until
    // that is changed, so the portal comes first (issue 9.12).
    const step = s.problem?.diagnosis?.guideStep;
    const portalFirst = step !== undefined && !['sign-in-again', 'conditional-access'].includes(step);
    const next = portalFirst ? 'First fix it in the Azure portal as below, then run `o365-notify login`.' : 'Run `o365-notify login`.';
    writeLine(ctx.stdout, `\nSign in again needed: ${s.problem?.reason ?? 'no account is signed in.'} ${next}`);
  }
  if (s.problem?.diagnosis) writeLine(ctx.stdout, '\n' + formatDiagnosis(s.problem.diagnosis));
}

function printNotifications(ctx: CliContext, n: StoreSummary): void {
  const o = n.queue.outbox;
  writeLine(ctx.stdout, '');
  line(ctx, 'Undelivered events', `${n.queue.undeliveredEvents}${n.oldestUndeliveredEvent ? ` (oldest received ${n.oldestUndeliveredEvent.receivedAt})` : ''}`);
  line(ctx, 'E-mail queue', `${o.queued} queued, ${o.sending} sending, ${o.waitingSignIn} waiting for a sign-in; ${o.sent} sent, ${o.failed} failed`);
  line(ctx, 'Last delivery', n.lastDelivery ? `${n.lastDelivery.sentAt} "${n.lastDelivery.subject}" to ${n.lastDelivery.to.join(', ')}` : 'none yet');
  if (n.lastError) {
    line(ctx, 'Last delivery error', `${n.lastError.at} ${n.lastError.diagnosis?.title ?? n.lastError.error ?? ''}`);
    if (n.lastError.diagnosis?.fix) line(ctx, '  fix', n.lastError.diagnosis.fix);
  }
  // Why the next e-mail waits, e.g. "Waiting for the daily recipient budget until ..." (no attempt made).
  if (n.nextQueued?.reason) line(ctx, 'Next e-mail waits', `until ${n.nextQueued.dueAt ?? 'now'}: ${n.nextQueued.reason}`);
  for (const h of n.healthNotices) writeLine(ctx.stdout, `Warning (${h.kind}, since ${h.since}): ${h.message}`);
}

/** The instances alive on the PostgreSQL store and what each holds (issue 16). */
function printInstances(ctx: CliContext, instances: { alive: InstanceSummary[]; gone: number }): void {
  writeLine(ctx.stdout, '');
  const gone = instances.gone > 0 ? `; ${instances.gone} gone (silent: stopped or cut off; their leases run out by themselves)` : '';
  writeLine(ctx.stdout, `${'Instances alive'.padEnd(22)} ${instances.alive.length}${gone}`);
  for (const i of instances.alive) {
    const holds = [i.leases.length > 0 ? `jobs: ${i.leases.join(', ')}` : 'no job lease', `${i.slots} mailbox slot(s)`];
    const url = typeof i.holds.url === 'string' && i.holds.url ? ` at ${i.holds.url}` : '';
    writeLine(ctx.stdout, `  ${i.id} (pid ${i.pid}, ${i.version})${url}: since ${i.startedAt}, last heartbeat ${i.lastHeartbeat}; ${holds.join(', ')}`);
  }
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'account, token health, refresh-token age, secret expiry, queue depth, last delivery',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    parseCommandArgs(args, {});
    if (!ctx.json && !(await isSetUp(ctx))) return EXIT_FAILED;
    // On a PostgreSQL store: the sign-in the instances share.
    const { session, status } = await withCliSharedSignIn(ctx.home, ctx.env, async (sharedAuth) => {
      const session = await openAuthSession({ home: ctx.home, env: ctx.env, sharedAuth });
      return { session, status: await readAuthStatus(session.authState, session.settings, { secret: await session.secrets.hasClientSecret(), certificateEnd: await session.secrets.clientCertificateEnd() }) };
    });
    let notifications: Awaited<ReturnType<typeof readStoreSummary>> = null;
    let relay: RelayStatus | null = null;
    try {
      notifications = await readStoreSummary(session.home, session.settings);
      // The relay's queue is read from the SQLite store; on PostgreSQL the settings page shows it.
      if (!notifications?.instances) relay = await readRelayStatus(session.home, session.settings);
    } catch (err) {
      // The sign-in status is still worth showing when the store cannot be read (e.g. a newer version's).
      if (!ctx.json) writeLine(ctx.stderr, `Cannot read the notification store: ${(err as Error).message}`);
    }
    if (ctx.json) writeLine(ctx.stdout, JSON.stringify(notifications ? { ...status, notifications, relay } : status));
    else {
      printStatus(ctx, status);
      if (notifications) printNotifications(ctx, notifications);
      if (notifications?.instances) printInstances(ctx, notifications.instances);
      if (relay) printRelayStatus(ctx, relay);
    }
    // The credential in use: a certificate wins over the secret (auth/session.ts).
    const secretExpired = status.certificate ? status.certificate.daysLeft < 0 : status.secret.daysLeft !== undefined && status.secret.daysLeft < 0;
    return status.signInRequired || status.problem || secretExpired ? EXIT_FAILED : EXIT_OK;
  },
};
