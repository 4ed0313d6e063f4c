import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  ConfidentialClientApplication,
  LogLevel,
  PublicClientApplication,
  type Configuration,
  type INetworkModule,
} from '@azure/msal-node';
import { authorityFor, resolveHome, loadSettings, usesEmulator, type Settings } from '../config/index.js';
import { openSecretStore, type ClientCertificate, type SecretStore } from '../secrets/index.js';
import { loadAuthorityMetadata, recordAuthorityMetadata, type MsalAuthorityOptions } from './authority-metadata.js';
import { encryptedCachePlugin, tokenCachePlugin } from './cache-plugin.js';
import { fileAuthState, type AuthStateStore, type SharedAuthStorage } from './token-cache-port.js';
import { createNetworkClient, type RawErrorCapture } from './network-client.js';

/**
 * Everything a sign-in or token request needs, built once per process from the settings:
 * the msal-node applications (public and, when a secret is set, confidential) sharing one
 * encrypted token cache, and a network client that records raw error bodies.
 */
export interface AuthSession {
  home: string;
  settings: Settings;
  secrets: SecretStore;
  /** Raw Entra error bodies seen on the wire (msal-node drops AADSTS codes on some paths). */
  errors: RawErrorCapture;
  /** The HTTPS client msal uses (trusting the emulator's CA only when it is the target). */
  network: INetworkModule;
  /** The sign-in state: <home>/auth-state.json, or the instances' shared row (sharedAuth). */
  authState: AuthStateStore;
  /** Set when the sign-in is shared by several instances (the store on PostgreSQL). */
  sharedAuth?: SharedAuthStorage;
  publicClient(): PublicClientApplication;
  /** Undefined when no client secret is configured. */
  confidentialClient(): Promise<ConfidentialClientApplication | undefined>;
}

export interface OpenSessionOptions {
  home?: string;
  env?: NodeJS.ProcessEnv;
  /** Settings already loaded (e.g. by the service); default: read from the home dir. */
  settings?: Settings;
  secrets?: SecretStore;
  /** msal's own log lines (never PII: piiLoggingEnabled stays false). */
  log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string) => void;
  /** The sign-in shared by several instances (issue 16.5); default: the home's file cache and state. */
  sharedAuth?: SharedAuthStorage;
}

/** The emulator's CA is trusted only when the emulator is the configured target. */
export async function trustedCa(settings: Settings): Promise<string | undefined> {
  if (!usesEmulator(settings) || !settings.endpoints.emulatorCa) return undefined;
  return readFile(settings.endpoints.emulatorCa, 'utf8');
}

function msalConfiguration(
  settings: Settings,
  network: INetworkModule,
  cachePlugin: Configuration['cache'],
  log: OpenSessionOptions['log'],
  metadata: MsalAuthorityOptions,
): Configuration {
  const authority = authorityFor(settings);
  return {
    auth: {
      clientId: settings.account.clientId ?? '',
      authority,
      // msal-node validates authorities against Microsoft's cloud list; the emulator is declared instead.
      knownAuthorities: usesEmulator(settings) ? [new URL(authority).host] : [],
      // Kept in the home (authority-metadata.ts): no discovery request in every CLI process.
      ...metadata,
    },
    cache: cachePlugin,
    system: {
      networkClient: network,
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: LogLevel.Warning,
        loggerCallback: (level, message) => {
          if (!log) return;
          log(level === LogLevel.Error ? 'error' : level === LogLevel.Warning ? 'warn' : 'debug', message);
        },
      },
    },
  };
}

export async function openAuthSession(options: OpenSessionOptions = {}): Promise<AuthSession> {
  const env = options.env ?? process.env;
  const home = resolveHome(options.home, env);
  const settings = options.settings ?? (await loadSettings(home, env));
  const secrets = options.secrets ?? (await openSecretStore(home, env));
  // Incomplete account settings fail later, where the clients are built, with their own message.
  let authority: string | undefined;
  try {
    authority = authorityFor(settings);
  } catch {
    authority = undefined;
  }
  const metadata = authority ? await loadAuthorityMetadata(home, authority) : {};
  const recorder = authority && !metadata.authorityMetadata ? recordAuthorityMetadata(home, authority) : undefined;
  const { client, capture } = createNetworkClient({ ca: await trustedCa(settings), onResponse: recorder?.observe });
  const shared = options.sharedAuth;
  const cache = { cachePlugin: shared ? tokenCachePlugin(shared.tokenCache) : encryptedCachePlugin(secrets) };
  let pca: PublicClientApplication | undefined;
  let cca: ConfidentialClientApplication | undefined | null;
  return {
    home,
    settings,
    secrets,
    errors: capture,
    network: client,
    authState: shared?.authState ?? fileAuthState(home),
    sharedAuth: shared,
    publicClient() {
      pca ??= new PublicClientApplication(msalConfiguration(settings, client, cache, options.log, metadata));
      return pca;
    },
    async confidentialClient() {
      if (cca === undefined) {
        // A certificate (`certificate create`) is Microsoft's recommendation for daemons: it wins over a secret.
        const certificate = await secrets.getClientCertificate();
        const secret = certificate ? undefined : await secrets.getClientSecret();
        const config = msalConfiguration(settings, client, cache, options.log, metadata);
        if (certificate) {
          cca = new ConfidentialClientApplication({ ...config, auth: { ...config.auth, clientCertificate: certificateCredential(certificate) } });
        } else if (secret) {
          cca = new ConfidentialClientApplication({ ...config, auth: { ...config.auth, clientSecret: secret } });
        } else cca = null;
      }
      return cca ?? undefined;
    },
  };
}

/**
 * msal-node's client certificate: a private_key_jwt assertion named by the certificate's SHA-256
 * thumbprint (x5t#S256, PS256), the certificate itself in x5c.
 * https://learn.microsoft.com/entra/msal/javascript/node/certificate-credentials
 */
export function certificateCredential(certificate: ClientCertificate): { thumbprintSha256: string; privateKey: string; x5c: string } {
  const thumbprintSha256 = new X509Certificate(certificate.certificatePem).fingerprint256.replace(/:/g, '').toLowerCase();
  return { thumbprintSha256, privateKey: certificate.privateKeyPem, x5c: certificate.certificatePem };
}
