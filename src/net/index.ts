export { createHttpsAgent, TransportAgent, type HttpsAgentOptions } from './agent.js';
export { proxyFor } from './proxy.js';
export { extraCaFromEnv, pemBlocks, secureContextCount, secureContextFor } from './trust.js';
export { openTunnel, ProxyError } from './tunnel.js';
