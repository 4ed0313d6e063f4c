import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Clock } from './clock.js';
import { DEFAULT_BEHAVIOUR, DEFAULT_LIMITS, type EmulatorContext, type EndpointConfig, type EntraBehaviour, type GraphLimits } from './context.js';
import { registerControlRoutes } from './control/index.js';
import { Directory } from './directory.js';
import { AADSTS, aadsts, errorBody, setTokenHeaders, traceIds, type AadstsCode } from './entra/errors.js';
import { entraState, registerEntraRoutes } from './entra/index.js';
import { Faults, type FaultSpec } from './faults.js';
import { stampRequestIds } from './graph/errors.js';
import { exportDirectoryObjects, importDirectoryObjects } from './graph/applications.js';
import { registerGraphRoutes } from './graph/index.js';
import { applySeed, defaultSeed, type SeededSecret, type SeedFile } from './seed.js';
import { TokenSigner } from './signer.js';
import { Stats } from './stats.js';
import { readTenantFile, removeTenantFile, seedFingerprint, tenantFilePath, TenantFileWriter } from './tenant-file.js';
import { ensureTlsMaterial } from './tls.js';

export interface EmulatorOptions {
  /** Where the CA, the server certificate and the signing key live. */
  dataDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Directory contents; default: the demo seed. */
  seed?: SeedFile;
  /** Serve this certificate instead of the generated one. */
  tls?: { certPem: string; keyPem: string };
  limits?: Partial<GraphLimits>;
  behaviour?: Partial<EntraBehaviour>;
  /** Forget the tenant stored in the data dir and make a new one from the seed. */
  reset?: boolean;
}

export interface RunningEmulator {
  /** https://127.0.0.1:PORT */
  url: string;
  port: number;
  /** The CA that signed the server certificate (PEM), and where it is stored. */
  caPem: string;
  caPath: string;
  /** Client secret values created from the seed (shown once, as the portal does). */
  seededSecrets: SeededSecret[];
  /** The tenant came back from the data dir's tenant file (same ids, secrets, sign-ins); no secrets are shown again. */
  restored: boolean;
  /** Where the tenant is kept. */
  tenantFile: string;
  context: EmulatorContext;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Endpoint families answer faults in their own error shape. */
function faultAnswer(request: FastifyRequest, reply: FastifyReply, endpoint: string, fault: FaultSpec, nowMs: number): { status: number; body: unknown } {
  const status = fault.status ?? (fault.kind === 'throttle' ? 429 : fault.kind === 'errorAfter' ? 504 : 503);
  if (fault.retryAfterSeconds !== undefined) reply.header('Retry-After', String(fault.retryAfterSeconds));
  if (endpoint.startsWith('graph')) {
    const { requestId, clientRequestId } = stampRequestIds(request, reply);
    const code = fault.code ?? (status === 429 ? 'ApplicationThrottled' : status === 503 ? 'ServiceUnavailable' : status === 504 ? 'GatewayTimeout' : 'InternalServerError');
    const message =
      fault.message ??
      (status === 429
        ? 'Application is over its MailboxConcurrency limit.'
        : status === 504
          ? 'The operation has timed out.'
          : 'The service is temporarily unavailable. Please retry later.');
    return { status, body: { error: { code, message, innerError: { 'request-id': requestId, date: new Date(nowMs).toISOString(), 'client-request-id': clientRequestId } } } };
  }
  if (endpoint === 'entra.token') {
    const entra = tokenEndpointFault(request, reply, fault, nowMs);
    if (entra) return entra;
  }
  const requestId = crypto.randomUUID();
  return {
    status,
    body: {
      error: 'temporarily_unavailable',
      error_description: `AADSTS90033: A transient error has occurred. Please try again.\r\nTrace ID: ${requestId}\r\nCorrelation ID: ${requestId}\r\nTimestamp: ${new Date(nowMs).toISOString().replace('T', ' ').slice(0, 19)}Z`,
      error_codes: [90033],
      timestamp: new Date(nowMs).toISOString().replace('T', ' ').slice(0, 19) + 'Z',
      trace_id: requestId,
      correlation_id: requestId,
    },
  };
}

/** Mail routes never change the directory or sessions: no tenant-file check after them. */
const MAIL_ENDPOINTS = /^graph\.(me|sendMail|createMessage|getMessage|deleteMessage|addAttachment|createUploadSession|sendDraft|uploadSession)$/;

/**
 * Token-endpoint throttling as Entra answers it (issue 13.11). `throttle`: 429 with Retry-After (60 s
 * unless given) and the body "Too Many Requests", not JSON - Microsoft's MSAL.NET docs give the 429 and
 * `Retry-After: 60` (https://learn.microsoft.com/entra/msal/dotnet/advanced/client-and-server-throttling),
 * MSAL.NET's maintainers the body (AzureAD/microsoft-authentication-library-for-dotnet#2855). `error` with
 * `code: "AADSTS50196"` / `"AADSTS90055"` (any catalogued code without arguments): that error in Entra's JSON.
 */
function tokenEndpointFault(request: FastifyRequest, reply: FastifyReply, fault: FaultSpec, nowMs: number): { status: number; body: unknown } | undefined {
  if (fault.kind === 'throttle') {
    if (fault.retryAfterSeconds === undefined) reply.header('Retry-After', '60');
    reply.type('text/plain; charset=utf-8');
    return { status: fault.status ?? 429, body: 'Too Many Requests' };
  }
  const code = /^AADSTS(\d+)$/.exec(fault.code ?? '')?.[1];
  if (fault.kind !== 'error' || !code || !(Number(code) in AADSTS)) return undefined;
  const err = aadsts(Number(code) as AadstsCode);
  const ids = traceIds(request, nowMs);
  setTokenHeaders(reply, request, ids);
  reply.type('application/json; charset=utf-8');
  return { status: fault.status ?? err.status, body: errorBody(err, ids) };
}

/** Faults that hit a request after its handler ran ('resetAfter', 'errorAfter'). */
const afterFaults = new WeakMap<FastifyRequest, FaultSpec>();

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const tls = options.tls ? { ...options.tls, caPem: '', caPath: '' } : await ensureTlsMaterial(`${options.dataDir}/tls`);
  const clock = new Clock();
  const directory = new Directory();
  const seed = options.seed ?? defaultSeed();
  const tenantFile = tenantFilePath(options.dataDir);
  if (options.reset) removeTenantFile(tenantFile);
  // The same seed on the same data dir is the same tenant; a changed seed makes a new one.
  const stored = readTenantFile(tenantFile);
  const restored = stored !== undefined && stored.seedSha256 === seedFingerprint(seed);
  if (restored) directory.restoreDirectory(stored.directory);
  const seededSecrets = restored ? [] : applySeed(directory, seed, clock.now());
  const context: EmulatorContext = {
    clock,
    directory,
    signer: await TokenSigner.open(options.dataDir),
    stats: new Stats(),
    faults: new Faults(() => clock.now()),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    behaviour: { ...DEFAULT_BEHAVIOUR, ...options.behaviour },
    hooks: { revokeRefreshTokens: () => 0 },
  };

  const app = Fastify({
    https: { key: tls.keyPem, cert: tls.certPem },
    // Above Graph's 4 MB so the Graph routes can answer 413 in Graph's own shape.
    bodyLimit: 64 * 1024 * 1024,
    logger: false,
    forceCloseConnections: true,
  });
  await app.register(formbody);

  // Every route names its endpoint; count it and apply any injected fault before the handler.
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const endpoint = (request.routeOptions.config as Partial<EndpointConfig> | undefined)?.endpoint;
    if (!endpoint) return;
    context.stats.countRequest(endpoint);
    const fault = context.faults.take(endpoint);
    if (!fault) return;
    if (fault.kind === 'slow') {
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 1000));
      return;
    }
    if (fault.kind === 'reset') {
      request.raw.socket.destroy();
      return reply.hijack();
    }
    if (fault.kind === 'resetAfter' || fault.kind === 'errorAfter') {
      afterFaults.set(request, fault);
      return;
    }
    const answer = faultAnswer(request, reply, endpoint, fault, clock.now());
    if (answer.status === 429) context.stats.throttled429 += 1;
    return reply.code(answer.status).send(answer.body);
  });

  // Failure after acceptance: the handler ran (the message is delivered), then the answer is lost.
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    const fault = afterFaults.get(request);
    if (!fault) return payload;
    afterFaults.delete(request);
    if (fault.kind === 'resetAfter') {
      request.raw.socket.destroy();
      return payload;
    }
    const endpoint = (request.routeOptions.config as Partial<EndpointConfig> | undefined)?.endpoint ?? 'graph';
    const answer = faultAnswer(request, reply, endpoint, fault, clock.now());
    reply.code(answer.status).type('application/json; charset=utf-8');
    return JSON.stringify(answer.body);
  });

  await registerEntraRoutes(app, context);
  await registerGraphRoutes(app, context);
  await registerControlRoutes(app, context);

  const { grants } = entraState(context);
  if (restored) {
    grants.restoreDurable(stored.grants);
    importDirectoryObjects(context, stored.graphObjects);
  }
  const tenantWriter = new TenantFileWriter(tenantFile, () => ({
    version: 1,
    seedSha256: seedFingerprint(seed),
    directory: directory.durable(),
    graphObjects: exportDirectoryObjects(context),
    grants: grants.durable(),
  }));
  tenantWriter.saveIfChanged();
  app.addHook('onResponse', async (request: FastifyRequest) => {
    const endpoint = (request.routeOptions.config as Partial<EndpointConfig> | undefined)?.endpoint;
    if (endpoint && !MAIL_ENDPOINTS.test(endpoint)) tenantWriter.saveIfChanged();
  });

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    caPem: tls.caPem,
    caPath: tls.caPath,
    seededSecrets,
    restored,
    tenantFile,
    context,
    app,
    close: async () => {
      await app.close();
      tenantWriter.saveIfChanged();
    },
  };
}
