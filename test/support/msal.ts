import { request as httpRequest } from 'node:http';
import {
  ConfidentialClientApplication,
  LogLevel,
  PublicClientApplication,
  type Configuration,
} from '@azure/msal-node';
import { createNetworkClient, type HttpsNetworkClient, type RawErrorCapture } from '../../src/auth/network-client.js';
import { httpsCall, type HttpResult, type TestEmulator } from './emulator.js';

/**
 * msal-node 7.2.x pointed at the emulator as a client would point it at Microsoft: authority
 * https://127.0.0.1:PORT/{tenant}, the host declared in knownAuthorities, and a network client
 * that trusts the emulator's CA (TLS verification stays on). Plus a plain-HTTP "browser" that
 * walks the emulator's sign-in pages.
 */

/** The network client trusting the emulator's CA (also used by the browser tests). */
export function msalNetworkClient(caPem: string): HttpsNetworkClient {
  return createNetworkClient({ ca: caPem }).client;
}

export interface MsalClient<T> {
  app: T;
  /** Raw error bodies the network client saw (msal-node drops AADSTS codes on some paths). */
  errors: RawErrorCapture;
  authority: string;
}

function configuration(emu: TestEmulator, tenant: string, clientId: string): { config: Configuration; errors: RawErrorCapture; authority: string } {
  const { client, capture } = createNetworkClient({ ca: emu.caPem });
  const authority = `${emu.url}/${tenant}`;
  return {
    authority,
    errors: capture,
    config: {
      auth: { clientId, authority, knownAuthorities: [new URL(emu.url).host] },
      system: { networkClient: client, loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => {} } },
    },
  };
}

export function publicClient(emu: TestEmulator, tenant: string, clientId: string): MsalClient<PublicClientApplication> {
  const { config, errors, authority } = configuration(emu, tenant, clientId);
  return { app: new PublicClientApplication(config), errors, authority };
}

export function confidentialClient(emu: TestEmulator, tenant: string, clientId: string, clientSecret: string): MsalClient<ConfidentialClientApplication> {
  const { config, errors, authority } = configuration(emu, tenant, clientId);
  return { app: new ConfidentialClientApplication({ ...config, auth: { ...config.auth, clientSecret } }), errors, authority };
}

/** The seeded secret value of a demo app. */
export function seededSecret(emu: TestEmulator, clientId: string): string {
  const found = emu.seededSecrets.find((s) => s.clientId === clientId);
  if (!found) throw new Error(`no seeded secret for ${clientId}`);
  return found.value;
}

/** Device codes every second, so msal-node's polling keeps tests fast. */
export async function fastDeviceCodes(emu: TestEmulator): Promise<void> {
  const res = await emu.call('PUT', '/_emulator/behaviour', { deviceCodeIntervalSeconds: 1 });
  if (res.status !== 200) throw new Error(`PUT /_emulator/behaviour: ${res.status} ${res.text}`);
}

export async function approveDeviceCode(emu: TestEmulator, userCode: string, upn: string, extra: Record<string, unknown> = {}): Promise<HttpResult> {
  return emu.call('POST', '/_emulator/devicecode/approve', { userCode, upn, ...extra });
}

// ---- a minimal browser for the emulator's server-rendered pages ---------------------------

export interface HtmlForm {
  action: string;
  method: string;
  id?: string;
  /** Hidden and text inputs with their values. */
  fields: Record<string, string>;
  /** Submit buttons: id, name, value, data-upn. */
  buttons: { id?: string; name?: string; value?: string; upn?: string }[];
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return m ? unescapeHtml(m[1]!) : undefined;
}

function unescapeHtml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export function formsIn(html: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const open = m[1]!;
    const inner = m[2]!;
    const fields: Record<string, string> = {};
    for (const input of inner.matchAll(/<input\b[^>]*>/gi)) {
      const tag = input[0];
      const name = attr(tag, 'name');
      const type = (attr(tag, 'type') ?? 'text').toLowerCase();
      if (!name || type === 'submit' || (type === 'checkbox' && !/\schecked\b/i.test(tag))) continue;
      fields[name] = attr(tag, 'value') ?? '';
    }
    const buttons = [...inner.matchAll(/<button\b[^>]*>/gi)].map((b) => ({
      id: attr(b[0], 'id'),
      name: attr(b[0], 'name'),
      value: attr(b[0], 'value'),
      upn: attr(b[0], 'data-upn'),
    }));
    forms.push({ action: attr(` ${open}`, 'action') ?? '', method: (attr(` ${open}`, 'method') ?? 'get').toLowerCase(), id: attr(` ${open}`, 'id'), fields, buttons });
  }
  return forms;
}

/** The AADSTS code an emulator page shows (error page or Need admin approval), if any. */
export function aadstsOnPage(html: string): number | undefined {
  const m = /data-aadsts="(\d+)"/.exec(html);
  return m ? Number(m[1]) : undefined;
}

/** A response of the walk: a page, or a redirect to the app (the redirect URI is not fetched). */
export type PageStep =
  | { kind: 'page'; status: number; html: string; url: string }
  | { kind: 'redirect'; location: URL; fields: Record<string, string> };

function asStep(res: HttpResult, url: string): PageStep {
  if (res.status === 302) {
    const location = new URL(String(res.headers.location));
    const fields = Object.fromEntries(new URLSearchParams(location.hash ? location.hash.slice(1) : location.search).entries());
    return { kind: 'redirect', location, fields };
  }
  // response_mode=form_post: an auto-submitting form aimed at the redirect URI.
  if (res.status === 200 && /name="hiddenform"/.test(res.text)) {
    const form = formsIn(res.text)[0]!;
    return { kind: 'redirect', location: new URL(form.action), fields: form.fields };
  }
  return { kind: 'page', status: res.status, html: res.text, url };
}

export async function openPage(emu: TestEmulator, url: string): Promise<PageStep> {
  const res = await httpsCall(url, { ca: emu.caPem });
  return asStep(res, url);
}

/** Submits a form of the current page, pressing the given button (by id, or by data-upn). */
export async function submit(emu: TestEmulator, step: PageStep, choose: { buttonId?: string; upn?: string; fields?: Record<string, string> }): Promise<PageStep> {
  if (step.kind !== 'page') throw new Error('not on a page');
  const forms = formsIn(step.html);
  const form = forms.find((f) =>
    f.buttons.some((b) => (choose.upn ? b.upn === choose.upn.toLowerCase() : b.id === choose.buttonId)),
  );
  if (!form) throw new Error(`no form with ${choose.upn ? `account ${choose.upn}` : `button #${choose.buttonId}`} on the page:\n${step.html}`);
  const button = form.buttons.find((b) => (choose.upn ? b.upn === choose.upn.toLowerCase() : b.id === choose.buttonId))!;
  const fields = { ...form.fields, ...(choose.fields ?? {}) };
  if (button.name) fields[button.name] = button.value ?? '';
  const target = new URL(form.action, step.url).toString();
  const res = await httpsCall(target, {
    method: 'POST',
    ca: emu.caPem,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return asStep(res, target);
}

/**
 * Signs in on the authorize page as `upn` (its tile, or typed into loginfmt), then answers the
 * consent screen if one comes. Stops at the redirect to the app, or at any other page.
 */
export async function signIn(
  emu: TestEmulator,
  authorizeUrl: string,
  upn: string,
  options: { typed?: boolean; consent?: 'accept' | 'cancel'; consentForOrganization?: boolean } = {},
): Promise<PageStep> {
  let step = await openPage(emu, authorizeUrl);
  if (step.kind !== 'page' || !/name="loginfmt"/.test(step.html)) return step;
  step = options.typed
    ? await submit(emu, step, { buttonId: 'idSIButton9', fields: { loginfmt: upn } })
    : await submit(emu, step, { upn });
  if (step.kind === 'page' && /id="consentForm"/.test(step.html) && options.consent) {
    step = await submit(emu, step, {
      buttonId: options.consent === 'accept' ? 'idSIButton9' : 'idBtn_Back',
      fields: options.consentForOrganization ? { consentOnBehalf: 'true' } : {},
    });
  }
  return step;
}

/** Delivers a redirect to the app's loopback listener (what the browser does next): GET, or POST for form_post. */
export async function deliverToLoopback(step: PageStep): Promise<number> {
  if (step.kind !== 'redirect') throw new Error('not a redirect');
  const target = new URL(step.location.toString());
  // msal-node's loopback server listens on 127.0.0.1; the redirect URI names localhost.
  const formPost = target.search === '' && target.hash === '' && Object.keys(step.fields).length > 0;
  return new Promise((resolve, reject) => {
    const body = formPost ? new URLSearchParams(step.fields).toString() : undefined;
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: formPost ? 'POST' : 'GET',
        headers: { host: target.host, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}
