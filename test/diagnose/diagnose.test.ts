import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InteractionRequiredAuthError, ServerError } from '@azure/msal-node';
import { diagnose, formatDiagnosis, parseRawError, parseRetryAfter } from '../../src/diagnose/index.js';

const CLIENT_ID = 'f1e2d3c4-b5a6-4789-8abc-def012345678';
const TENANT_ID = 'aaaabbbb-0000-cccc-1111-dddd2222eeee';
const TRAILER = '\r\nTrace ID: 0000aaaa-11bb-cccc-dd33-eeeeee333333\r\nCorrelation ID: aaaa0000-bb11-2222-33cc-444444dddddd\r\nTimestamp: 2025-03-14 09:26:53Z';
const CONSENT_65001 = `AADSTS65001: The user or administrator has not consented to use the application with ID '${CLIENT_ID}' named 'ImageManager'. Send an interactive authorization request for this user and resource.`;

function entraBody(error: string, code: number, text: string) {
  return { error, error_description: `AADSTS${code}: ${text}${TRAILER}`, error_codes: [code], timestamp: '2025-03-14 09:26:53Z' };
}

describe('diagnose: unknown and unrecognisable input', () => {
  it('keeps the code and Microsoft\'s description of an AADSTS code it does not know', () => {
    const d = diagnose(entraBody('invalid_request', 9999991, 'A brand new failure nobody has documented yet.'));
    assert.ok(d);
    assert.equal(d.code, 'AADSTS9999991');
    assert.equal(d.known, false);
    assert.equal(d.description, 'AADSTS9999991: A brand new failure nobody has documented yet.');
    assert.match(d.cause, /A brand new failure nobody has documented yet/);
    assert.match(d.fix, /login\.microsoftonline\.com\/error\?code=9999991/);
    // The OAuth error still points at a guide step.
    assert.equal(d.guideStep, 'request');
    assert.match(formatDiagnosis(d), /best guess/);
  });

  it('uses the OAuth error of an unknown AADSTS code as a hint', () => {
    const d = diagnose(entraBody('invalid_grant', 5555555, 'Something about the grant.'));
    assert.equal(d?.code, 'AADSTS5555555');
    assert.equal(d?.guideStep, 'sign-in-again');
    assert.match(d!.fix, /o365-notify login/);
  });

  it('keeps an unknown Graph code and its message, with a guide step from the status', () => {
    const d = diagnose({ status: 403, body: { error: { code: 'ErrorSomethingNew', message: 'Nope.' } } });
    assert.equal(d?.code, 'ErrorSomethingNew');
    assert.equal(d?.known, false);
    assert.equal(d?.description, 'Nope.');
    assert.equal(d?.guideStep, 'api-permissions');
  });

  it('returns null for garbage, empty input and unrelated errors', () => {
    for (const input of [
      '',
      '   ',
      'hello world',
      'TypeError: Cannot read properties of undefined (reading \'foo\')\n    at Object.<anonymous> (/app/x.js:1:1)',
      '{"ok":true}',
      '{not json',
      'status 200 OK',
      null,
      undefined,
      42,
      { foo: 'bar' },
      [],
      // Network failures (ECONNREFUSED, ETIMEDOUT, TLS) have entries now: test/net/diagnosis.test.ts.
    ]) {
      assert.equal(diagnose(input), null, JSON.stringify(input));
    }
    assert.equal(parseRawError('nothing to see here'), null);
  });

  it('never returns a stack trace, only Microsoft\'s text', () => {
    const err = new Error(`invalid_grant: AADSTS700082: The refresh token has expired due to inactivity.${TRAILER}`);
    const d = diagnose(err);
    assert.equal(d?.code, 'AADSTS700082');
    const text = formatDiagnosis(d!) + JSON.stringify(d);
    assert.doesNotMatch(text, /\bat .+\(.+:\d+:\d+\)/);
    assert.doesNotMatch(text, /Trace ID/);
  });

  it('does not echo tokens or secrets that came with a pasted log line', () => {
    const jwt = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJlc2lnbmF0dXJl';
    const line = `AADSTS9999992: odd failure for client_secret=Sup3r~Secret.Value refresh_token=0.AXYZabc Authorization: Bearer ${jwt} done`;
    const d = diagnose(line);
    assert.ok(d);
    const text = JSON.stringify(d) + formatDiagnosis(d);
    assert.doesNotMatch(text, /Sup3r~Secret/);
    assert.doesNotMatch(text, /0\.AXYZabc/);
    assert.doesNotMatch(text, /eyJ0eXAi/);
    assert.match(text, /client_secret=\[redacted\]/);
  });

  it('stays fast on a large log without any code', () => {
    const big = `${'x{"a":'.repeat(20000)} no error here`;
    assert.equal(diagnose(big), null);
  });
});

describe('diagnose: admin consent', () => {
  it('builds the admin-consent URL for the tenant from the context', () => {
    const d = diagnose(CONSENT_65001, { tenantId: TENANT_ID, clientId: CLIENT_ID });
    const url = `https://login.microsoftonline.com/${TENANT_ID}/adminconsent?client_id=${CLIENT_ID}`;
    assert.equal(d?.adminConsentUrl, url);
    assert.ok(d?.fix.includes(url), d?.fix);
    assert.match(formatDiagnosis(d!), new RegExp(`Admin consent URL: ${url.replace(/[?.]/g, '\\$&')}`));
  });

  it('uses the emulator\'s authority host when given', () => {
    const d = diagnose({ error: 'invalid_grant', error_description: 'AADSTS90094: The grant requires admin permission.', error_codes: [90094] }, {
      tenantId: 'contoso.onmicrosoft.com',
      clientId: CLIENT_ID,
      authorityHost: 'https://127.0.0.1:8443/',
    });
    assert.equal(d?.code, 'AADSTS90094');
    assert.equal(d?.adminConsentUrl, `https://127.0.0.1:8443/contoso.onmicrosoft.com/adminconsent?client_id=${CLIENT_ID}`);
  });

  it('takes the Client ID from Microsoft\'s text and falls back to organizations without a Tenant ID', () => {
    const d = diagnose(CONSENT_65001);
    assert.equal(d?.adminConsentUrl, `https://login.microsoftonline.com/organizations/adminconsent?client_id=${CLIENT_ID}`);
  });

  it('shows the URL template when the Client ID is unknown', () => {
    const d = diagnose('AADSTS90095: Admin consent is required for the permissions requested by this application.');
    assert.equal(d?.guideStep, 'admin-consent');
    assert.equal(d?.adminConsentUrl, undefined);
    assert.ok(d?.fix.includes('https://login.microsoftonline.com/<Tenant ID>/adminconsent?client_id=<Client ID>'), d?.fix);
  });

  it('gives no admin-consent URL for errors that are not about consent', () => {
    const d = diagnose('AADSTS7000218: The request body must contain the following parameter: \'client_assertion\' or \'client_secret\'.', {
      tenantId: TENANT_ID,
      clientId: CLIENT_ID,
    });
    assert.equal(d?.adminConsentUrl, undefined);
    assert.doesNotMatch(d!.fix, /adminconsent/);
  });
});

describe('diagnose: input shapes and precedence', () => {
  it('reads msal-node ServerError and InteractionRequiredAuthError objects', () => {
    const errString = `Error(s): 7000218 - Timestamp: 2025-03-14 09:26:53Z - Description: AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.${TRAILER} - Correlation ID: x - Trace ID: y`;
    const server = new ServerError('invalid_client', 'corr', errString, '', '7000218', 401);
    const d = diagnose(server);
    assert.equal(d?.code, 'AADSTS7000218');
    assert.equal(d?.guideStep, 'public-client-flows');
    assert.equal(d?.httpStatus, 401);

    const interaction = new InteractionRequiredAuthError('invalid_grant', 'corr', `AADSTS50173: The provided grant has expired due to it being revoked.${TRAILER}`, '', '', '', '', '50173');
    assert.equal(diagnose(interaction)?.code, 'AADSTS50173');
  });

  it('reads the device-code path where msal-node keeps only the OAuth error', () => {
    const d = diagnose(new ServerError('post_request_failed', 'corr', 'invalid_client'));
    assert.equal(d?.code, 'invalid_client');
    assert.equal(d?.guideStep, 'public-client-flows');
    // With the raw body captured by the network client, the AADSTS code wins.
    const withCause = Object.assign(new Error('post_request_failed: invalid_client'), {
      cause: { status: 401, body: JSON.stringify(entraBody('invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")) },
    });
    assert.equal(diagnose(withCause)?.code, 'AADSTS7000218');
  });

  it('lets the device-code end state win over the AADSTS code that comes with it', () => {
    const d = diagnose(entraBody('authorization_declined', 70000, 'The user denied the request.'));
    assert.equal(d?.code, 'authorization_declined');
    assert.equal(d?.guideStep, 'sign-in-again');
  });

  it('prefers the first known AADSTS code of error_codes', () => {
    const d = diagnose({ error: 'invalid_grant', error_description: 'AADSTS9999993: unknown wrapper', error_codes: [9999993, 50076] });
    assert.equal(d?.code, 'AADSTS50076');
  });

  it('prefers a known Graph code to the bare HTTP status, and keeps Retry-After', () => {
    const headers = new Headers({ 'Retry-After': '12', 'content-type': 'application/json' });
    const d = diagnose({
      status: 429,
      headers,
      body: { error: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' } },
    });
    assert.equal(d?.code, 'ApplicationThrottled');
    assert.equal(d?.retryAfterSeconds, 12);
    assert.match(d!.cause, /wait 12 seconds/);
    assert.match(formatDiagnosis(d!), /Retry after: 12 seconds/);
  });

  it('falls back to the HTTP status when the Graph code is unknown', () => {
    const d = diagnose({ status: 503, headers: { 'retry-after': ['4'] }, body: { error: { code: 'UnknownError', message: '' } } });
    assert.equal(d?.code, 'HTTP503');
    assert.equal(d?.retryAfterSeconds, 4);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(parseRetryAfter('30'), 30);
    const now = Date.parse('2025-03-14T09:00:00Z');
    assert.equal(parseRetryAfter('Fri, 14 Mar 2025 09:01:30 GMT', now), 90);
    assert.equal(parseRetryAfter('Fri, 14 Mar 2025 08:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
  });

  it('adds the account type of the settings to the cause where it explains the error', () => {
    const text = `AADSTS50194: Application '${CLIENT_ID}'(ImageManager) is not configured as a multi-tenant application.`;
    const d = diagnose(text, { accountType: 'multi-tenant' });
    assert.equal(d?.guideStep, 'account-type');
    assert.match(d!.cause, /settings say Multitenant, but the registration is Single tenant/);
    assert.doesNotMatch(diagnose(text)!.cause, /settings say/);
  });

  it('names the redirect URI the sign-in used', () => {
    const d = diagnose(`AADSTS50011: The redirect URI 'http://localhost:53817' specified in the request does not match the redirect URIs configured for the application '${CLIENT_ID}'.`);
    assert.match(d!.cause, /The sign-in used http:\/\/localhost:53817\./);
    assert.match(d!.fix, /Add a platform > Mobile and desktop applications/);
  });

  it('points a missing client_id to the Client ID step, other missing parameters to the request', () => {
    assert.equal(diagnose("AADSTS900144: The request body must contain the following parameter: 'client_id'.")?.guideStep, 'client-id');
    assert.equal(diagnose("AADSTS90014: The request body must contain the following parameter: 'client_id'.")?.guideStep, 'client-id');
    assert.equal(diagnose("AADSTS900144: The request body must contain the following parameter: 'grant_type'.")?.guideStep, 'request');
  });

  it('parses the fields of an msal-node message', () => {
    const raw = parseRawError(`invalid_client: Error(s): 7000215 - Timestamp: 2025-03-14 09:26:53Z - Description: AADSTS7000215: Invalid client secret provided.${TRAILER} - Correlation ID: c - Trace ID: t`);
    assert.deepEqual(raw?.aadstsCodes, ['7000215']);
    assert.equal(raw?.oauthError, 'invalid_client');
    assert.equal(raw?.description, 'AADSTS7000215: Invalid client secret provided.');
  });
});
