import { Agent, type AgentOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions, type SecureContext } from 'node:tls';
import { proxyFor } from './proxy.js';
import { secureContextFor } from './trust.js';
import { openTunnel } from './tunnel.js';

/**
 * The one way o365-notify speaks HTTPS to Entra ID and Graph (the Graph client and msal-node's
 * network client): an https.Agent whose connections all share one SecureContext (see trust.ts),
 * that goes through HTTPS_PROXY with CONNECT unless NO_PROXY says otherwise, and that always
 * verifies the server's certificate against the host name.
 */

export interface HttpsAgentOptions {
  /** Extra CA certificate(s), PEM (the emulator's): trusted in addition to the public roots. */
  ca?: string | Buffer | (string | Buffer)[];
  /** Where HTTPS_PROXY, NO_PROXY and NODE_EXTRA_CA_CERTS are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  keepAlive?: boolean;
  maxSockets?: number;
  /** How long to wait for the proxy's answer to CONNECT (default 30 s). */
  proxyTimeoutMs?: number;
}

type ConnectCallback = (err: Error | null, socket?: Duplex) => void;

export class TransportAgent extends Agent {
  readonly secureContext: SecureContext;

  constructor(private readonly settings: HttpsAgentOptions = {}) {
    const secureContext = secureContextFor(settings.ca, settings.env ?? process.env);
    const options: AgentOptions = { keepAlive: settings.keepAlive ?? true, maxSockets: settings.maxSockets ?? 16, secureContext, rejectUnauthorized: true };
    super(options);
    this.secureContext = secureContext;
  }

  /** node's Agent accepts a callback-style createConnection (used for the asynchronous tunnel). */
  override createConnection(options: ConnectionOptions & { host?: string; port?: number }, callback: ConnectCallback): Duplex | undefined {
    const host = options.host ?? 'localhost';
    const port = Number(options.port ?? 443);
    const tls: ConnectionOptions = { ...options, secureContext: this.secureContext, rejectUnauthorized: true, servername: options.servername || host };
    const proxy = proxyFor(new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`), this.settings.env ?? process.env);
    if (!proxy) return tlsConnect(tls);
    openTunnel(proxy, host, port, this.settings.proxyTimeoutMs ?? 30_000).then(
      (socket) => {
        const secure = tlsConnect({ ...tls, socket });
        callback(null, secure);
      },
      (err: Error) => callback(err),
    );
    return undefined;
  }
}

/** The agent for one target (a Graph client, an Entra sign-in session). */
export function createHttpsAgent(options: HttpsAgentOptions = {}): TransportAgent {
  return new TransportAgent(options);
}
