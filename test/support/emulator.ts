import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../packages/emulator/src/index.js';

export interface TestEmulator extends RunningEmulator {
  /** JSON request to the emulator over real HTTPS, trusting its CA. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult>;
  /** Stops the emulator and deletes its data dir. */
  stop(): Promise<void>;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => any;
}

/** One HTTPS request with the given CA trusted; never rejects on HTTP status. */
export function httpsCall(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; ca?: string; servername?: string },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    const req = httpsRequest(url, { method: options.method ?? 'GET', headers, ca: options.ca, servername: options.servername }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Starts an in-process emulator on a free loopback port with a fresh data dir. */
export async function startTestEmulator(options: Partial<EmulatorOptions> = {}): Promise<TestEmulator> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'o365-emu-')));
  const emulator = await startEmulator({ ...options, dataDir, port: options.port ?? 0 });
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    let payload: string | undefined;
    const h = { ...headers };
    if (body !== undefined) {
      if (typeof body === 'string') payload = body;
      else {
        payload = JSON.stringify(body);
        h['content-type'] ??= 'application/json';
      }
    }
    return httpsCall(emulator.url + path, { method, headers: h, body: payload, ca: emulator.caPem });
  };
  return {
    ...emulator,
    call,
    stop: async () => {
      await emulator.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
