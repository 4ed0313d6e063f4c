import type { CatalogEntry } from '../catalog-types.js';
import { LOGIN } from './wording.js';

// The sign-in itself: sessions and refresh tokens that ended, wrong passwords, locked accounts, Conditional Access and MFA.
// Texts after Microsoft's "Microsoft Entra authentication and authorization error codes" page
// (learn.microsoft.com/entra/identity-platform/reference-error-codes) and the error_description
// values Entra ID sends; placeholders in braces.

export const signInEntries: readonly CatalogEntry[] = [
  // --- sign-in lost ------------------------------------------------------------------------------
  {
    code: 'AADSTS700082',
    source: 'entra',
    title: 'Sign-in expired after 90 quiet days',
    microsoftText:
      'The refresh token has expired due to inactivity. The token was issued on {issueDate} and was inactive for {time}.',
    cause:
      'The sign-in was not used for 90 days, so Microsoft expired the refresh token. o365-notify refreshes it on a schedule to prevent this; the service was probably stopped for a long time.',
    fix: `${LOGIN} Keep \`o365-notify serve\` running so the scheduled refresh keeps the sign-in alive.`,
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS50173',
    source: 'entra',
    title: 'Sign-in revoked',
    microsoftText:
      "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '{date}' and the TokensValidFrom date (before which tokens are not valid) for this user is '{date}'.",
    cause: 'The signed-in account\'s tokens were revoked: its password was changed or reset, or an administrator revoked its sessions.',
    fix: `${LOGIN} Use the current password.`,
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS70008',
    source: 'entra',
    title: 'Authorization code or refresh token expired',
    microsoftText:
      'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
    cause: 'The authorization code or the refresh token o365-notify presented is too old.',
    fix: LOGIN,
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS70000',
    source: 'entra',
    title: 'Sign-in grant not valid',
    microsoftText: "The provided value for the 'code' parameter is not valid.",
    cause:
      'The authorization code or refresh token o365-notify presented is not valid any more (already used, revoked, or issued for another app or other permissions).',
    fix: LOGIN,
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS700003',
    source: 'entra',
    title: 'Device of the sign-in removed',
    microsoftText: "Device object was not found in the tenant '{tenant}' directory.",
    cause: 'The sign-in was bound to a device that has been deleted or disabled in Microsoft Entra ID, so its refresh token no longer works.',
    fix: LOGIN,
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS54005',
    source: 'entra',
    title: 'Authorization code used twice',
    microsoftText:
      'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
    cause: 'The code from the browser sign-in was redeemed twice (the sign-in page was reloaded, or the request was repeated).',
    fix: `${LOGIN} If it happens again, report it: o365-notify should redeem each code once.`,
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS70020',
    source: 'entra',
    aliases: ['AADSTS70019'],
    title: 'Device code expired',
    microsoftText: "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
    cause: 'The code printed by `o365-notify login --device-code` was not entered at the sign-in page before it expired (about 15 minutes).',
    fix: 'Run `o365-notify login --device-code` again and enter the new code at the page it shows, promptly.',
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS50126',
    source: 'entra',
    title: 'Wrong user name or password',
    microsoftText: 'Error validating credentials due to invalid username or password.',
    cause: 'The user name or password typed at the Microsoft sign-in page was wrong.',
    fix: 'Run `o365-notify login` and sign in with the correct user name and password of the account that sends the notifications.',
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS50034',
    source: 'entra',
    title: 'Account not found in the tenant',
    microsoftText:
      'The user account {email} does not exist in the {tenant} directory. To sign into this application, the account must be added to the directory.',
    cause: 'The user name is mistyped, or the account is not in the tenant o365-notify signs in to (the Tenant ID).',
    fix:
      `Run \`o365-notify login\` with an account of the tenant (check the spelling). If the account is right, check the Tenant ID against App registrations > (your app) > Overview > Directory (tenant) ID.`,
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS50055',
    source: 'entra',
    title: 'Password expired',
    microsoftText: 'The password is expired.',
    cause: 'The password of the account that sends the notifications has expired.',
    fix: 'Change the account\'s password (at https://myaccount.microsoft.com or by an administrator), then run `o365-notify login`.',
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS50057',
    source: 'entra',
    title: 'Account disabled',
    microsoftText: 'The user account is disabled.',
    cause: 'The account used to sign in is disabled in Microsoft Entra ID.',
    fix: 'An administrator enables it (Microsoft Entra admin center > Users > (user) > Account enabled), or sign in with another account: `o365-notify login`.',
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS50053',
    source: 'entra',
    title: 'Account locked',
    microsoftText:
      'The account is locked because the user tried to sign in too many times with an incorrect user ID or password.',
    cause: 'Too many sign-ins with a wrong password (or from a suspicious address) locked the account for a while.',
    fix: 'Wait until the lock ends or ask an administrator to unlock the account, then run `o365-notify login` with the right password.',
    guideStep: 'sign-in-again',
  },

  // --- conditional access / MFA --------------------------------------------------------------
  {
    code: 'AADSTS50076',
    source: 'entra',
    title: 'Multifactor authentication required',
    microsoftText:
      "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{resource}'.",
    cause:
      'A Conditional Access policy, per-user MFA or security defaults require multifactor authentication, which a silent refresh cannot satisfy.',
    fix:
      'Run `o365-notify login` (browser sign-in) and complete the multifactor prompt. For an unattended service an administrator can exclude this app or the sending account from the policy (Microsoft Entra admin center > Protection > Conditional Access), or use app-only sending (`--auth app-only`).',
    guideStep: 'conditional-access',
  },
  {
    code: 'AADSTS50079',
    source: 'entra',
    title: 'Multifactor registration required',
    microsoftText:
      "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '{resource}'.",
    cause: 'The sending account must register multifactor authentication (security info) before it can sign in.',
    fix: 'Sign in once at https://aka.ms/mysecurityinfo with the sending account and add an authentication method, then run `o365-notify login`.',
    guideStep: 'conditional-access',
  },
  {
    code: 'AADSTS53003',
    source: 'entra',
    title: 'Blocked by Conditional Access',
    microsoftText:
      'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.',
    cause:
      'A Conditional Access policy of the tenant blocks this sign-in (for example device code flow is blocked, or the location or device is not trusted).',
    fix:
      'An administrator opens Microsoft Entra admin center > Monitoring & health > Sign-in logs, finds this sign-in, checks its Conditional Access tab and adjusts or excludes the policy. Or sign in another way: browser instead of device code (`o365-notify login`), or app-only sending.',
    guideStep: 'conditional-access',
  },
  {
    code: 'AADSTS530035',
    source: 'entra',
    title: 'Blocked by security defaults',
    microsoftText:
      'Access has been blocked by security defaults. This is due to the request using legacy auth or being deemed unsafe by security defaults policies.',
    cause: 'The tenant\'s security defaults judged this sign-in unsafe.',
    fix:
      'Run `o365-notify login` (browser sign-in) and complete the multifactor prompt; an administrator can review the sign-in under Microsoft Entra admin center > Monitoring & health > Sign-in logs.',
    guideStep: 'conditional-access',
  },
  {
    code: 'AADSTS530003',
    source: 'entra',
    title: 'Device must be managed (Conditional Access)',
    microsoftText: 'Your device is required to be managed to access this resource.',
    cause: 'A Conditional Access policy requires a compliant or Microsoft Entra joined device, and the computer running o365-notify is not one.',
    fix:
      'An administrator excludes this app or the sending account from the device condition (Microsoft Entra admin center > Protection > Conditional Access > (policy) > Grant), or enrolls this computer in Intune; or use app-only sending (`--auth app-only`), which device policies do not apply to. Then run `o365-notify login`.',
    guideStep: 'conditional-access',
  },
  {
    code: 'AADSTS530033',
    source: 'entra',
    title: 'Device code sign-in blocked (Conditional Access)',
    microsoftText: 'Access has been blocked by Conditional Access policies: the device code flow is blocked for this user or application.',
    cause: 'A Conditional Access policy blocks the device code flow (Authentication flows condition) for this account or app.',
    fix:
      'Sign in with the browser instead: `o365-notify login` (no --device-code). Or an administrator excludes this app from the policy (Microsoft Entra admin center > Protection > Conditional Access > (policy) > Conditions > Authentication flows).',
    guideStep: 'conditional-access',
  },
  {
    code: 'AADSTS70043',
    source: 'entra',
    title: 'Sign-in frequency limit reached',
    microsoftText:
      'The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on {issueDate} and the maximum allowed lifetime for this request is {time}.',
    cause: 'A Conditional Access sign-in frequency control limits how long a sign-in lasts; a scheduled refresh cannot extend it.',
    fix:
      'Run `o365-notify login` again. To stop it recurring, an administrator excludes this app or the sending account from the sign-in frequency session control (Microsoft Entra admin center > Protection > Conditional Access > (policy) > Session), or use app-only sending.',
    guideStep: 'conditional-access',
  },

];
