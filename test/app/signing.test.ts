import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkMessage } from '../../src/core/signature/messages.ts';
import { freePort } from '../helpers/free-port.ts';
import { waitFor, type Harness } from '../helpers/harness.ts';
import { actionStatus, addPerson, entries, highTransfer, startSignatureHarness, type TestPerson } from '../signature/helpers.ts';
import { feedMotion, SimulatedBody, typeLive } from './body.ts';
import { launchChromium, phonePage, screenshot, serveApp, virtualAuthenticator } from './signing-browser.ts';
import { EmulatedStrap, measurement } from './strap.ts';

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
  // Runs in the page (DOM types are not part of the Node test build, hence the narrow casts).
  const credential = await page.evaluate(async (options) => {
    const w = globalThis as unknown as {
      PublicKeyCredential: { parseCreationOptionsFromJSON(o: unknown): unknown };
      navigator: { credentials: { create(o: unknown): Promise<{ toJSON(): unknown }> } };
    };
    const c = await w.navigator.credentials.create({ publicKey: w.PublicKeyCredential.parseCreationOptionsFromJSON(options) });
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

/** What the signing harness leaves on the page's window. */
interface PageGlobals {
  afResult?: { outcome: string; message: string; actionStatus?: string; nextChallengeId?: string };
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
      // What you see is what you sign: the summary shows the amount and payee.
      await expect(page.locator('.af-summary-text').textContent()).resolves.toMatch(/5,000\.00 EUR to\/on 'DE89370400440532013000'/);
      await screenshot(page, 'signing-1-intro');
      expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

      await page.getByRole('button', { name: /Start signing/ }).click();
      await waitFor(() => body.revealed.length >= 1 || undefined, 15_000);
      await page.getByRole('progressbar').waitFor();
      // The live screen's screenshot and axe check are in the typing test: both stall the page and
      // the CDP connection the sensor readings come through, which would leave a gap or a change
      // of sample rate in the motion stream (the gateway takes that for a splice, as it should).

      await page.waitForFunction(() => (globalThis as unknown as PageGlobals).afResult !== undefined, undefined, { timeout: 60_000 });
      const result = await page.evaluate(() => (globalThis as unknown as PageGlobals).afResult!);
      await screenshot(page, 'signing-3-done');
      const refused = await entries(h, { actionId: a.id, type: 'signature.refused' });
      expect(refused, JSON.stringify(refused)).toEqual([]);
      expect(result).toMatchObject({ outcome: 'accepted', actionStatus: 'executing' });
      await waitFor(async () => ((await actionStatus(h, a.id)) === 'executed' ? true : undefined));
      expect(h.payments.executions.filter((e) => e.key === a.id)).toHaveLength(1);
      const verified = (await entries(h, { actionId: a.id, type: 'signature.verified' }))[0]!;
      expect(verified).toMatchObject({ who: 'pam', device: credentialId, modalities: ['motion'], liveness: { accepted: true } });
      // What went over the wire: features in the stream format, gyro included, never more.
      const sent = chunks(body);
      expect(sent.length).toBeGreaterThan(60);
      expect(sent.some((c) => (c.samples.motion?.gyro?.length ?? 0) > 0)).toBe(true);
      expect(violations).toEqual([]);
      // The violation listener works: the CSP refuses a style attribute, and it is reported.
      await page.evaluate(() => (globalThis as unknown as { document: { body: { setAttribute(k: string, v: string): void } } }).document.body.setAttribute('style', 'color: red'));
      await waitFor(() => violations.length > 0 || undefined);
    } finally {
      stopMotion();
      await context.close();
    }
  }, 180_000);

  it('calibration by typing: real keyboard input with human timings', async () => {
    const quinn = await addPerson(h, 'quinn', { modalities: ['typing'], device: false });
    const { page, cdp, context, violations } = await signingPage(quinn);
    const body = new SimulatedBody('quinn', ['typing'], 'browser-typing');
    body.watch(page);
    try {
      const credentialId = await enrolPasskey(page, quinn);
      await page.goto(`${origin}/app/signing-harness.html?mode=calibrate&person=quinn&modalities=typing&duration=20000&credential=${credentialId}`);
      await page.getByRole('button', { name: /Start calibration/ }).click();
      const input = page.getByLabel(/Type the words/);
      await input.waitFor();
      await input.focus();
      const stopTyping = typeLive(cdp, body);
      try {
        await page.waitForFunction(() => (globalThis as unknown as PageGlobals).afResult !== undefined, undefined, { timeout: 60_000 });
      } finally {
        stopTyping();
      }
      const result = await page.evaluate(() => (globalThis as unknown as PageGlobals).afResult!);
      const keys = chunks(body).flatMap((c) => c.samples.typing?.keys ?? []);
      // Every key event went out with the character and its own time; text typed is the words shown.
      expect(keys.length).toBeGreaterThan(40);
      const typed = keys.filter((k) => k.type === 'down' && k.key !== 'Backspace').map((k) => k.key).join('');
      const words = body.revealed.map((e) => (e.payload.type === 'word' ? e.payload.word : '')).join(' ');
      expect(words.startsWith(typed.trim().split(' ').slice(0, 2).join(' '))).toBe(true);
      const refused = (await entries(h, { type: 'signature.refused' })).filter((e) => e['who'] === 'quinn');
      expect(refused, JSON.stringify(refused.map((r) => r['reasons']))).toEqual([]);
      expect(result).toMatchObject({ outcome: 'accepted' });
      expect((await entries(h, { type: 'signature.enrolment_recorded' })).filter((e) => e['who'] === 'quinn')).toHaveLength(1);
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  }, 180_000);

  it('a motion sensor that stops mid-session: a clear message, nothing signed, the action still waits', async () => {
    const rita = await addPerson(h, 'rita', { modalities: ['motion'], device: false });
    const { page, cdp, context } = await signingPage(rita);
    const body = new SimulatedBody('rita', ['motion'], 'browser-stop');
    body.watch(page);
    let stopMotion = await feedMotion(cdp, body);
    try {
      const credentialId = await enrolPasskey(page, rita);
      const a = await highTransfer(h, 'browser-sensor-stops');
      await page.goto(`${origin}/app/signing-harness.html?person=rita&action=${a.id}&credential=${credentialId}`);
      await page.getByRole('button', { name: /Start signing/ }).click();
      await waitFor(() => body.revealed.length >= 1 || undefined, 15_000);
      // The live screen, here where a stall costs nothing (it stalls the sensor feed: see above).
      await screenshot(page, 'signing-2-live');
      expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
      // The sensor goes quiet (a reading that never changes is never reported: no readings at all).
      stopMotion();
      stopMotion = () => undefined;
      await page.waitForFunction(() => (globalThis as unknown as PageGlobals).afResult !== undefined, undefined, { timeout: 30_000 });
      const result = await page.evaluate(() => (globalThis as unknown as PageGlobals).afResult!);
      expect(result.outcome).toBe('sensor');
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(/A sensor stopped sending readings during signing\. Nothing was signed and nothing was carried out: the request is still waiting/);
      await screenshot(page, 'signing-4-sensor-stopped');
      expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
      const refused = await waitFor(async () => (await entries(h, { actionId: a.id, type: 'signature.refused' }))[0]);
      expect(refused).toMatchObject({ who: 'rita', code: 'SESSION_ABORTED' });
      expect(await actionStatus(h, a.id)).toBe('awaiting_signature');
      expect(h.payments.executions.find((e) => e.key === a.id)).toBeUndefined();
    } finally {
      stopMotion();
      await context.close();
    }
  }, 120_000);

  it('a tab closed mid-session and a denied microphone: nothing signed, the action still waits', async () => {
    const sam = await addPerson(h, 'sam', { modalities: ['motion', 'typing'], device: false });
    const { page, cdp, context } = await signingPage(sam);
    const body = new SimulatedBody('sam', ['motion'], 'browser-close');
    body.watch(page);
    const stopMotion = await feedMotion(cdp, body);
    try {
      const credentialId = await enrolPasskey(page, sam);
      const a = await highTransfer(h, 'browser-tab-closed');
      await page.goto(`${origin}/app/signing-harness.html?person=sam&action=${a.id}&credential=${credentialId}`);
      await page.getByRole('button', { name: /Start signing/ }).click();
      await waitFor(() => body.revealed.length >= 1 || undefined, 15_000);
      await page.close();
      const refused = await waitFor(async () => (await entries(h, { actionId: a.id, type: 'signature.refused' }))[0], 20_000).catch(async (e: unknown) => {
        throw new Error(JSON.stringify((await entries(h, { actionId: a.id })).map((x) => [x['type'], x['code'], x['who']])), { cause: e });
      });
      expect(refused).toMatchObject({ who: 'sam', code: 'SESSION_ABORTED' });
      expect(await actionStatus(h, a.id)).toBe('awaiting_signature');
      expect(h.payments.executions.find((e) => e.key === a.id)).toBeUndefined();
    } finally {
      stopMotion();
      await context.close();
    }
    // The microphone refused (no permission granted in this context): said plainly before anything starts.
    const { page: p2, context: c2 } = await signingPage(sam);
    try {
      await p2.goto(`${origin}/app/signing-harness.html?mode=calibrate&person=sam&modalities=voice&duration=20000`);
      await p2.getByRole('button', { name: /Start calibration/ }).click();
      await p2.waitForFunction(() => (globalThis as unknown as PageGlobals).afResult !== undefined, undefined, { timeout: 30_000 });
      expect(await p2.evaluate(() => (globalThis as unknown as PageGlobals).afResult!.outcome)).toBe('sensor');
      await expect(p2.getByRole('alert').textContent()).resolves.toMatch(/Access to a sensor was refused/);
      await screenshot(p2, 'calibration-microphone-denied');
    } finally {
      await c2.close();
    }
  }, 120_000);
});

describe('heart rate from a Bluetooth strap', () => {
  it('RR intervals arrive from notifications; a strap that disconnects ends signing, the action still waits', async () => {
    const uma = await addPerson(h, 'uma', { modalities: ['hrv'], device: false });
    const { page, cdp, context } = await signingPage(uma);
    const strap = await EmulatedStrap.attach(browser, cdp);
    const body = new SimulatedBody('uma', ['hrv'], 'browser-strap');
    body.watch(page);
    try {

      const credentialId = await enrolPasskey(page, uma);
      const a = await highTransfer(h, 'browser-strap-disconnects');
      await page.emulateMedia({ reducedMotion: 'reduce' });
      await page.goto(`${origin}/app/signing-harness.html?person=uma&action=${a.id}&credential=${credentialId}&modalities=hrv`);
      await page.getByRole('button', { name: /Start signing/ }).click();
      await waitFor(() => body.started || undefined, 15_000);
      // prefers-reduced-motion: the breathing guide is a filling bar and words, not a growing circle.
      await page.getByText(/Breathe (in|out)/).waitFor();
      expect(await page.locator('.af-breath-circle').isVisible()).toBe(false);
      expect(await page.locator('.af-breath-bar').isVisible()).toBe(true);
      await screenshot(page, 'signing-hrv-reduced-motion');
      // A few beats: one interval per measurement, as the body's heart produces them.
      const beats: number[] = [];
      while (beats.length < 6) {
        for (const b of body.advance().hrv?.rr ?? []) {
          await strap.send(page, measurement(60000 / b.ms, [b.ms]));
          beats.push(b.ms);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      await waitFor(() => chunks(body).flatMap((c) => c.samples.hrv?.rr ?? []).length >= 6 || undefined, 10_000);
      // The intervals the page sent are the strap's (to its 1/1024 s resolution), one beat each.
      const rr = chunks(body).flatMap((c) => c.samples.hrv?.rr ?? []);
      const onTheWire = (ms: number) => Math.round(((Math.round((ms * 1024) / 1000) * 1000) / 1024) * 10) / 10;
      expect(rr.slice(0, 6).map((x) => x.ms)).toEqual(beats.slice(0, 6).map(onTheWire));
      for (let i = 1; i < rr.length; i++) expect(rr[i]!.t).toBeGreaterThanOrEqual(rr[i - 1]!.t);
      await strap.disconnect();
      await page.waitForFunction(() => (globalThis as unknown as PageGlobals).afResult !== undefined, undefined, { timeout: 30_000 });
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).afResult!.outcome)).toBe('sensor');
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(/The heart-rate strap disconnected during signing\. Nothing was signed/);
      await screenshot(page, 'signing-5-strap-disconnected');
      const refused = await waitFor(async () => (await entries(h, { actionId: a.id, type: 'signature.refused' }))[0]);
      expect(refused).toMatchObject({ who: 'uma', code: 'SESSION_ABORTED' });
      expect(await actionStatus(h, a.id)).toBe('awaiting_signature');
      expect(h.payments.executions.find((e) => e.key === a.id)).toBeUndefined();
    } finally {
      await strap.close();
      await context.close();
    }
  }, 120_000);
});

describe('voice on a fake microphone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'af-voice-'));
  const wav = join(dir, 'speech.wav');
  let voiceBrowser: Browser;
  beforeAll(async () => {
    // Speech with pauses between words (espeak-ng: -g is the word gap in 10 ms units); Chromium loops it.
    execFileSync('espeak-ng', ['-s', '120', '-g', '60', '-w', wav, 'river orange table yellow window garden simple number paper forest']);
    voiceBrowser = await launchChromium(['--use-fake-ui-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`]);
  });
  afterAll(async () => {
    await voiceBrowser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reduces the microphone to pitch and energy frames on the page; only those go out', async () => {
    const tess = await addPerson(h, 'tess', { modalities: ['voice'], device: false });
    const s = await phonePage(voiceBrowser);
    await s.page.exposeFunction('afAuthorize', (method: string, path: string) => tess.client.authorization(method, path));
    await virtualAuthenticator(s.cdp);
    const body = new SimulatedBody('tess', ['voice'], 'browser-voice');
    body.watch(s.page);
    try {
      const credentialId = await enrolPasskey(s.page, tess);
      await s.page.goto(`${origin}/app/signing-harness.html?mode=calibrate&person=tess&modalities=voice&duration=20000&credential=${credentialId}`);
      await s.page.getByRole('button', { name: /Start calibration/ }).click();
      await s.page.waitForFunction(() => (globalThis as unknown as PageGlobals).afResult !== undefined, undefined, { timeout: 60_000 });
      const frames = chunks(body).flatMap((c) => c.samples.voice?.frames ?? []);
      // 10 ms hop: about 100 frames a second over the 20 s.
      expect(frames.length).toBeGreaterThan(1500);
      expect(frames.length).toBeLessThan(2300);
      const voiced = frames.filter((f) => f.f0Hz !== null);
      expect(voiced.length).toBeGreaterThan(200);
      const f0 = voiced.map((f) => f.f0Hz!).sort((a, b) => a - b);
      // espeak-ng's default voice speaks at about 100 Hz.
      expect(f0[Math.floor(f0.length / 2)]).toBeGreaterThan(70);
      expect(f0[Math.floor(f0.length / 2)]).toBeLessThan(160);
      const loud = (xs: { energyDb: number }[]) => xs.map((f) => f.energyDb).sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      expect(loud(voiced)).toBeGreaterThan(loud(frames.filter((f) => f.f0Hz === null)) + 6);
      // Features only: each frame is { t, f0Hz, energyDb }, and no binary frame was sent.
      expect(new Set(frames.flatMap((f) => Object.keys(f)))).toEqual(new Set(['t', 'f0Hz', 'energyDb']));
      // A recording does not answer the words revealed, so the gateway refuses the session; what
      // it found in the stream itself (format, frame rate, energy, voicing) passed.
      const refused = await waitFor(async () => (await entries(h, { type: 'signature.refused' })).find((e) => e['who'] === 'tess'));
      const failed = (refused['liveness'] as { modalities: { voice: { failedChecks: string[] } }; failedChecks: string[] }) ?? undefined;
      expect(failed.modalities.voice.failedChecks.filter((c) => /format|rate|energy-range|voicing-energy/.test(c))).toEqual([]);
      expect(failed.failedChecks.filter((c) => c.startsWith('timing.voice.sample-gap'))).toEqual([]);
      // The AudioWorklet (its own bundled file) loaded under the CSP: nothing was refused.
      expect(s.violations).toEqual([]);
    } finally {
      await s.context.close();
    }
  }, 120_000);
});
