import type { StoredDiagnosis } from '../store/index.js';
import { GUIDE_STEP_INFO, isGuideStep } from '../diagnose/index.js';
import { formatTime } from './format.js';

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
  /** Admin consent for Mail.Send was revoked or is missing. */
  'consent-revoked',
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
  if (expires === null) return null;
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

/** The notice for a client secret expiring on `expiresOn` (YYYY-MM-DD), or null while it is far off. */
export function secretExpiryNotice(expiresOn: string, now: number): HealthNotice | null {
  const threshold = secretExpiryThreshold(expiresOn, now);
  if (threshold === null) return null;
  const days = Math.max(0, Math.ceil((secretExpiryInstant(expiresOn)! - now) / DAY_MS));
  const message =
    threshold === 'expired'
      ? `The client secret expired on ${expiresOn}. Sign-ins that use it fail until a new secret is entered.`
      : `The client secret expires on ${expiresOn}, in ${days} ${days === 1 ? 'day' : 'days'}. E-mails still go out; create a new secret before then so they keep going.`;
  return {
    kind: 'secret-expiring',
    subject: expiresOn,
    threshold,
    message,
    diagnosis: {
      code: threshold === 'expired' ? 'secret-expired' : 'secret-expiring',
      title: threshold === 'expired' ? 'Client secret expired' : 'Client secret expiring',
      cause: 'Client secrets in Entra ID have an Expires date chosen when they were added.',
      fix: `${GUIDE_STEP_INFO['client-secret'].fix} Then record its new Expires date with \`o365-notify setup --secret-expires YYYY-MM-DD\`.`,
      guideStep: 'client-secret',
    },
  };
}

/** Subject, headline and fields for a health notice e-mail. */
export function healthEmailView(notice: HealthNotice, id: string, now: number, timeZone?: string): Record<string, unknown> {
  const step = notice.diagnosis?.guideStep;
  const info = step && isGuideStep(step) ? GUIDE_STEP_INFO[step] : undefined;
  const headline =
    notice.kind === 'secret-expiring'
      ? notice.threshold === 'expired'
        ? 'The client secret has expired'
        : `The client secret expires in ${notice.threshold === '1d' ? '1 day' : notice.threshold === '7d' ? '7 days' : '30 days'}`
      : notice.kind === 'consent-revoked'
        ? 'Consent for sending mail was revoked'
        : 'The sign-in for sending mail needs renewal';
  return {
    id,
    generatedAt: formatTime(now, timeZone),
    eyebrow: 'o365-notify · service health',
    accent: '#b54708',
    subjectTag: 'Action needed',
    headline,
    message: notice.message,
    fix: notice.diagnosis?.fix || info?.fix || '',
    cause: notice.diagnosis?.cause ?? '',
    code: notice.diagnosis?.code ?? '',
    guideStep: info?.title ?? step ?? '',
    where: info?.where ?? '',
  };
}
