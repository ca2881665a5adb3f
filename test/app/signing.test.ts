import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkMessage } from '../../src/core/signature/messages.ts';
import { freePort } from '../helpers/free-port.ts';
import { waitFor, type Harness } from '../helpers/harness.ts';
import { actionStatus, addPerson, entries, highTransfer, startSignatureHarness, type TestPerson } from '../signature/helpers.ts';
import { feedMotion, SimulatedBody, typeLive } from './body.ts';
import { launchChromium, phonePage, screenshot, serveApp, virtualAuthenticator } from './browser.ts';

/**
 * Live signing in a real browser (issue #14 item 5): Debian's Chromium, the app's signing module
 * served under its production CSP, a real gateway on loopback, a virtual passkey authenticator,
 * motion fed live through CDP sensor overrides answering the gestures as they are revealed,
 * typing through the keyboard with the reference simulator's human timings.
 */
let h: Harness;
let app: PreviewServer;
let origin: string;
let browser: Browser;
let pam: TestPerson;

beforeAll(async () => {
  const port = await freePort();
  origin = `http://localhost:${port}`;
  h = await startSignatureHarness({ label: 'app-signing', env: { WEBAUTHN_ORIGINS: origin } });
  app = await serveApp(port, h.url);
  browser = await launchChromium();
  pam = await addPerson(h, 'pam', { modalities: ['motion', 'typing', 'voice', 'hrv'], device: false });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await h?.close();
});

/** Registers a passkey for `p` in the page's virtual authenticator (the app's enrolment does this for real). */
async function enrolPasskey(page: Page, p: TestPerson): Promise<string> {
  await page.goto(`${origin}/app/signing-harness.html?mode=calibrate&person=${p.id}`);
  const opt = await p.client.ok<{ ceremonyId: string; options: unknown }>('POST', `/v1/people/${p.id}/devices/registration-options`, { kind: 'phone' });
  const credential = await page.evaluate(async (options) => {
    const c = (await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options as PublicKeyCredentialCreationOptionsJSON) })) as PublicKeyCredential;
    return c.toJSON();
  }, opt.options);
  const device = await p.client.ok<{ id: string }>('POST', `/v1/people/${p.id}/devices`, { ceremonyId: opt.ceremonyId, credential });
  return device.id;
}

async function signingPage(p: TestPerson) {
  const s = await phonePage(browser);
  await s.page.exposeFunction('afAuthorize', (method: string, path: string) => p.client.authorization(method, path));
  await virtualAuthenticator(s.cdp);
  return s;
}

function chunks(body: SimulatedBody): ChunkMessage[] {
  return body.sent.map((t) => JSON.parse(t) as { type: string }).filter((m): m is ChunkMessage => m.type === 'chunk');
}

describe('signing in the browser', () => {
  it('the 5,000 EUR transfer, signed with live motion and a passkey, executes', async () => {
    const { page, cdp, violations, context } = await signingPage(pam);
    const body = new SimulatedBody('pam', ['motion'], 'browser-motion');
    body.watch(page);
    // Sensor overrides before the page first touches a sensor (docs: shared/notes/browser-testing.md).
    const stopMotion = await feedMotion(cdp, body);
    try {
      const credentialId = await enrolPasskey(page, pam);
      const a = await highTransfer(h, 'browser-high');
      await page.goto(`${origin}/app/signing-harness.html?person=pam&action=${a.id}&credential=${credentialId}`);
      await page.getByRole('button', { name: /Start signing/ }).waitFor();
      await expect(page.getByText('5,000.00 EUR').count()).resolves.toBe(1);
      await screenshot(page, 'signing-1-intro');
      expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

      await page.getByRole('button', { name: /Start signing/ }).click();
      await waitFor(() => body.revealed.length >= 1 || undefined, 15_000);
      await page.getByRole('progressbar').waitFor();
      // The live screen's screenshot and axe check are in the typing test: both stall the page and
      // the CDP connection the sensor readings come through, which would leave a gap or a change
      // of sample rate in the motion stream (the gateway takes that for a splice, as it should).

      await page.waitForFunction(() => window.afResult !== undefined, undefined, { timeout: 60_000 });
      const result = await page.evaluate(() => window.afResult!);
      await screenshot(page, 'signing-3-done');
      const refused = entries(h, { actionId: a.id, type: 'signature.refused' });
      expect(refused, JSON.stringify(refused)).toEqual([]);
      expect(result).toMatchObject({ outcome: 'accepted', actionStatus: 'executing' });
      await waitFor(async () => ((await actionStatus(h, a.id)) === 'executed' ? true : undefined));
      expect(h.payments.executions.filter((e) => e.key === a.id)).toHaveLength(1);
      const verified = entries(h, { actionId: a.id, type: 'signature.verified' })[0]!;
      expect(verified).toMatchObject({ who: 'pam', device: credentialId, modalities: ['motion'], liveness: { accepted: true } });
      // What went over the wire: features in the stream format, gyro included, never more.
      const sent = chunks(body);
      expect(sent.length).toBeGreaterThan(60);
      expect(sent.some((c) => (c.samples.motion?.gyro?.length ?? 0) > 0)).toBe(true);
      expect(violations).toEqual([]);
    } finally {
      stopMotion();
      await context.close();
    }
  }, 180_000);
});
