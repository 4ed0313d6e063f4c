import type { TestEmulator } from '../support/emulator.js';

// The service start-up lives in test/support/service.ts; re-exported so server tests keep one import.
export {
  ADMIN,
  configureHome,
  FAST_NOTIFICATIONS,
  LogCapture,
  SENDER,
  serviceHome,
  startServiceRig,
  startTestService,
  TEAM,
  unthrottle,
  type ServiceRig,
} from '../support/service.js';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** One HTTP request to the service. `body`: an object is sent as JSON; a string or Buffer as is. */
export async function request(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | ArrayBuffer | undefined;
  if (typeof options.body === 'string') body = options.body;
  else if (Buffer.isBuffer(options.body)) body = options.body.buffer.slice(options.body.byteOffset, options.body.byteOffset + options.body.byteLength) as ArrayBuffer;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(baseUrl + path, { method, headers, body });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Polls until `fn` returns a truthy value. */
export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

export async function waitFor<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 15_000): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last) return last as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The messages in a mailbox's inbox (the emulator's control API). */
export async function inbox(emu: TestEmulator, upn: string): Promise<any[]> {
  return (await emu.call('GET', `/_emulator/mailboxes/${upn}/messages?folder=inbox&includeContent=1`)).json();
}

export function header(message: any, name: string): string | undefined {
  return message.internetMessageHeaders?.find((h: { name: string }) => h.name.toLowerCase() === name)?.value;
}
