import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ADMIN_CONSENT_URL_PLACEHOLDER,
  catalog,
  findAadsts,
  findGraphCode,
  findHttpStatus,
  findOAuthError,
  GUIDE_STEP_INFO,
  GUIDE_STEPS,
  isGuideStep,
} from '../../src/diagnose/index.js';

// The codes issue 3 (section 4) and the emulator issue require, with the guide step each belongs to.
const REQUIRED_AADSTS: Record<string, string> = {
  50011: 'redirect-uri',
  500113: 'redirect-uri',
  700025: 'client-secret',
  7000218: 'public-client-flows',
  7000215: 'client-secret',
  7000222: 'client-secret',
  700016: 'client-id',
  90002: 'tenant-id',
  50194: 'account-type',
  9002331: 'account-type',
  50020: 'account-type',
  500200: 'account-type',
  65001: 'admin-consent',
  90094: 'admin-consent',
  700082: 'sign-in-again',
  50173: 'sign-in-again',
  70011: 'request',
  54005: 'sign-in-again',
  501481: 'request',
  50076: 'conditional-access',
  50079: 'conditional-access',
  53003: 'conditional-access',
  70043: 'conditional-access',
  70008: 'sign-in-again',
  50126: 'sign-in-again',
  50034: 'sign-in-again',
  700003: 'sign-in-again',
  70000: 'sign-in-again',
  90014: 'request',
  900144: 'request',
  50059: 'tenant-id',
  9002326: 'redirect-uri',
  900971: 'redirect-uri',
  9002332: 'account-type',
  90095: 'admin-consent',
};

const REQUIRED_GRAPH: Record<string, string> = {
  ErrorAccessDenied: 'api-permissions',
  NoPermissionsInAccessToken: 'api-permissions',
  Authorization_RequestDenied: 'api-permissions',
  InvalidAuthenticationToken: 'sign-in-again',
  MailboxNotEnabledForRESTAPI: 'mailbox',
  ErrorSendAsDenied: 'mailbox',
  ErrorInvalidRecipients: 'recipients',
  ErrorMessageSizeExceeded: 'message-size',
  ErrorQuotaExceeded: 'mailbox',
  ApplicationThrottled: 'throttling',
  ErrorItemNotFound: 'request',
};

describe('error catalog', () => {
  it('covers every AADSTS code the issues require, with the right guide step', () => {
    for (const [code, step] of Object.entries(REQUIRED_AADSTS)) {
      const entry = findAadsts(code);
      assert.ok(entry, `AADSTS${code} missing`);
      assert.equal(entry.guideStep, step, `AADSTS${code}`);
    }
  });

  it('covers every required Graph code, the device-code states and HTTP 413/429/503', () => {
    for (const [code, step] of Object.entries(REQUIRED_GRAPH)) {
      assert.equal(findGraphCode(code)?.guideStep, step, code);
    }
    assert.equal(findOAuthError('authorization_declined')?.guideStep, 'sign-in-again');
    assert.equal(findOAuthError('expired_token')?.guideStep, 'sign-in-again');
    assert.equal(findHttpStatus(413)?.guideStep, 'message-size');
    assert.equal(findHttpStatus(429)?.guideStep, 'throttling');
    assert.equal(findHttpStatus(503)?.guideStep, 'throttling');
    assert.equal(findHttpStatus(200), undefined);
  });

  it('has one entry per code and alias', () => {
    const seen = new Set<string>();
    for (const entry of catalog) {
      for (const code of [entry.code, ...(entry.aliases ?? [])]) {
        const key = `${entry.source === 'http' ? 'graph' : entry.source}:${code.toLowerCase()}`;
        assert.ok(!seen.has(key), `${code} appears twice`);
        seen.add(key);
      }
    }
  });

  it('gives every entry a valid guide step, Microsoft\'s text and advice in the portal\'s words', () => {
    for (const entry of catalog) {
      assert.ok(isGuideStep(entry.guideStep), `${entry.code}: ${entry.guideStep}`);
      for (const field of ['title', 'microsoftText', 'cause', 'fix'] as const) {
        assert.ok(entry[field].trim().length > 10, `${entry.code}.${field} is empty`);
      }
      if (entry.source === 'entra') assert.match(entry.code, /^AADSTS\d{5,8}$/);
      assert.doesNotMatch(entry.fix, /\{(?!adminConsentUrl\})[a-zA-Z]+\}/, `${entry.code}: unknown placeholder in fix`);
    }
    const portalFixes = catalog.filter((e) => /App registrations > \(your app\) >/.test(e.fix));
    assert.ok(portalFixes.length >= 15, 'fixes name the portal path');
  });

  it('puts the admin-consent URL into the fix of every consent error, and only there', () => {
    for (const entry of catalog) {
      assert.equal(entry.fix.includes(ADMIN_CONSENT_URL_PLACEHOLDER), entry.adminConsent === true, entry.code);
    }
    assert.ok(catalog.filter((e) => e.guideStep === 'admin-consent').every((e) => e.adminConsent));
  });

  it('uses every guide step at least once, and describes each step', () => {
    for (const step of GUIDE_STEPS) {
      assert.ok(catalog.some((e) => e.guideStep === step), `no entry for ${step}`);
      assert.ok(GUIDE_STEP_INFO[step].title && GUIDE_STEP_INFO[step].where && GUIDE_STEP_INFO[step].fix, step);
    }
    assert.equal(GUIDE_STEPS.length, 16);
    assert.equal(isGuideStep('sign-in-again'), true);
    assert.equal(isGuideStep('reboot'), false);
  });

  it('finds AADSTS codes with or without the prefix, Graph codes in any case', () => {
    assert.equal(findAadsts('AADSTS50011')?.code, 'AADSTS50011');
    assert.equal(findAadsts(50011)?.code, 'AADSTS50011');
    assert.equal(findAadsts('70019')?.code, 'AADSTS70020');
    assert.equal(findAadsts(99999), undefined);
    assert.equal(findGraphCode('erroraccessdenied')?.code, 'ErrorAccessDenied');
    assert.equal(findGraphCode('TooManyRequests')?.code, 'HTTP429');
  });
});
