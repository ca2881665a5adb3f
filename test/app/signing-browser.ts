import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { ROOT } from '../helpers/harness.ts';

/**
 * Real-browser helpers for the approver app's tests: Debian's Chromium (never a downloaded one)
 * driven by playwright-core, the app built by Vite and served by Vite's preview server, which
 * proxies /v1 (HTTP and WebSocket) to the gateway under test and sends the production CSP.
 */

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const ARTEFACTS = join(ROOT, 'test-artifacts', 'app');
const CONFIG = join(ROOT, 'web/app/vite.config.ts');

/** The Content-Security-Policy the app must run under: nothing inline, no other origin. */
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

let built: Promise<unknown> | undefined;
/** Builds web/app once per test process. */
export function buildApp(): Promise<unknown> {
  built ??= build({ configFile: CONFIG, logLevel: 'silent' });
  return built;
}

export async function serveApp(port: number, gateway: string): Promise<PreviewServer> {
  await buildApp();
  return preview({
    configFile: CONFIG,
    logLevel: 'silent',
    preview: { host: '127.0.0.1', port, strictPort: true, headers: { 'content-security-policy': CSP }, proxy: { '/v1': { target: gateway, ws: true } } },
  });
}

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: scripts/test-prereqs.sh installs Debian's chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--enable-features=WebBluetooth,WebBluetoothNewPermissionsBackend',
      // A fake microphone exists; without --use-fake-ui-for-media-stream its permission prompt is
      // dismissed (denied), unless a test grants it.
      '--use-fake-device-for-media-stream',
      ...extraArgs,
    ],
  });
}

/** A phone-sized page (390×844) that records CSP violations and console errors. */
export async function phonePage(browser: Browser): Promise<{ context: BrowserContext; page: Page; cdp: CDPSession; violations: string[]; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: false, hasTouch: true });
  const page = await context.newPage();
  const violations: string[] = [];
  const errors: string[] = [];
  await page.exposeFunction('afCspViolation', (v: string) => violations.push(v));
  await page.addInitScript(() => {
    const w = globalThis as unknown as {
      document: { addEventListener(t: string, f: (e: { violatedDirective: string; blockedURI: string }) => void): void };
      afCspViolation(v: string): void;
    };
    w.document.addEventListener('securitypolicyviolation', (e) => void w.afCspViolation(`${e.violatedDirective} ${e.blockedURI}`));
  });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  const cdp = await context.newCDPSession(page);
  return { context, page, cdp, violations, errors };
}

/** A platform passkey authenticator with user verification (CDP WebAuthn domain). */
export async function virtualAuthenticator(cdp: CDPSession): Promise<string> {
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return authenticatorId;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTEFACTS, { recursive: true });
  writeFileSync(join(ARTEFACTS, `${name}.png`), await page.screenshot({ fullPage: true }));
}
