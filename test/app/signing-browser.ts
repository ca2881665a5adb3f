import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { ROOT } from '../helpers/harness.ts';
import type { AppHarness } from './app-harness.ts';

/**
 * Real-browser helpers for the live signing tests: Debian's Chromium (never a downloaded one)
 * driven by playwright-core, with Web Bluetooth and a fake microphone available, against the app
 * as the gateway serves it (its own origin, its production CSP).
 */

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const ARTEFACTS = join(ROOT, 'test-artifacts', 'app');

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

/** The enrolment screen's name for each modality the tests use (web/app/src/screens/enrol.tsx). */
const MODALITY_LABEL = { motion: /Movement/, typing: /Typing/, voice: /Voice/, hrv: /Heart rhythm/ } as const;

/**
 * Enrols `person` as the app does it: an administrator's invitation, the link opened on the
 * phone, a passkey made in its authenticator, the privacy consent, the modalities; calibration
 * left for later unless `calibrate`. The page ends on "You are enrolled" (or on the calibration
 * screen), signed in.
 */
export async function enrolInApp(page: Page, h: AppHarness, person: string, modalities: (keyof typeof MODALITY_LABEL)[], o: { calibrate?: boolean } = {}): Promise<void> {
  await page.goto((await h.invite(person)).url);
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await page.getByLabel(/I have read the privacy notice/).check();
  await page.getByRole('button', { name: 'Agree and continue' }).click();
  for (const m of modalities) await page.getByRole('checkbox', { name: MODALITY_LABEL[m] }).check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Calibration' }).waitFor();
  if (o.calibrate) return;
  await page.getByRole('button', { name: 'Later' }).click();
  await page.getByRole('heading', { name: 'You are enrolled' }).waitFor();
}

/** From the inbox to the signing screen of `actionId`, as a person goes: the card, its details, Sign. */
export async function openSigning(page: Page, h: AppHarness, actionId: string): Promise<void> {
  await page.goto(`${h.appUrl}/app/inbox`);
  await signFromInbox(page, actionId);
}

/** On the inbox already: the card of `actionId`, its details, Sign (the app navigates without reloading). */
export async function signFromInbox(page: Page, actionId: string): Promise<void> {
  await page.locator(`a[href="/app/actions/${actionId}"]`).click();
  await page.getByRole('button', { name: 'Sign', exact: true }).click();
  await page.getByRole('button', { name: /Start signing/ }).waitFor();
}

/** The signing module's outcome, once it has one (data-outcome on its root: web/app/src/signing/index.ts). */
export async function signingOutcome(page: Page, timeout = 60_000): Promise<string> {
  const root = page.locator('.af-signing[data-outcome]');
  await root.waitFor({ timeout });
  return (await root.getAttribute('data-outcome'))!;
}
