import type { AuthStatus } from '../../auth/index.js';
import { ACCOUNT_TYPE_LABELS, MAIL_SEND_SCOPE, redirectUri, type Problem, type Settings } from '../../config/index.js';
import { GUIDE_STEP_INFO, isGuideStep, type GuideStep, type ShownDiagnosis, type StoredDiagnosis } from '../../diagnose/index.js';
import type { DeliveryRecord, ServiceStatus } from '../../notify/index.js';
import type { RegistrationReview } from '../../registration/index.js';
import type { PageEvidence } from './evidence.js';

/**
 * The guide (Office365 Account Configuration) as a checklist, each step ticked only from live
 * evidence: the settings checked against the guide, what Entra ID answered (a sign-in, the
 * public-client probe), the scopes in the token it issued, and a test e-mail Graph accepted.
 * A failure carries the diagnosis of the error that showed it, with the portal step that fixes it.
 */

export const CHECKLIST_STEPS = [
  'registered',
  'account-type',
  'identifiers',
  'redirect-uri',
  'public-client-flows',
  'mail-send',
  'admin-consent',
  'signed-in',
  'test-email',
] as const;
export type ChecklistStepId = (typeof CHECKLIST_STEPS)[number];

export type StepState = 'done' | 'failed' | 'todo' | 'not-needed';

/** A diagnosis as the checklist shows it: what happened, why, the fix, and where in the portal. */
export type StepDiagnosis = ShownDiagnosis & {
  /** GUIDE_STEP_INFO's place in the portal for the guide step. */
  where: string;
  /** Where the error was seen. */
  seenIn: string;
};

export interface ChecklistStep {
  id: ChecklistStepId;
  title: string;
  /** Where the guide does it, in the portal's words. */
  where: string;
  state: StepState;
  /** The evidence for the state, or what is still missing. */
  evidence: string;
  /** Settings errors (same messages as `config check`). */
  problems: Problem[];
  diagnosis?: StepDiagnosis;
}

export interface ChecklistInput {
  settings: Settings;
  /** As `config check` lists them (unreadable values and the guide's rules). */
  problems: Problem[];
  auth: AuthStatus;
  /** Scopes of the signed-in account's access token (from the token cache). */
  tokenScopes?: string[];
  /** Only evidence about the configured Client ID. */
  evidence: PageEvidence;
  /** The newest test e-mail, if any. */
  lastTest?: DeliveryRecord;
  service: Pick<ServiceStatus, 'lastError' | 'lastDelivery'>;
  /** The admin-consent URL for the configured app, for when consent is the problem. */
  adminConsentUrl?: string;
  /** Formats a time for people. */
  formatTime: (ms: number) => string;
  /** The app registration itself checked against the guide (as `register` or doctor last read it). */
  registration?: RegistrationReview;
}

/** Which checklist step a guide step (of a settings problem or a diagnosis) belongs to. */
const STEP_OF: Record<GuideStep, ChecklistStepId> = {
  'account-type': 'account-type',
  'client-id': 'identifiers',
  'tenant-id': 'identifiers',
  'client-secret': 'identifiers',
  'redirect-uri': 'redirect-uri',
  'public-client-flows': 'public-client-flows',
  'api-permissions': 'mail-send',
  'admin-consent': 'admin-consent',
  'sign-in-again': 'signed-in',
  'conditional-access': 'signed-in',
  mailbox: 'test-email',
  recipients: 'test-email',
  'message-size': 'test-email',
  throttling: 'test-email',
  // The network is first needed by the sign-in.
  network: 'signed-in',
  request: 'test-email',
};

const APP = 'App registrations > (your app)';

const TITLES: Record<ChecklistStepId, { title: string; where: string }> = {
  registered: { title: 'Register the app', where: 'Azure portal > App registrations > New registration' },
  'account-type': { title: 'Supported account types', where: `${APP} > Authentication > Supported account types` },
  identifiers: { title: 'Client ID, Tenant ID and client secret', where: `${APP} > Overview; Certificates & secrets` },
  'redirect-uri': { title: 'Redirect URI (Mobile and desktop applications)', where: `${APP} > Authentication > Add a platform > Mobile and desktop applications` },
  'public-client-flows': { title: 'Allow public client flows = Yes', where: `${APP} > Authentication > Advanced settings` },
  'mail-send': { title: 'Microsoft Graph permission Mail.Send', where: `${APP} > API permissions > Add a permission > Microsoft Graph` },
  'admin-consent': { title: 'Admin consent', where: `${APP} > API permissions > Grant admin consent` },
  'signed-in': { title: 'Signed in', where: 'This page: Sign in with Microsoft (or `o365-notify login`)' },
  'test-email': { title: 'Test e-mail delivered', where: 'This page: Send test e-mail (or `o365-notify test`)' },
};

/** A current error before its place in the portal is looked up. */
type SeenDiagnosis = Omit<StepDiagnosis, 'where'>;

function stepOfDiagnosis(d: Pick<StoredDiagnosis, 'code' | 'guideStep'>): ChecklistStepId | undefined {
  // "Client ID not found": the app is not registered where sign-in looked.
  if (d.code === 'AADSTS700016') return 'registered';
  return isGuideStep(d.guideStep) ? STEP_OF[d.guideStep] : undefined;
}

/** The errors that are still current, newest source first. */
function currentDiagnoses(input: ChecklistInput): SeenDiagnosis[] {
  const out: SeenDiagnosis[] = [];
  const { auth, evidence, lastTest, service } = input;
  if (auth.problem?.diagnosis) out.push({ ...auth.problem.diagnosis, seenIn: `sign-in, ${input.formatTime(Date.parse(auth.problem.since))}` });
  const probe = evidence.publicClientFlows;
  if (probe?.diagnosis && probe.allowed !== true) out.push({ ...probe.diagnosis, seenIn: `${probe.how}, ${input.formatTime(Date.parse(probe.at))}` });
  if (lastTest && lastTest.notification.status !== 'sent' && lastTest.notification.diagnosis) {
    out.push({ ...lastTest.notification.diagnosis, seenIn: `test e-mail, ${input.formatTime(lastTest.notification.updatedAt)}` });
  }
  const lastError = service.lastError;
  const sentSince = service.lastDelivery?.sentAt != null && lastError !== null && service.lastDelivery.sentAt > lastError.at;
  if (lastError?.diagnosis && !sentSince) out.push({ ...lastError.diagnosis, seenIn: `delivery, ${input.formatTime(lastError.at)}` });
  return out;
}

function withPlace(d: SeenDiagnosis, input: ChecklistInput): StepDiagnosis {
  const where = isGuideStep(d.guideStep) ? GUIDE_STEP_INFO[d.guideStep].where : '';
  const consent = d.guideStep === 'admin-consent' ? (d.adminConsentUrl ?? input.adminConsentUrl) : undefined;
  return { code: d.code, title: d.title, cause: d.cause, fix: d.fix, guideStep: d.guideStep, where, seenIn: d.seenIn, ...(consent ? { adminConsentUrl: consent } : {}) };
}

function hasMailSend(scopes: readonly string[] | undefined): boolean {
  return (scopes ?? []).some((s) => s.toLowerCase() === MAIL_SEND_SCOPE.toLowerCase());
}

export function buildChecklist(input: ChecklistInput): ChecklistStep[] {
  const { settings, auth, evidence, lastTest } = input;
  const account = settings.account;
  const appOnly = account.auth === 'app-only';
  const errors = input.problems.filter((p) => p.severity === 'error');
  const diagnoses = currentDiagnoses(input);
  const signedInSince = auth.signedInAt ? input.formatTime(Date.parse(auth.signedInAt)) : undefined;

  const settingsErrors = (id: ChecklistStepId) => errors.filter((p) => p.guideStep !== null && stepOfDiagnosis({ code: '', guideStep: p.guideStep }) === id);
  const diagnosisFor = (id: ChecklistStepId) => diagnoses.find((d) => stepOfDiagnosis(d) === id);

  const step = (id: ChecklistStepId, state: StepState, evidenceText: string, problems: Problem[] = [], diagnosis?: SeenDiagnosis): ChecklistStep => ({
    id,
    ...TITLES[id],
    state,
    evidence: evidenceText,
    problems,
    ...(diagnosis ? { diagnosis: withPlace(diagnosis, input) } : {}),
  });

  /** A value that is simply not entered yet is to do, not wrong. */
  const isMissing = (p: Problem) => {
    if (p.field === 'clientSecret') return !auth.secret.configured;
    const [section, name] = p.field.split('.');
    return section === 'account' && name !== undefined && (account as unknown as Record<string, unknown>)[name] === undefined;
  };

  const review = input.registration;
  const fromRegistration = (id: ChecklistStepId) => (review?.problems ?? []).filter((p) => p.guideStep !== null && stepOfDiagnosis({ code: '', guideStep: p.guideStep }) === id);
  const registrationFact = (id: ChecklistStepId) =>
    Object.entries(review?.facts ?? {}).find(([key]) => (key === 'registered' ? 'registered' : isGuideStep(key) ? STEP_OF[key] : undefined) === id)?.[1];

  /**
   * Settings errors, the registration's differences from the guide or a current diagnosis fail a
   * step; otherwise `ok` decides, and what the registration shows confirms a step still to check.
   */
  const judge = (id: ChecklistStepId, ok: () => [StepState, string]): ChecklistStep => {
    const problems = settingsErrors(id);
    const diagnosis = diagnosisFor(id);
    const registered = fromRegistration(id);
    if (problems.length > 0 && !diagnosis && problems.every(isMissing)) return step(id, 'todo', 'Still to enter:', problems);
    if (problems.length > 0) return step(id, 'failed', 'The settings do not follow the guide here:', problems, diagnosis);
    if (registered.some((p) => p.severity === 'error')) return step(id, 'failed', `In ${review!.source}:`, registered, diagnosis);
    if (diagnosis) return step(id, 'failed', 'Microsoft answered with an error that this step fixes:', registered, diagnosis);
    const [state, text] = ok();
    const fact = registrationFact(id);
    if (fact && state === 'todo') return step(id, 'done', `${fact} (From ${review!.source}.)`, registered);
    return step(id, state, text, registered);
  };

  const tokenHasMailSend = appOnly ? auth.signedIn : hasMailSend(input.tokenScopes) || hasMailSend(evidence.lastSignIn?.scopes);
  const entraKnowsApp = auth.signedIn || evidence.lastSignIn !== undefined || (evidence.publicClientFlows?.allowed ?? null) !== null;

  return [
    judge('registered', () => {
      if (!account.clientId) return ['todo', 'Enter the Client ID of the app you registered (Account, below).'];
      if (entraKnowsApp) return ['done', `Microsoft Entra ID knows the app ${account.clientId}${auth.signedIn && auth.account ? `: ${auth.account} signed in with it` : ''}.`];
      return ['todo', 'Not confirmed yet: sign in to check that Microsoft Entra ID knows this Client ID.'];
    }),
    judge('account-type', () => {
      if (!account.type) return ['todo', 'Choose the account type the app was registered with.'];
      const label = ACCOUNT_TYPE_LABELS[account.type];
      return ['done', auth.signedIn ? `${label}: a sign-in through this authority worked.` : `${label}: the settings follow the guide for this choice.`];
    }),
    judge('identifiers', () => {
      if (!account.clientId) return ['todo', 'Enter the Client ID (and the Tenant ID when the account type needs it).'];
      const tenant = account.tenantId ? `Tenant ID ${account.tenantId}` : account.type === 'multi-tenant-personal' ? 'Tenant ID blank, as the guide requires' : 'no Tenant ID (optional for Multitenant)';
      const secret = auth.certificate
        ? `certificate in use, expires on ${auth.certificate.expiresOn}`
        : auth.secret.configured
          ? `client secret set${account.secretExpires ? `, expires on ${account.secretExpires}` : ''}`
        : appOnly
          ? 'no client secret'
          : 'no client secret (not needed for delegated sign-in)';
      return ['done', `Client ID ${account.clientId}, ${tenant}, ${secret}.`];
    }),
    judge('redirect-uri', () => {
      if (appOnly) return ['not-needed', 'App-only sending does not use a redirect URI.'];
      if (evidence.lastSignIn?.method === 'browser') {
        return ['done', `A browser sign-in returned to http://localhost on ${input.formatTime(Date.parse(evidence.lastSignIn.at))}; register ${redirectUri(settings)}.`];
      }
      if (account.auth === 'device-code') return ['not-needed', `Device-code sign-in does not use it (register ${redirectUri(settings)} for browser sign-in).`];
      return ['todo', `Register ${redirectUri(settings)}, then sign in with Microsoft from this page on this machine to confirm it.`];
    }),
    judge('public-client-flows', () => {
      if (appOnly) return ['not-needed', 'App-only sending does not use public client flows.'];
      const probe = evidence.publicClientFlows;
      if (probe?.allowed) return ['done', `Allowed: ${probe.how === 'probe' ? 'Entra ID lets this app poll for a device code' : 'a device-code sign-in worked'} (${input.formatTime(Date.parse(probe.at))}).`];
      return ['todo', 'Not checked yet: sign in, or press "Check again".'];
    }),
    judge('mail-send', () => {
      if (tokenHasMailSend) {
        return ['done', appOnly ? 'The app-only token carries the Mail.Send application permission.' : `The access token carries Mail.Send (scopes: ${(input.tokenScopes ?? evidence.lastSignIn?.scopes ?? []).join(' ')}).`];
      }
      return ['todo', 'Confirmed by the token once you sign in.'];
    }),
    judge('admin-consent', () => {
      if (tokenHasMailSend) return ['done', 'Consent for Mail.Send is in place: Entra ID issued a token with it.'];
      return ['todo', 'Confirmed by the token once you sign in (multitenant apps may need an administrator of each organization).'];
    }),
    judge('signed-in', () => {
      if (auth.signedIn) {
        const expiry = auth.refreshTokenExpiresBy ? `; stays signed in while used (unused, it ends on ${input.formatTime(Date.parse(auth.refreshTokenExpiresBy))})` : '';
        return ['done', `Signed in as ${auth.account ?? 'the application'}${signedInSince ? ` since ${signedInSince}` : ''}${expiry}.`];
      }
      if (auth.problem) return ['failed', auth.account ? `Sign in again: ${auth.problem.reason}` : `Not signed in: the last attempt failed. ${auth.problem.reason}`];
      return ['todo', 'Not signed in yet.'];
    }),
    judge('test-email', () => {
      const n = lastTest?.notification;
      if (!n) return ['todo', 'No test e-mail sent yet.'];
      if (n.status === 'sent') return ['done', `Microsoft Graph accepted the test e-mail to ${n.to.join(', ')} on ${input.formatTime(n.sentAt ?? n.updatedAt)}.`];
      if (n.status === 'failed') return ['failed', `The test e-mail failed: ${n.lastError ?? 'see the deliveries below'}`];
      return ['todo', `The test e-mail is ${n.status === 'waiting-sign-in' ? 'waiting for a sign-in' : 'queued for another try'}${n.lastError ? `: ${n.lastError}` : ''}.`];
    }),
  ];
}
