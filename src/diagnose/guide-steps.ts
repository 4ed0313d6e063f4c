/**
 * The steps of the guide (guide/office365-account-configuration.txt), plus the steps of running
 * the product, that a diagnosis can point to. Every error in the catalog names exactly one.
 */
export const GUIDE_STEPS = [
  'account-type',
  'client-id',
  'tenant-id',
  'client-secret',
  'redirect-uri',
  'public-client-flows',
  'api-permissions',
  'admin-consent',
  'sign-in-again',
  'conditional-access',
  'mailbox',
  'recipients',
  'message-size',
  'throttling',
  'network',
  'request',
] as const;

export type GuideStep = (typeof GUIDE_STEPS)[number];

export interface GuideStepInfo {
  /** Short name, as a heading. */
  title: string;
  /** Where the setting lives, in the Azure portal's words (or the product's command). */
  where: string;
  /** What to do when an error points here but has no more specific advice. */
  fix: string;
}

export const GUIDE_STEP_INFO: Readonly<Record<GuideStep, GuideStepInfo>> = {
  'account-type': {
    title: 'Supported account types',
    where: 'App registrations > (your app) > Authentication > Supported account types',
    fix:
      'Make the app\'s Supported account types (App registrations > (your app) > Authentication) and the account type in `o365-notify setup` agree: Single tenant, Multitenant, or Multitenant and personal Microsoft accounts. Personal Microsoft accounts only is not supported.',
  },
  'client-id': {
    title: 'Client ID',
    where: 'App registrations > (your app) > Overview > Application (client) ID',
    fix:
      'In the Azure portal open App registrations > (your app) > Overview, copy the Application (client) ID and enter it as the Client ID with `o365-notify setup`.',
  },
  'tenant-id': {
    title: 'Tenant ID',
    where: 'App registrations > (your app) > Overview > Directory (tenant) ID',
    fix:
      'In the Azure portal open App registrations > (your app) > Overview, copy the Directory (tenant) ID and enter it as the Tenant ID with `o365-notify setup` (leave it blank only for Multitenant and personal Microsoft accounts).',
  },
  'client-secret': {
    title: 'Client secret',
    where: 'App registrations > (your app) > Certificates & secrets > Client secrets',
    fix:
      'In the Azure portal open App registrations > (your app) > Certificates & secrets > Client secrets > New client secret, click Add, copy the Value (not the Secret ID) and enter it with `o365-notify setup`.',
  },
  'redirect-uri': {
    title: 'Redirect URI (Mobile and desktop applications)',
    where: 'App registrations > (your app) > Authentication > Platform configurations',
    fix:
      'In the Azure portal open App registrations > (your app) > Authentication > Add a platform > Mobile and desktop applications, enter http://localhost (or http://localhost:PORT when o365-notify uses a fixed port) under Custom redirect URIs, then click Configure.',
  },
  'public-client-flows': {
    title: 'Allow public client flows',
    where: 'App registrations > (your app) > Authentication > Advanced settings',
    fix:
      'In the Azure portal open App registrations > (your app) > Authentication > Advanced settings and set Allow public client flows = Yes, then Save.',
  },
  'api-permissions': {
    title: 'Microsoft Graph API permission Mail.Send',
    where: 'App registrations > (your app) > API permissions',
    fix:
      'In the Azure portal open App registrations > (your app) > API permissions > Add a permission > Microsoft Graph > Delegated permissions, check Mail.Send and click Add permissions; then sign in again with `o365-notify login`.',
  },
  'admin-consent': {
    title: 'Admin consent',
    where: 'App registrations > (your app) > API permissions > Grant admin consent',
    fix:
      'An administrator of the tenant grants consent: App registrations > (your app) > API permissions > Grant admin consent, or the admin-consent URL https://login.microsoftonline.com/<Tenant ID>/adminconsent?client_id=<Client ID>.',
  },
  'sign-in-again': {
    title: 'Sign in again',
    where: '`o365-notify login`',
    fix: 'Run `o365-notify login` and sign in with the account that sends the notifications.',
  },
  'conditional-access': {
    title: 'Conditional Access and multifactor authentication',
    where: 'Microsoft Entra admin center > Protection > Conditional Access (the tenant\'s policies)',
    fix:
      'Sign in interactively with `o365-notify login` and complete what the policy asks; an administrator can review the sign-in under Microsoft Entra admin center > Monitoring & health > Sign-in logs and adjust the policy.',
  },
  mailbox: {
    title: 'The sending mailbox',
    where: 'Microsoft 365 admin center > Users > Active users (licence) / Exchange admin center > Recipients > Mailboxes',
    fix:
      'Make sure the sending account has an Exchange Online mailbox (a licence that includes Exchange Online) and the right to send from the address used.',
  },
  recipients: {
    title: 'Recipients',
    where: '`o365-notify setup --to ...` and the notification rules',
    fix: 'Correct the recipient addresses in the settings (`o365-notify setup --to ...`) or in the rule that sent the message.',
  },
  'message-size': {
    title: 'Message size and attachments',
    where: 'Message and attachment sizes (Graph: 4 MB per request; larger attachments need an upload session)',
    fix: 'Send smaller attachments, or let o365-notify upload large ones in pieces (needs the Delegated permission Mail.ReadWrite).',
  },
  throttling: {
    title: 'Microsoft 365 service limits',
    where: 'Graph and Exchange Online limits (per app and mailbox)',
    fix: 'Nothing to change in the portal: wait for the time Microsoft asks (Retry-After); o365-notify retries by itself. If it happens often, send fewer messages per minute.',
  },
  network: {
    title: 'The network: proxy, TLS inspection, firewall, DNS',
    where: 'The environment of o365-notify: HTTPS_PROXY, NO_PROXY, NODE_EXTRA_CA_CERTS (docs/network.md)',
    fix: 'Make sure this machine reaches https://login.microsoftonline.com and https://graph.microsoft.com on port 443: set HTTPS_PROXY if the network needs a proxy, and NODE_EXTRA_CA_CERTS to the company CA if it inspects TLS (docs/network.md).',
  },
  request: {
    title: 'Not a setting: a defect in the request',
    where: 'o365-notify itself',
    fix: 'No setting causes this: try again, and if it persists report it with the output of `o365-notify explain`.',
  },
};

export function isGuideStep(value: unknown): value is GuideStep {
  return typeof value === 'string' && (GUIDE_STEPS as readonly string[]).includes(value);
}
