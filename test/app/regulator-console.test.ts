/**
 * The regulator console (issue 19) end to end in Debian's Chromium against the gateway on
 * loopback: passkey enrolment and sign-in (WebAuthn virtual authenticator), the latest checkpoint
 * and its HSM attestation chain, search, the trail of a HIGH action a person signed with the device
 * simulator, every inclusion proof checked in the page, the pictures, an export verified in the page, tampered bundles dropped on the page
 * and named as the CLI names them, verification offline, a log rewritten under the page, an
 * expired session. Every screen is checked with axe and photographed at phone and desk size.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../clients/regulator/verify-bundle.ts';
import type { ExportBundle } from '../../src/core/checkpoint/bundle-format.ts';
import { startHarness, waitFor, type Harness } from '../helpers/harness.ts';
import { createTestPki, type TestPki } from '../log/helpers/pki.ts';
import { AttestedSigner } from '../regulator/helpers/attested-signer.ts';
import { clone, editEntry, failed, forgeJws, indexOf, removeEntry } from '../regulator/helpers/bundle-edit.ts';
import { addPrincipal, type Principal } from '../regulator/helpers/regulator.ts';
import { rewriteEntry } from '../regulator/helpers/rewrite-log.ts';
import { runScenario, type Scenario } from '../regulator/helpers/scenario.ts';
import { runLiveSession, simulatorSource } from '../../clients/device/live-session.ts';
import { makePerson } from '../../clients/device/person.ts';
import { addPerson, challengeOf, highTransfer, SUSTAINED } from '../signature/helpers.ts';
import { expectAccessible, launchBrowser, phone, screenshot } from './browser.ts';

/**
 * Attested keys, and random bytes from a fixed sequence (as test/signature's SeededSigner): the
 * challenge nonce, hence the stimuli, are the same on every run, so the simulated person's honest
 * signature below is reproducible.
 */
class SeededAttestedSigner extends AttestedSigner {
  #n = 0;
  override async random(length: number): Promise<Uint8Array> {
    await super.random(length);
    return new Uint8Array(createHash('sha256').update(`regulator-console/${this.#n++}`).digest().subarray(0, length));
  }
}

/**
 * A HIGH transfer signed for real: pam's phone (the device simulator, clients/device) answers the
 * challenge with live motion and a passkey assertion over the live session; the gateway executes.
 * A refused honest attempt (liveness has false rejections) is tried again on the fresh challenge.
 */
async function signedHigh(h: Harness): Promise<string> {
  const pam = await addPerson(h, 'pam', { modalities: ['motion'] });
  const a = await highTransfer(h, 'reg-console-signed');
  let previous: string | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const c = await challengeOf(pam, a.id, previous);
    const r = await runLiveSession({ client: pam.client, challengeId: c.id, credential: pam.credential!, modalities: ['motion'], digest: c.digest, source: simulatorSource(makePerson('pam'), ['motion'], `regulator-console-${attempt}`) });
    if (r.result?.outcome === 'accepted') {
      await waitFor(async () => ((await h.log.query({ actionId: a.id, type: 'action.executed' })).length > 0 ? true : undefined), 15_000);
      return a.id;
    }
    previous = c.id;
  }
  throw new Error('three honest signatures refused');
}

let pki: TestPki;
let signer: AttestedSigner;
let h: Harness;
/** The same gateway started again on the same port and data, after its log was rewritten. */
let restarted: Harness | undefined;
let s: Scenario;
/** The HIGH transfer the device simulator signed. */
let signed: string;
let admin: Principal;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let appUrl: string;
let honest: ExportBundle;
/** The gateway's clock runs this far ahead of real time (the expiry test moves it). */
let skew = 0;
const clock = { now: () => Date.now() + skew };

/** The screen at phone size (390×844) and at desk size (1280×900). */
async function shots(name: string): Promise<void> {
  await screenshot(page, `regulator-${name}`);
  await page.setViewportSize({ width: 1280, height: 900 });
  await screenshot(page, `regulator-${name}-desktop`);
  await page.setViewportSize({ width: 390, height: 844 });
}

const nav = (name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).click();
const entriesOf = async (type: string) => (await h.log.entriesByType(type, { limit: 10_000 })).map((e) => e.entry as Record<string, unknown>);
/** The checks the page lists as failed, in its table's order. */
const pageFailed = async () => (await page.locator('.checks-table tr.check-fail th code').allTextContents()).map((t) => t.trim());

async function dropBundle(name: string, text: string, how: 'drop' | 'choose'): Promise<void> {
  if (how === 'choose') {
    await page.getByLabel('Choose a bundle file').setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
    return;
  }
  const dt = await page.evaluateHandle(([t, n]) => {
    // In the page (DOM types are not the test's).
    const d = new (globalThis as unknown as { DataTransfer: new () => { items: { add(f: File): void } } }).DataTransfer();
    d.items.add(new File([t], n, { type: 'application/json' }));
    return d;
  }, [text, name] as const);
  await page.dispatchEvent('.dropzone', 'drop', { dataTransfer: dt });
}

beforeAll(async () => {
  pki = createTestPki();
  signer = new SeededAttestedSigner(pki);
  h = await startHarness({ signer, clock, editPolicy: (y) => y.replace(/sustained: 30s/g, `sustained: ${SUSTAINED}`) });
  appUrl = `http://localhost:${new URL(h.url).port}`;
  admin = await addPrincipal(h, 'admin-1', ['admin']);
  await addPrincipal(h, 'rita', ['regulator']);
  s = await runScenario(h);
  signed = await signedHigh(h);
  browser = await launchBrowser();
  ({ context, page } = await phone(browser));
});

afterAll(async () => {
  await browser?.close();
  if (restarted !== undefined) {
    await restarted.close();
    await Promise.all([h.payments.close(), h.infra.close(), h.paymentsMcp.close()]);
    rmSync(h.dir, { recursive: true, force: true });
  } else await h?.close();
  pki?.dispose();
});

describe('regulator console in a real browser', () => {
  it('enrols a passkey from a regulator invitation and signs in with it, choosing scopes; the sign-in is logged', async () => {
    const res = await h.as(admin, 'POST', '/v1/regulator/invitations', { body: { person: 'rita' } });
    const { url } = (await res.json()) as { url: string };
    expect(url.startsWith(`${appUrl}/app/regulator/enrol#`)).toBe(true);
    await page.goto(url);
    await page.getByRole('heading', { name: 'Welcome, rita' }).waitFor();
    expect(page.url()).toBe(`${appUrl}/app/regulator/enrol`);
    await expectAccessible(page, 'regulator-enrol');
    await shots('01-enrol');
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await page.getByRole('heading', { name: 'Your passkey is ready' }).waitFor();
    await expectAccessible(page, 'regulator-enrolled');
    await shots('02-enrolled');
    await page.getByRole('button', { name: 'Sign in now' }).click();
    await page.getByRole('heading', { name: 'Sign in to the regulator console' }).waitFor();
    await expectAccessible(page, 'regulator-sign-in');
    await shots('03-sign-in');
    await page.getByRole('checkbox', { name: /Export bundles/ }).check();
    await page.getByRole('button', { name: 'Sign in with passkey' }).click();
    await page.getByRole('heading', { name: 'The log', exact: true }).waitFor();
    expect((await entriesOf('regulator.token_issued')).at(-1)).toMatchObject({ by: 'rita', via: 'passkey', scopes: ['log:export', 'log:read'] });
    const cookie = (await context.cookies(appUrl)).find((c) => c.name === 'af_regulator');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // Nothing secret in the page's storage: only public checkpoints (and, once pinned, the root certificate).
    const stored = await page.evaluate(() => JSON.stringify(Object.entries(localStorage)));
    expect(stored).not.toContain(cookie!.value);
  });

  it('shows the latest checkpoint, unattested until the HSM root is pinned, then its attestation chain verified', async () => {
    await page.getByText('no HSM root pinned in this browser').waitFor();
    // As `npm start` writes it (data/hsm-root.der): DER.
    await page.getByLabel('Pin the HSM root certificate (PEM or DER file)').setInputFiles({ name: 'hsm-root.der', mimeType: 'application/pkix-cert', buffer: pki.rootDer });
    await page.getByText("the key's certificate chain leads to the pinned root").waitFor();
    const signature = page.locator('dt:text-is("Signature") + dd');
    await expect.poll(() => signature.textContent()).toMatch(/^Verified by the log key [0-9a-f]{8}\.$/);
    await expect.poll(() => page.locator('dt:text-is("Against earlier checkpoints") + dd').textContent()).toMatch(/^(Verified|Not checked)/);
    expect(await page.locator('ol.chain li').count()).toBe(2);
    await expectAccessible(page, 'regulator-overview');
    await shots('04-overview');
  });

  it('finds the HIGH action a person signed by search after it executed, and every entry of its trail is proven in the page', async () => {
    await nav('Search');
    await page.getByRole('heading', { name: 'Search the log' }).waitFor();
    await page.getByLabel('Tier').selectOption('HIGH');
    await page.getByLabel('Entry type').selectOption('action.classified');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('heading', { name: '3 entries' }).waitFor();
    await expectAccessible(page, 'regulator-search');
    await shots('05-search');
    await page.getByRole('link', { name: `Trail of ${signed}` }).click();
    await page.getByRole('heading', { name: `Trail of ${signed}` }).waitFor();
    const n = (await h.log.entriesByActionId(signed)).length;
    // Received, classified, awaiting the signature, the challenge, the live session, the verified signature, authorised, dispatched, executed.
    expect((await h.log.entriesByActionId(signed)).map((e) => e.type)).toEqual(expect.arrayContaining(['signature.challenge_issued', 'signature.session_started', 'signature.verified', 'action.authorised', 'action.executed']));
    await page.getByText(`Every proof verified: all ${n} entries are in the log's signed tree`).waitFor();
    expect(await page.locator('.trail .entry.proven').count()).toBe(n);
    expect(await page.locator('.trail .entry .proof').allTextContents()).toEqual(Array(n).fill(expect.stringMatching(/^Verified inclusion proof: entry \d+ is in the signed tree\.$/)));
    expect(await page.locator('dt:text-is("Outcome") + dd').textContent()).toBe('action.executed');
    expect(await page.locator('dt:text-is("Tier") + dd').textContent()).toBe('HIGH');
    expect(await page.locator('dt:text-is("Approvals") + dd').textContent()).toBe('pam as authorizer · live motion');
    expect((await entriesOf('regulator.read')).findLast((e) => e['resource'] === 'trail')).toMatchObject({ by: 'rita', query: { actionId: signed } });
    await expectAccessible(page, 'regulator-trail');
    await shots('06-trail-high');
  });

  it('shows a proof for another tree, and a checkpoint that does not verify, as failures', async () => {
    // A (compromised) gateway answers the trail with proofs for the current tree but an older signed checkpoint.
    const latestSize = (await h.log.latestCheckpoint())!.size;
    const older = (await h.log.checkpoints(1)).find((c) => c.size > 0 && c.size < latestSize)!;
    await page.route('**/app/api/regulator/actions/*/trail', async (route) => {
      const t = (await (await route.fetch()).json()) as { checkpoint: { note: string; size: number } };
      await route.fulfill({ json: { ...t, checkpoint: { note: older.note, size: older.size } } });
    });
    await page.reload();
    await page.getByText(/entries FAILED their inclusion proof/).waitFor();
    expect(await page.locator('.trail .entry.proven').count()).toBe(0);
    await page.getByText(/Failed inclusion proof: MERKLE_INCLUSION_INVALID/).first().waitFor();
    await expectAccessible(page, 'regulator-trail-other-tree');
    await shots('07-trail-other-tree');
    await page.unroute('**/app/api/regulator/actions/*/trail');
    // A checkpoint whose signature was altered.
    await page.route('**/log/checkpoint', async (route) => {
      const note = await (await route.fetch()).text();
      await route.fulfill({ body: note.replace(/\n\n— (\S+) (.{8})/, (_, k: string, sig: string) => `\n\n— ${k} ${sig.slice(0, 7)}${sig[7] === 'A' ? 'B' : 'A'}`), contentType: 'text/plain; charset=utf-8' });
    });
    await nav('Overview');
    await expect.poll(() => page.locator('dt:text-is("Signature") + dd').textContent()).toMatch(/^Failed NOTE_/);
    await shots('08-overview-bad-checkpoint');
    await page.unroute('**/log/checkpoint');
  });

  it('draws the log: actions per tier, approval time distributions, refusals by reason, cooling depth, modalities', async () => {
    await nav('Charts');
    await page.getByRole('heading', { name: 'Actions per tier over time' }).waitFor();
    await page.getByRole('radio', { name: 'Last hour' }).check();
    await page.getByText(/^Per 1 min 15 s: /).waitFor();
    expect(await page.getByText(/^Per 1 min 15 s: LOW 1, MEDIUM 2, HIGH 3, CRITICAL 1$/).count()).toBe(1);
    expect(await page.locator('.chart canvas').count()).toBe(4);
    const refusals = page.locator('.hbars li');
    expect(await refusals.allTextContents()).toEqual(expect.arrayContaining(['Vetoed: not expected1', 'Expired: no decision while awaiting_signature1']));
    await page.getByText('Signatures per modality, and the fallback').waitFor();
    await expectAccessible(page, 'regulator-charts');
    await shots('09-charts');
  });

  it("shows what an agent wrote as text: markup stays text, a direction override and a look-alike are marked", async () => {
    const payee = '<img src=x onerror=alert(1)>\u202Egnp.exe p\u0430ypal'; // Cyrillic а
    const res = await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee, amount: 120, currency: 'EUR' }, headers: { 'idempotency-key': 'reg-console-hostile' } });
    const id = res.headers.get('analog-firewall-action')!;
    await page.goto(`${appUrl}/app/regulator/actions/${id}`);
    await page.getByRole('heading', { name: `Trail of ${id}` }).waitFor();
    await page.getByText(/^Every proof verified/).waitFor();
    const target = page.locator('dt:text-is("Target") + dd');
    expect(await target.locator('.untrusted').textContent()).toBe('<img src=x onerror=alert(1)>⟨RLO⟩gnp.exe p\u0430ypal');
    await expect.poll(() => target.locator('mark.confusable').count()).toBe(1);
    expect(await target.locator('[role=note]').textContent()).toMatch(/1 text-direction control, 1 look-alike character/);
    expect(await page.evaluate<number>("document.querySelectorAll('main img, main script').length")).toBe(0);
    await expectAccessible(page, 'regulator-trail-hostile');
    await shots('06b-trail-agent-text');
  });

  it('exports the last day as a bundle verified in the page before it is saved; the saved file verifies offline with the CLI rules', async () => {
    await nav('Export');
    await page.getByRole('heading', { name: 'Export a bundle' }).waitFor();
    await expectAccessible(page, 'regulator-export');
    await page.getByRole('button', { name: 'Export and verify' }).click();
    await page.getByText('RESULT: VERIFIED — every check passed.').waitFor({ timeout: 30_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /^Save the bundle/ }).click()]);
    honest = JSON.parse(readFileSync((await download.path())!, 'utf8')) as ExportBundle;
    const report = await verifyBundle(honest, { rootPem: pki.rootPem });
    expect(report.ok).toBe(true);
    expect(honest.entries.some((e) => e.entry.includes(s.high.id))).toBe(true);
    expect((await entriesOf('regulator.export')).at(-1)).toMatchObject({ by: 'rita', via: 'console' });
    await expectAccessible(page, 'regulator-export-done');
    await shots('10-export');
  });

  it('names each tampering of a dropped bundle as the CLI verifier does, per rule and per entry', async () => {
    const ex = indexOf(honest, 'action.executed', s.high.id);
    const approval = indexOf(honest, 'signature.verified', s.high.id);
    const cooling = indexOf(honest, 'action.cooling', s.medium.id);
    const tampered: [string, ExportBundle, string][] = [
      ['byte-flipped', editEntry(honest, ex, (v) => (v['ts'] = (v['ts'] as number) + 1)), 'entry.inclusion'],
      ['approval-removed', removeEntry(honest, approval), 'entries.sequence'],
      ['receipt-forged', editEntry(honest, ex, (v) => (v['receipt'] = forgeJws({ alg: 'EdDSA', typ: 'af-receipt+jwt', kid: honest.jwks.keys[0]!.kid }, { sub: s.high.id }))), 'action.receipt'],
      ['checkpoint-altered', (() => {
        const b = clone(honest);
        b.checkpoints.at(-1)!.note = b.checkpoints.at(-1)!.note.replace(/\n\n— (\S+) (.)/, (_, k: string, c: string) => `\n\n— ${k} ${c === 'A' ? 'B' : 'A'}`);
        return b;
      })(), 'checkpoint.signature'],
      ['attestation-cut', (() => {
        const b = clone(honest);
        b.verifierKey.x5c = b.verifierKey.x5c.slice(1);
        return b;
      })(), 'key.attestation'],
      ['leaf-hashes-altered', (() => {
        const b = clone(honest);
        b.proofs.leafHashes = Buffer.from(b.proofs.leafHashes, 'base64').fill(7, 0, 32).toString('base64');
        return b;
      })(), 'tree.range'],
      ['cooling-dropped', removeEntry(honest, cooling), 'action.cooling'],
    ];
    await nav('Verify a bundle');
    await page.getByRole('heading', { name: 'Verify a bundle' }).waitFor();
    await expectAccessible(page, 'regulator-verify');
    await shots('11-verify');
    for (const [i, [name, bundle, check]] of tampered.entries()) {
      const node = failed(await verifyBundle(bundle, { rootPem: pki.rootPem }));
      expect(node).toContain(check);
      await dropBundle(`${name}.json`, JSON.stringify(bundle), i === 0 ? 'drop' : 'choose');
      await page.getByRole('heading', { name: `Report for ${name}.json` }).waitFor();
      await page.getByText(/^RESULT: FAILED — /).waitFor();
      expect((await page.getByText(/^RESULT: FAILED — /).textContent())!.slice('RESULT: FAILED — '.length).split(', ')).toEqual(node);
      expect((await pageFailed()).sort()).toEqual([...node].sort());
      if (i === 0 || name === 'receipt-forged') {
        await expectAccessible(page, `regulator-verify-${name}`);
        await shots(`12-verify-${name}`);
      }
    }
    // Per entry: the altered execution is named with its check.
    await dropBundle('byte-flipped-again.json', JSON.stringify(tampered[0]![1]), 'choose');
    await page.getByRole('heading', { name: 'Report for byte-flipped-again.json' }).waitFor();
    const card = page.locator('.per-entry > li', { hasText: `Entry ${ex} action.executed` });
    expect(await card.textContent()).toMatch(/Failed entry\.inclusion: entry \d+ \(position \d+\): content does not hash to the leaf committed/);
  });

  it('verifies a dropped bundle with the network gone, once the console was loaded', async () => {
    const kept = () => page.evaluate(async () => (await (globalThis as unknown as { caches: { match(u: string): Promise<unknown> } }).caches.match('/app/regulator')) !== undefined);
    await waitFor(kept, 15_000);
    await context.setOffline(true);
    try {
      await page.goto(`${appUrl}/app/regulator/verify`);
      await page.getByRole('heading', { name: 'Verify a bundle' }).waitFor();
      await page.getByText('The console is stored on this device: this works without a network.').waitFor();
      await dropBundle('honest.json', JSON.stringify(honest), 'drop');
      await page.getByText('RESULT: VERIFIED — every check passed.').waitFor({ timeout: 30_000 });
      await expectAccessible(page, 'regulator-verify-offline');
      await shots('13-verify-offline');
    } finally {
      await context.setOffline(false);
    }
  });

  it('shows at once that the log was rewritten under the page', async () => {
    await page.goto(`${appUrl}/app/regulator`);
    await expect.poll(() => page.locator('dt:text-is("Against earlier checkpoints") + dd').textContent()).toMatch(/^Verified/);
    const seen = await page.evaluate(() => localStorage.getItem('af.regulator.checkpoints.v1'));
    expect(seen).not.toBeNull();
    // The operator stops the gateway, rewrites the HIGH transfer's amount in the log, and starts it again with the same key.
    await h.gw.close();
    rewriteEntry(join(h.dir, 'gateway.db'), indexOf(honest, 'action.received', s.high.id), (v) => ((v['descriptor'] as { amount: number }).amount = 50));
    restarted = await startHarness({ signer, clock, env: { PORT: new URL(h.url).port, DATA_DIR: h.dir }, editPolicy: (y) => y.replace(/sustained: 30s/g, `sustained: ${SUSTAINED}`) });
    await page.reload();
    await page.getByRole('heading', { name: "The log's history was rewritten" }).waitFor();
    expect(await page.locator('.conflict').textContent()).toMatch(/(does not extend its tree of size \d+: its history was rewritten|two different trees of size \d+ were signed)/);
    await expect.poll(() => page.locator('dt:text-is("Against earlier checkpoints") + dd').textContent()).toMatch(/^Failed/);
    await expectAccessible(page, 'regulator-rewritten');
    await shots('14-log-rewritten');
    // It stays on every screen.
    await nav('Search');
    await page.getByRole('heading', { name: "The log's history was rewritten" }).waitFor();
  });

  it('says a regulator session has expired, and signs in again', async () => {
    skew += 2 * 3600_000;
    await page.goto(`${appUrl}/app/regulator`);
    await page.getByRole('heading', { name: 'Your session has expired' }).waitFor();
    expect(await page.locator('.expired').textContent()).toMatch(/^Your regulator session ended at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\./);
    await expectAccessible(page, 'regulator-expired');
    await shots('15-expired');
    await page.getByRole('button', { name: 'Sign in again with passkey' }).click();
    await page.getByRole('heading', { name: 'The log', exact: true }).waitFor();
  });
});
