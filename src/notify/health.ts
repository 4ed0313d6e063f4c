import { GUIDE_STEP_INFO, isGuideStep, type StoredDiagnosis } from '../diagnose/index.js';
import { formatTime, timeZoneNote } from './format.js';

/**
 * The service's own health, as notices for the administrator: each (kind, subject, threshold) is
 * e-mailed once - "the secret expires in 7 days" once, then "in 1 day" once - and shown in status
 * while open. Resolving a kind (the sign-in works again) lets the same notice be sent again if the
 * problem comes back.
 */
export const HEALTH_NOTICE_KINDS = [
  /** The refresh token is getting old or was rejected: `o365-notify login` soon. */
  'sign-in-renewal',
  /** The client secret's Expires date is near (thresholds 30d, 7d, 1d) or passed (`expired`). */
  'secret-expiring',
  /**
   * The client certificate in use nears its end date (notAfter; same thresholds). Its subject is the
   * certificate's thumbprint, so a renewed certificate starts fresh.
   */
  'certificate-expiring',
  /** Admin consent for Mail.Send was revoked or is missing. */
  'consent-revoked',
  /**
   * A setting of the app registration refuses the sign-in (Allow public client flows, the redirect
   * URI's platform, ...): the fix is in the Azure portal, not `o365-notify login`.
   */
  'app-registration',
] as const;
export type HealthNoticeKind = (typeof HEALTH_NOTICE_KINDS)[number];

export interface HealthNotice {
  kind: HealthNoticeKind;
  /** What it is about (the secret's expiry date, the account); part of the dedup key. */
  subject?: string;
  /** `30d`, `7d`, `1d`, `expired`, ... ; part of the dedup key. */
  threshold?: string;
  message: string;
  diagnosis?: StoredDiagnosis | null;
}

export const SECRET_EXPIRY_THRESHOLDS_DAYS = [30, 7, 1] as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/** `expired`, or the smallest threshold (30/7/1 days) the expiry is within; null when further off. */
export function secretExpiryThreshold(expiresOn: string, now: number): string | null {
  const expires = secretExpiryInstant(expiresOn);
  return expires === null ? null : expiryThreshold(expires, now);
}

function expiryThreshold(expires: number, now: number): string | null {
  const left = expires - now;
  if (left <= 0) return 'expired';
  let threshold: string | null = null;
  for (const days of SECRET_EXPIRY_THRESHOLDS_DAYS) if (left <= days * DAY_MS) threshold = `${days}d`;
  return threshold;
}

/** The portal shows an Expires date; counting from the start of that day (UTC) warns on the safe side. */
function secretExpiryInstant(expiresOn: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(expiresOn.trim());
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isFinite(ms) ? ms : null;
}

/** The credential in use whose end the notices follow. */
export type ExpiringCredential =
  | { kind: 'client secret'; expiresOn: string }
  /** The portal's Thumbprint (SHA-1, hex) and the certificate's own end (notAfter, ISO). */
  | { kind: 'certificate'; thumbprint: string; endDateTime: string };

/** What differs between the kinds: the instant, the dedup subject and the words. */
interface ExpiryWords {
  notice: HealthNoticeKind;
  instant: number | null;
  subject: string;
  expiresOn: string;
  expired: string;
  expiring(days: string): string;
  diagnosis(expired: boolean): StoredDiagnosis;
}

const CERTIFICATES = 'App registrations > (your app) > Certificates & secrets > Certificates';

function expiryWords(credential: ExpiringCredential): ExpiryWords {
  if (credential.kind === 'client secret') {
    const { expiresOn } = credential;
    return {
      notice: 'secret-expiring',
      instant: secretExpiryInstant(expiresOn),
      subject: expiresOn,
      expiresOn,
      expired: `The client secret expired on ${expiresOn}. Sign-ins that use it fail until a new secret is entered.`,
      expiring: (days) => `The client secret expires on ${expiresOn}, in ${days}. E-mails still go out; create a new secret before then so they keep going.`,
      diagnosis: (expired) => ({
        code: expired ? 'secret-expired' : 'secret-expiring',
        title: expired ? 'Client secret expired' : 'Client secret expiring',
        cause: 'Client secrets in Entra ID have an Expires date chosen when they were added.',
        fix: `${GUIDE_STEP_INFO['client-secret'].fix} Then record its new Expires date with \`o365-notify setup --secret-expires YYYY-MM-DD\`.`,
        guideStep: 'client-secret',
      }),
    };
  }
  // A certificate ends at an instant (notAfter), not on a day: counted from it exactly.
  const instant = Date.parse(credential.endDateTime);
  const expiresOn = credential.endDateTime.slice(0, 10);
  const what = `The client certificate (thumbprint ${credential.thumbprint})`;
  return {
    notice: 'certificate-expiring',
    instant: Number.isFinite(instant) ? instant : null,
    subject: credential.thumbprint,
    expiresOn,
    expired: `${what} expired on ${expiresOn}. App-only sign-ins with it fail, so e-mails wait until a new certificate is in use.`,
    expiring: (days) =>
      `${what} expires on ${expiresOn}, in ${days}, and the service did not renew it. E-mails still go out; replace it before then so they keep going.`,
    diagnosis: (expired) => ({
      code: expired ? 'certificate-expired' : 'certificate-expiring',
      title: expired ? 'Client certificate expired' : 'Client certificate expiring',
      cause: 'A certificate credential has an end date (its notAfter, shown as Expires in Certificates & secrets > Certificates); Entra ID refuses sign-ins with it after that date.',
      // An expired certificate cannot sign the service's own renewal (addKey needs a proof signed by a valid one).
      fix: expired
        ? `Run \`o365-notify certificate rotate\` (an administrator signs in once) to make a new one and switch to it, or \`o365-notify certificate create --no-upload\` and upload it in ${CERTIFICATES} > Upload certificate.`
        : `Run \`o365-notify certificate rotate\` (an administrator signs in once), or \`o365-notify register --self-rotate\` so the service renews it itself from now on, or upload a new one in ${CERTIFICATES} > Upload certificate.`,
      guideStep: '',
    }),
  };
}

/**
 * The notice for the credential in use nearing its end (30, 7, 1 days, expired), or null while it
 * is far off: one policy for both kinds, only the words and the dedup subject differ.
 */
export function credentialExpiryNotice(credential: ExpiringCredential, now: number): HealthNotice | null {
  const words = expiryWords(credential);
  if (words.instant === null) return null;
  const threshold = expiryThreshold(words.instant, now);
  if (threshold === null) return null;
  const days = Math.max(0, Math.ceil((words.instant - now) / DAY_MS));
  const expired = threshold === 'expired';
  return {
    kind: words.notice,
    subject: words.subject,
    threshold,
    message: expired ? words.expired : words.expiring(`${days} ${days === 1 ? 'day' : 'days'}`),
    diagnosis: words.diagnosis(expired),
  };
}

/** The notice for a client secret expiring on `expiresOn` (YYYY-MM-DD), or null while it is far off. */
export function secretExpiryNotice(expiresOn: string, now: number): HealthNotice | null {
  return credentialExpiryNotice({ kind: 'client secret', expiresOn }, now);
}

/** Subject, headline and fields for a health notice e-mail. */
export function healthEmailView(notice: HealthNotice, id: string, now: number, timeZone?: string): Record<string, unknown> {
  const step = notice.diagnosis?.guideStep;
  const info = step && isGuideStep(step) ? GUIDE_STEP_INFO[step] : undefined;
  const certificate = notice.kind === 'certificate-expiring' || (notice.kind === 'secret-expiring' && isCertificateRefusal(notice.subject ?? ''));
  const credential = certificate ? 'client certificate' : notice.kind === 'secret-expiring' ? 'client secret' : null;
  const headline = credential
    ? notice.kind === 'secret-expiring' && certificate
      ? 'Microsoft 365 refused the client certificate'
      : notice.threshold === 'expired'
        ? `The ${credential} has expired`
        : `The ${credential} expires in ${notice.threshold === '1d' ? '1 day' : notice.threshold === '7d' ? '7 days' : '30 days'}`
    : notice.kind === 'consent-revoked'
      ? 'Consent for sending mail was revoked'
      : notice.kind === 'app-registration'
        ? `The app registration refuses the sign-in: ${info?.title ?? notice.diagnosis?.title ?? 'a setting'}`
        : 'The sign-in for sending mail needs renewal';
  return {
    id,
    generatedAt: formatTime(now, timeZone),
    timeZoneNote: timeZoneNote(timeZone),
    eyebrow: 'o365-notify · service health',
    accent: '#b54708',
    subjectTag: 'Action needed',
    headline,
    message: notice.message,
    fix: notice.diagnosis?.fix || info?.fix || '',
    cause: notice.diagnosis?.cause ?? '',
    code: notice.diagnosis?.code ?? '',
    guideStep: info?.title ?? step ?? '',
    where: info?.where ?? (notice.kind === 'certificate-expiring' ? CERTIFICATES : ''),
  };
}

/**
 * Entra's refusals of a certificate sign-in (not on the app or expired, outside its time range): the
 * credential step's refusal, worded for the certificate.
 */
const CERTIFICATE_REFUSALS: readonly string[] = ['AADSTS700027', 'AADSTS700024'];
const isCertificateRefusal = (code: string) => CERTIFICATE_REFUSALS.includes(code);

/** Guide steps whose refusal only a person can fix (o365-notify cannot retry its way out). */
const REFUSAL_STEPS: readonly string[] = ['sign-in-again', 'conditional-access', 'admin-consent', 'client-secret', 'public-client-flows', 'redirect-uri', 'api-permissions'];

/**
 * The one notice for Microsoft refusing the sign-in or a send, whoever saw it (the delivery
 * worker or the token refresh): its kind and message follow the guide step of the diagnosis, so
 * each names its real fix. Null when the refusal is not one a person must fix (a network error).
 */
export function signInRefusalNotice(diagnosis: StoredDiagnosis | null | undefined, signInRequired: boolean): HealthNotice | null {
  const step = diagnosis?.guideStep;
  if (!signInRequired && !(step && REFUSAL_STEPS.includes(step))) return null;
  const subject = diagnosis?.code ?? '';
  const base = { subject, diagnosis: diagnosis ?? null };
  if (step === 'admin-consent') {
    return { ...base, kind: 'consent-revoked', threshold: '', message: 'Microsoft 365 refused because consent for Mail.Send is missing or was revoked. E-mails wait until it is granted again.' };
  }
  if (step === 'client-secret' && isCertificateRefusal(subject)) {
    return { ...base, kind: 'secret-expiring', threshold: 'expired', message: `Microsoft 365 refused the client certificate (${subject}: ${diagnosis?.title ?? 'not accepted'}). E-mails wait until a certificate it accepts is in use.` };
  }
  if (step === 'client-secret') {
    return { ...base, kind: 'secret-expiring', threshold: 'expired', message: 'Microsoft 365 refused the client secret (expired or wrong). E-mails wait until a new secret is entered.' };
  }
  if (step && step !== 'sign-in-again' && step !== 'conditional-access' && isGuideStep(step)) {
    const info = GUIDE_STEP_INFO[step];
    return {
      ...base,
      kind: 'app-registration',
      threshold: '',
      message: `Microsoft 365 refused the sign-in because of the app registration's ${info.title} setting. E-mails wait until it is changed in the Azure portal (${info.where}); signing in again does not help before that.`,
    };
  }
  return { ...base, kind: 'sign-in-renewal', threshold: '', message: 'Microsoft 365 refused the saved sign-in. E-mails wait until you run `o365-notify login`.' };
}

/**
 * Whether a new token from the token endpoint proves this refusal gone: it came from the token
 * endpoint itself (an AADSTS code, an OAuth error, nobody signed in). A refusal by Graph (403
 * ErrorAccessDenied) or a token without the permission needs a successful send instead.
 */
export function endsWithNewToken(notice: { subject: string }): boolean {
  return /^AADSTS\d+$/.test(notice.subject) || /^[a-z]+(_[a-z]+)+$/.test(notice.subject) || notice.subject === 'NotSignedIn';
}

/** Notices about a refusal (they end when sending or a token works again), as opposed to dated warnings. */
export function isRefusalNotice(notice: { kind: HealthNoticeKind; subject: string; threshold: string }): boolean {
  if (notice.kind === 'secret-expiring') return notice.threshold === 'expired' && !/^\d{4}-\d{2}-\d{2}$/.test(notice.subject);
  return notice.kind === 'sign-in-renewal' || notice.kind === 'consent-revoked' || notice.kind === 'app-registration';
}

/** What was fixed, in one sentence per notice, for the "resolved" e-mail. */
export function fixedSentence(notice: { kind: HealthNoticeKind; subject: string; diagnosis: StoredDiagnosis | null }): string {
  const step = notice.diagnosis?.guideStep;
  switch (notice.kind) {
    case 'secret-expiring':
      return /^\d{4}-\d{2}-\d{2}$/.test(notice.subject)
        ? `The client secret that expires on ${notice.subject} is no longer the one recorded: a new Expires date was entered.`
        : isCertificateRefusal(notice.subject)
          ? 'Microsoft 365 accepts the client certificate again.'
          : 'Microsoft 365 accepts the client secret again.';
    case 'certificate-expiring':
      return `The client certificate with thumbprint ${notice.subject} is no longer the one in use: a new certificate replaced it.`;
    case 'consent-revoked':
      return 'Consent for Mail.Send is in place again.';
    case 'app-registration':
      return `The app registration's ${step && isGuideStep(step) ? GUIDE_STEP_INFO[step].title : 'setting'} no longer refuses the sign-in${notice.diagnosis?.code ? ` (${notice.diagnosis.code} is gone)` : ''}.`;
    default:
      return 'The sign-in works again.';
  }
}

/** Subject, headline and fields for the one e-mail that says notices are over (the health template). */
export function healthResolvedEmailView(
  notices: readonly { kind: HealthNoticeKind; subject: string; diagnosis: StoredDiagnosis | null; firstSeenAt: number }[],
  evidence: string,
  id: string,
  now: number,
  timeZone?: string,
): Record<string, unknown> {
  const sentences = notices.map(fixedSentence);
  const since = Math.min(...notices.map((n) => n.firstSeenAt));
  return {
    id,
    generatedAt: formatTime(now, timeZone),
    timeZoneNote: timeZoneNote(timeZone),
    eyebrow: 'o365-notify · service health',
    accent: '#067647',
    subjectTag: 'Resolved',
    headline: notices.length === 1 ? sentences[0]!.replace(/\.$/, '') : 'The warnings about sending mail are over',
    message: `${sentences.join(' ')} How o365-notify knows: ${evidence}. The warning began at ${formatTime(since, timeZone)}; e-mails held back since then are sent now, nothing else needs doing.`,
    fix: '',
    cause: '',
    code: notices.map((n) => n.diagnosis?.code).filter(Boolean).join(', '),
    guideStep: '',
    where: '',
  };
}
