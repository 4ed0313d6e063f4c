import { DAY_MS, REFUSED_ACCOUNT_TYPE, redirectUri, rotateDays, type GuideStep, type Problem, type Settings } from '../config/index.js';
import { AUDIENCE_WORDS, findDrift, graphAccess, MAIL_SEND_ROLE_ID, MAIL_SEND_SCOPE_ID, permissionWords } from './desired.js';
import type { RegistrationRecord } from './record.js';

/**
 * The guide's steps checked against the app registration itself (what Graph showed `register`,
 * `secret rotate` or `doctor --read-registration`), so a mistake made in the portal is found
 * before a sign-in fails on it. Each difference is a Problem on the guide step that fixes it,
 * worded as the portal shows it; what matches becomes evidence for that step.
 */
export type RegistrationStep = GuideStep | 'registered';

export interface RegistrationReview {
  /** "the app registration as `register` read it on 2026-12-04 01:02 UTC" */
  source: string;
  readAt: string;
  problems: Problem[];
  /** What the registration shows for the steps it follows. */
  facts: Partial<Record<RegistrationStep, string>>;
}

const SECRETS = 'Certificates & secrets';
/** The command that renews each kind of credential with an administrator. */
const RENEW: Record<'client secret' | 'certificate', { expired: string; soon: string }> = {
  'client secret': { expired: `Run \`o365-notify secret rotate\` to add a new one and switch to it, or add one in ${SECRETS} and enter its Value in the settings.`, soon: 'Run `o365-notify secret rotate` before then.' },
  certificate: {
    expired: `Run \`o365-notify certificate rotate\` to make a new one and switch to it, or \`o365-notify certificate create --no-upload\` and upload it in ${SECRETS} > Certificates.`,
    soon: 'Run `o365-notify certificate rotate` before then, or let the service renew it (`o365-notify register --self-rotate`).',
  },
};

function problem(guideStep: GuideStep, severity: Problem['severity'], message: string): Problem {
  return { field: 'registration', severity, message, guideStep };
}

function credentialProblems(record: RegistrationRecord, settings: Settings, now: number, fixCommand: string): { problems: Problem[]; fact?: string } {
  const app = record.application;
  const credentials = [
    ...(app.passwordCredentials ?? []).map((c) => ({ kind: 'client secret' as const, name: c.displayName ?? c.hint ?? c.keyId, end: c.endDateTime })),
    ...(app.keyCredentials ?? []).map((c) => ({ kind: 'certificate' as const, name: c.displayName ?? c.keyId, end: c.endDateTime })),
  ];
  const appOnly = settings.account.auth === 'app-only';
  const problems: Problem[] = [];
  const valid = credentials.filter((c) => !c.end || Date.parse(c.end) > now);
  for (const c of credentials) {
    if (!c.end) continue;
    const end = Date.parse(c.end);
    const day = c.end.slice(0, 10);
    if (end <= now) {
      problems.push(problem('client-secret', appOnly && valid.length === 0 ? 'error' : 'warning', `${SECRETS}: the ${c.kind} "${c.name}" expired on ${day}. ${appOnly ? RENEW[c.kind].expired : 'Delegated sign-in does not use it: delete it in ' + SECRETS + '.'}`));
    } else if (appOnly && end - now < rotateDays(settings) * DAY_MS) {
      problems.push(problem('client-secret', 'warning', `${SECRETS}: the ${c.kind} "${c.name}" expires on ${day}, in ${Math.ceil((end - now) / DAY_MS)} days. ${RENEW[c.kind].soon}`));
    }
  }
  if (appOnly && credentials.length === 0) {
    problems.push(problem('client-secret', 'error', `${SECRETS} lists no client secret and no certificate, so app-only sign-in cannot work. Run \`${fixCommand}\`, or add a client secret there and enter its Value in the settings.`));
  }
  const ours = (app.passwordCredentials ?? []).filter((c) => c.endDateTime).map((c) => c.endDateTime!.slice(0, 10));
  const recorded = settings.account.secretExpires;
  if (appOnly && recorded && ours.length > 0 && !ours.includes(recorded)) {
    problems.push(problem('client-secret', 'warning', `account.secretExpires is ${recorded}, but no client secret in ${SECRETS} expires that day (they expire on ${ours.join(', ')}): enter the Expires date of the secret in use.`));
  }
  const fact = valid.length > 0 ? `${SECRETS}: ${valid.map((c) => `${c.kind} "${c.name}"${c.end ? ` until ${c.end.slice(0, 10)}` : ''}`).join(', ')}` : undefined;
  return { problems, fact };
}

export function reviewRegistration(record: RegistrationRecord, settings: Settings, now: number, formatTime: (ms: number) => string): RegistrationReview {
  const app = record.application;
  const account = settings.account;
  const auth = account.auth;
  const fixCommand = `o365-notify register --client-id ${app.appId}`;
  const facts: RegistrationReview['facts'] = { registered: `"${app.displayName}" (${app.appId}) is registered in the tenant.` };
  const problems: Problem[] = [];
  // A refused account type is the settings' problem (config check says so), not the registration's.
  const drift = account.type && account.type !== REFUSED_ACCOUNT_TYPE
    ? findDrift(app, { displayName: app.displayName, accountType: account.type, auth, redirectUri: redirectUri(settings), largeAttachments: false })
    : [];
  for (const d of drift) {
    // Device code never uses the redirect URI: the guide still registers it, but nothing fails without it.
    const severity = d.guideStep === 'redirect-uri' && auth === 'device-code' ? 'warning' : 'error';
    problems.push(problem(d.guideStep, severity, `The app registration differs from the guide: ${d.where} is ${d.now}; the guide says ${d.wanted}. Change it there, or run \`${fixCommand}\` to change it for you.`));
  }
  const drifted = new Set(drift.map((d) => d.guideStep));
  if (!drifted.has('account-type')) facts['account-type'] = `Supported account types: ${AUDIENCE_WORDS[app.signInAudience] ?? app.signInAudience}.`;
  if (auth !== 'app-only') {
    if (!drifted.has('redirect-uri')) facts['redirect-uri'] = `${redirectUri(settings)} is under Mobile and desktop applications.`;
    if (!drifted.has('public-client-flows')) facts['public-client-flows'] = 'Allow public client flows: Yes.';
  }
  if (!drifted.has('api-permissions')) facts['api-permissions'] = `API permissions > Microsoft Graph: ${permissionWords(graphAccess(app))}.`;

  const consent = record.consent;
  if (consent) {
    const has = (list: string[]) => list.some((p) => p.toLowerCase() === 'mail.send');
    if (auth === 'app-only') {
      if (has(consent.application)) facts['admin-consent'] = 'Admin consent is granted for Mail.Send (Application).';
      else problems.push(problem('admin-consent', 'error', `API permissions: Mail.Send (Application) has no admin consent ("Not granted"), so Entra ID issues no token carrying it. Press "Grant admin consent" there, or run \`${fixCommand} --grant-admin-consent\`.`));
    } else if (has(consent.delegated)) {
      facts['admin-consent'] = 'Admin consent is granted for Mail.Send (Delegated), for all users.';
    } else if (graphAccess(app).some((a) => a.id === MAIL_SEND_SCOPE_ID && a.type === 'Scope')) {
      facts['admin-consent'] = 'No admin consent for the organization: the mailbox\'s user consents at the first sign-in (where the tenant lets users consent).';
    }
  }
  if (auth === 'app-only' && graphAccess(app).some((a) => a.id === MAIL_SEND_ROLE_ID) && !consent) {
    facts['admin-consent'] = 'Consent was not read (it needs an administrator): a token with Mail.Send proves it.';
  }
  const credentials = credentialProblems(record, settings, now, fixCommand);
  problems.push(...credentials.problems);
  if (credentials.fact && !credentials.problems.some((p) => p.severity === 'error')) facts['client-secret'] = credentials.fact;
  return { source: `the app registration as \`${record.readBy}\` read it on ${formatTime(Date.parse(record.readAt))}`, readAt: record.readAt, problems, facts };
}
