import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (scripts/ensure-system-deps.sh installs it for `npm test`). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/**
 * base64(SHA-256(SubjectPublicKeyInfo)) of a certificate: the form Chromium's
 * --ignore-certificate-errors-spki-list takes. Pinning the emulator's own key trusts
 * exactly that server, instead of switching certificate checks off.
 */
export function spkiFingerprint(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** The SPKI pin of the emulator's generated server certificate in its data dir (`<dataDir>/tls/server.pem`). */
export async function emulatorSpki(dataDir: string): Promise<string> {
  return spkiFingerprint(await readFile(join(dataDir, 'tls', 'server.pem'), 'utf8'));
}

/** The data dir of a running emulator, from where it stores its CA (`<dataDir>/tls/ca.pem`). */
export function emulatorDataDir(caPath: string): string {
  return dirname(dirname(caPath));
}

export interface TestBrowser {
  browser: Browser;
  /** A page in a fresh context (no cookies, no cache), 1000x700 for README screenshots. */
  newPage(): Promise<Page>;
  /** Closes every context and the browser. */
  close(): Promise<void>;
}

/**
 * Headless Chromium that trusts the given server keys (SPKI pins) and nothing else beyond
 * the system store; certificate errors are not ignored otherwise (ignoreHTTPSErrors: false).
 */
export async function launchBrowser(options: { trustSpki?: string[] } = {}): Promise<TestBrowser> {
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ];
  if (options.trustSpki && options.trustSpki.length > 0) {
    args.push(`--ignore-certificate-errors-spki-list=${options.trustSpki.join(',')}`);
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args, timeout: 20_000 });
  const contexts: BrowserContext[] = [];
  return {
    browser,
    newPage: async () => {
      const context = await browser.newContext({ ignoreHTTPSErrors: false, viewport: { width: 1000, height: 700 } });
      context.setDefaultTimeout(10_000);
      context.setDefaultNavigationTimeout(10_000);
      contexts.push(context);
      return context.newPage();
    },
    close: async () => {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
    },
  };
}

/**
 * On the authorize page: pick the account tile for `upn` when the page lists it, or type
 * the UPN into the sign-in box (`loginfmt`) and press Next (`#idSIButton9`), as on Entra's page.
 */
export async function signInOnAuthorizePage(page: Page, upn: string): Promise<void> {
  const tile = page.locator(`[data-upn="${upn.toLowerCase()}"], [data-upn="${upn}"]`).first();
  if ((await tile.count()) > 0) {
    await tile.click();
    return;
  }
  await page.locator('input[name="loginfmt"]').fill(upn);
  await page.locator('#idSIButton9').click();
}

/** On the consent page ("Permissions requested"): Accept. */
export async function approveOnConsentPage(page: Page): Promise<void> {
  await page.locator('#idSIButton9').click();
}

/** On the consent page: Cancel. */
export async function cancelOnConsentPage(page: Page): Promise<void> {
  await page.locator('#idBtn_Back').click();
}

/** On /devicelogin: enter the code, press Next, then pick the account. */
export async function enterDeviceCode(page: Page, code: string, upn: string): Promise<void> {
  await page.locator('input[name="otc"]').fill(code);
  await Promise.all([page.waitForLoadState('domcontentloaded'), page.locator('#idSIButton9').click()]);
  await page.locator('input[name="loginfmt"], [data-upn]').first().waitFor();
  await signInOnAuthorizePage(page, upn);
}

/**
 * README screenshots go to docs/images/ when missing or when UPDATE_SCREENSHOTS=1; otherwise
 * to a temp dir, so a test run does not rewrite tracked files (ports and times differ per run).
 */
const DOCS_IMAGES = fileURLToPath(new URL('../../docs/images/', import.meta.url));
export async function screenshot(page: Page, name: string, scratch: string, options: { fullPage?: boolean; element?: string } = {}): Promise<string> {
  const docsPath = join(DOCS_IMAGES, name);
  const target = process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(docsPath) ? docsPath : join(scratch, name);
  await mkdir(join(target, '..'), { recursive: true });
  if (options.element) await page.locator(options.element).first().screenshot({ path: target });
  else await page.screenshot({ path: target, fullPage: options.fullPage });
  return target;
}
