import type { CatalogEntry } from './catalog-types.js';

/**
 * What a corporate network does to HTTPS to Entra ID and Graph (issue 10.10): a proxy that must be
 * used, a TLS-inspecting proxy whose CA is not trusted, a firewall, DNS. The codes are Node's
 * (OpenSSL's verify errors and the system's errno names); `microsoftText` holds Node's message.
 */

const PROXY_FIX =
  'If this network needs a proxy, set HTTPS_PROXY=http://proxy.contoso.com:8080 (http://user:password@host:port if it asks for a sign-in) in the environment of o365-notify (the service\'s too), and NO_PROXY for hosts that go direct; see docs/network.md.';

const TLS_CAUSE =
  'The certificate the server presented for login.microsoftonline.com or graph.microsoft.com was not issued by a CA this machine trusts. On a company network this is almost always a proxy that inspects TLS (Zscaler, Palo Alto, Fortinet, Blue Coat, ...) and re-signs the traffic with the company\'s own CA. It can also be a wrong system clock, or an emulator whose CA was not given. o365-notify never turns certificate checks off.';

const TLS_FIX =
  'Get the company\'s TLS inspection CA certificate (PEM, "-----BEGIN CERTIFICATE-----") from the network team, or export it from a browser on this network (the top certificate of https://login.microsoftonline.com), and set NODE_EXTRA_CA_CERTS=/path/to/ca.pem in the environment of o365-notify (the service\'s too). Or ask for login.microsoftonline.com and graph.microsoft.com to be excluded from inspection. Check the system clock. See docs/network.md.';

export const networkEntries: readonly CatalogEntry[] = [
  {
    code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    source: 'network',
    aliases: ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT'],
    title: 'Server certificate not trusted (TLS inspection?)',
    microsoftText: 'unable to verify the first certificate',
    cause: TLS_CAUSE,
    fix: TLS_FIX,
    guideStep: 'network',
  },
  {
    code: 'SELF_SIGNED_CERT_IN_CHAIN',
    source: 'network',
    aliases: ['DEPTH_ZERO_SELF_SIGNED_CERT'],
    title: 'Self-signed certificate in the chain (TLS inspection?)',
    microsoftText: 'self-signed certificate in certificate chain',
    cause: TLS_CAUSE,
    fix: TLS_FIX,
    guideStep: 'network',
  },
  {
    code: 'CERT_HAS_EXPIRED',
    source: 'network',
    aliases: ['CERT_NOT_YET_VALID'],
    title: 'Server certificate outside its validity (system clock?)',
    microsoftText: 'certificate has expired',
    cause: 'The server certificate is expired or not yet valid by this machine\'s clock. Microsoft\'s certificates are renewed well before they expire, so the clock of this machine is usually wrong, or a TLS-inspecting proxy presents an old certificate.',
    fix: 'Correct the system clock (enable time synchronisation: `timedatectl set-ntp true`, or Windows Settings > Time & language > Set time automatically). If the clock is right, tell the network team that their TLS inspection presents an expired certificate.',
    guideStep: 'network',
  },
  {
    code: 'ETIMEDOUT',
    source: 'network',
    aliases: ['ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT'],
    title: 'No answer from Microsoft (firewall or proxy needed?)',
    microsoftText: 'connect ETIMEDOUT',
    cause: 'The connection to login.microsoftonline.com or graph.microsoft.com on port 443 got no answer. On a company server this usually means outgoing HTTPS is blocked by a firewall and must go through a proxy, or the firewall drops the traffic silently. A short outage at Microsoft looks the same; the service tries again by itself.',
    fix: `${PROXY_FIX} Otherwise ask for outgoing HTTPS (TCP 443) to login.microsoftonline.com and graph.microsoft.com to be allowed.`,
    guideStep: 'network',
  },
  {
    code: 'ECONNREFUSED',
    source: 'network',
    title: 'Connection refused',
    microsoftText: 'connect ECONNREFUSED',
    cause: 'Something at the address answered that nothing listens there. For Microsoft\'s hosts this means the traffic does not reach Microsoft: a proxy given in HTTPS_PROXY is not running or has another port, a firewall rejects the connection, or the emulator (O365_NOTIFY_EMULATOR) is not running.',
    fix: `Check the address in the message. If it is the proxy, correct HTTPS_PROXY (ask the network team for its host and port). If it is the emulator, start it (\`o365-notify emulator\`). ${PROXY_FIX}`,
    guideStep: 'network',
  },
  {
    code: 'ENOTFOUND',
    source: 'network',
    aliases: ['EAI_AGAIN'],
    title: 'Host name not found (DNS, or a proxy needed?)',
    microsoftText: 'getaddrinfo ENOTFOUND login.microsoftonline.com',
    cause: 'This machine cannot resolve the host name. Servers on a locked-down network often have no public DNS at all and reach the internet only through a proxy, which resolves the names itself; or the DNS server is down, or a host name was mistyped (a proxy\'s, or the emulator\'s).',
    fix: `${PROXY_FIX} Otherwise check the DNS settings (\`nslookup login.microsoftonline.com\`) and the host names in HTTPS_PROXY and O365_NOTIFY_EMULATOR.`,
    guideStep: 'network',
  },
  {
    code: 'EPROXYAUTH',
    source: 'network',
    title: 'The proxy wants a user name and password',
    microsoftText: 'the proxy refused CONNECT: "HTTP/1.1 407 Proxy Authentication Required"',
    cause: 'The proxy in HTTPS_PROXY answered 407 Proxy Authentication Required: it accepts only signed-in users.',
    fix: 'Put the proxy account in the address: HTTPS_PROXY=http://user:password@proxy.contoso.com:8080 (percent-encode special characters, e.g. @ as %40), or ask the network team to allow this server without a sign-in. Proxies that accept only Windows (NTLM/Kerberos) sign-in need an exception for login.microsoftonline.com and graph.microsoft.com.',
    guideStep: 'network',
  },
];

/** The code in an error's text: Node's own message for it, or the code itself. */
const PHRASES: readonly [RegExp, string][] = [
  [/unable to verify the first certificate/i, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
  [/unable to get local issuer certificate/i, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
  [/self[- ]signed certificate in certificate chain/i, 'SELF_SIGNED_CERT_IN_CHAIN'],
  [/certificate has expired/i, 'CERT_HAS_EXPIRED'],
  [/407 Proxy Authentication Required/i, 'EPROXYAUTH'],
];
const CODES = new RegExp(`\\b(${networkEntries.flatMap((e) => [e.code, ...(e.aliases ?? [])]).join('|')})\\b`);

export function networkCodeInText(text: string): string | undefined {
  for (const [pattern, code] of PHRASES) if (pattern.test(text)) return code;
  return CODES.exec(text)?.[1];
}
