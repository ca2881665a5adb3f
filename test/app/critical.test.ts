import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/harness.ts';
import { createTestPki, type TestPki } from '../log/helpers/pki.ts';
import { AttestedSigner } from '../regulator/helpers/attested-signer.ts';
import { actionStatus, entries, SeededSigner, startSignatureHarness } from '../signature/helpers.ts';
import { withAdmin, type AppHarness } from './app-harness.ts';
import { feedMotion, SimulatedBody } from './body.ts';
import { expectAccessible } from './browser.ts';
import { enrolInApp, launchChromium, phonePage, screenshot, signingOutcome, virtualAuthenticator } from './signing-browser.ts';

/**
 * CRITICAL and the fallback in the approver app (issue #14 item 6), in Debian's Chromium against
 * the gateway on loopback, each person in their own browser context with their own passkey:
 * a HIGH transfer declined with a reason (logged, in the trail, never executed, never asked
 * again); a witness confirming a person who uses no modality, which executes the transfer; a
 * CRITICAL transfer whose agent-supplied payee is a `<script>`, signed by two approvers
 * from their own phones with live motion, then reviewed by the comparator, whose page checks the
 * evidence package's proofs itself (the log key's HSM attestation with WebCrypto, the signed
 * checkpoint, every inclusion proof) before she co-signs with her passkey: it executes at the
 * actuator. An evidence package with one tampered proof is shown as failing, with nothing to sign.
 *
 * The gateway's signer is seeded (reproducible stimuli) and attests its keys with a test PKI, as
 * the HSM does; a CRITICAL rule for transfers of a million or more is added to the example policy.
 */
class SeededAttestedSigner extends AttestedSigner {
  readonly #seeded: SeededSigner;
  constructor(pki: TestPki, label: string) {
    super(pki);
    this.#seeded = new SeededSigner(label);
  }
  override random(length: number): Promise<Uint8Array> {
    return this.#seeded.random(length);
  }
}

/** A CRITICAL rule for this test: a transfer of a million or more needs two of 'platform' and the compliance comparator. */
const HUGE_TRANSFER = `  - id: huge-transfer
    match: { actuator: payments, operation: transfer, amount: { currency: EUR, gte: 1000000 } }
    tier: CRITICAL
    reason: A transfer this large needs two platform people and compliance.
    quorum:
      all_of: [ { group: platform, min: 2 } ]
      window: 1h
      comparator: { group: compliance, biological: false }
`;

let pki: TestPki;
let h: AppHarness;
let browser: Browser;
const phones = new Map<string, { context: BrowserContext; page: Page; cdp: CDPSession }>();
let declinedHigh: string;
/** The CRITICAL transfer and its agent-supplied payee. */
let critical: string;
const payee = '<script>document.title="owned"</script><img src=x onerror=alert(1)>';

async function phoneOf(person: string) {
  let p = phones.get(person);
  if (p === undefined) {
    const s = await phonePage(browser);
    await virtualAuthenticator(s.cdp);
    p = { context: s.context, page: s.page, cdp: s.cdp };
    phones.set(person, p);
  }
  return p;
}

const transfer = async (amount: number, key: string): Promise<string> => {
  const r = await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: 'DE89370400440532013000', amount, currency: 'EUR' }, headers: { 'idempotency-key': key } });
  const a = (await r.json()) as { id: string; status: string };
  expect(a.status).toBe('awaiting_signature');
  return a.id;
};

beforeAll(async () => {
  pki = createTestPki();
  h = await withAdmin(
    await startSignatureHarness({
      label: 'app-critical',
      // The example policy's modality roles: a person with one primary signs for twice as long.
      keepRoles: true,
      signer: new SeededAttestedSigner(pki, 'app-critical'),
      editPolicy: (y) => y.replace('  # --- HIGH: one person', HUGE_TRANSFER + '  # --- HIGH: one person'),
    }),
  );
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
  pki?.dispose();
});

describe('CRITICAL and the fallback in the approver app', () => {
  it('a HIGH transfer declined with a reason never executes: the reason is in the log and the trail, and nobody asks again', async () => {
    const { page } = await phoneOf('alice');
    await enrolInApp(page, h, 'alice', ['motion']);
    declinedHigh = await transfer(5000, 'critical-decline');
    await page.goto(`${h.appUrl}/app/inbox`);
    const card = page.locator('article.card', { hasText: '5,000.00 EUR' });
    await card.getByRole('link', { name: 'Sign', exact: true }).waitFor();
    await card.getByRole('link', { name: 'Details' }).click();
    await page.getByRole('heading', { name: /transfer 5,000.00 EUR/ }).waitFor();
    await page.getByRole('button', { name: 'Decline' }).click();
    const confirm = page.getByRole('button', { name: 'Confirm decline' });
    // A decline says why: the confirmation waits for a reason.
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByLabel('Why do you decline to sign?').fill('I did not ask for a payment to this account');
    await expectAccessible(page, 'action-decline');
    await screenshot(page, 'critical-01-decline-reason');
    await confirm.click();
    await page.getByText(/^Declined\./).waitFor();
    const trail = page.locator('.trail li', { hasText: 'Declined by' });
    await trail.waitFor();
    expect(await trail.textContent()).toContain('I did not ask for a payment to this account');
    await expectAccessible(page, 'action-declined');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page, 'action-declined-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await screenshot(page, 'critical-02-declined-trail');

    expect(await entries(h, { actionId: declinedHigh, type: 'signature.declined' })).toEqual([expect.objectContaining({ who: 'alice', role: 'authorizer', reason: 'I did not ask for a payment to this account' })]);
    expect(await actionStatus(h, declinedHigh)).toBe('awaiting_signature');
    // Not asked again: no challenge for her on request, nor through `next`.
    const again = await h.as('alice', 'POST', '/v1/people/alice/challenges', { body: { actionId: declinedHigh } });
    expect(((await again.json()) as { code: string }).code).toBe('CHALLENGE_NOT_ISSUED');
    expect((await h.as('alice', 'POST', '/v1/people/alice/challenges/next')).status).toBe(404);
    await page.goto(`${h.appUrl}/app/inbox`);
    await page.getByText('Nothing waits for you.').waitFor();
    expect(h.payments.executions.filter((e) => e.key === declinedHigh)).toEqual([]);
  });

  it('a witness confirms, with her passkey, a person who uses no modality: the transfer executes', async () => {
    const erin = await phoneOf('erin');
    // An invitation names a new person's roles; the enrolment helper's own invitation then finds erin a comparator.
    await h.invite('erin', ['comparator']);
    await enrolInApp(erin.page, h, 'erin', ['motion']);
    // wendy can produce no signal a phone measures: the witness path of enrolment.
    const wendy = await phoneOf('wendy');
    await wendy.page.goto((await h.invite('wendy')).url);
    await wendy.page.getByRole('button', { name: 'Create passkey' }).click();
    await wendy.page.getByLabel(/I have read the privacy notice/).check();
    await wendy.page.getByRole('button', { name: 'Agree and continue' }).click();
    await wendy.page.getByRole('checkbox', { name: /use an institutional witness/ }).check();
    await wendy.page.getByRole('button', { name: 'Continue' }).click();
    await wendy.page.getByRole('heading', { name: 'You are enrolled' }).waitFor();

    const id = await transfer(7000, 'critical-witness');
    // wendy sees what waits on her, and that a witness confirms it with her: nothing to sign on her phone.
    await wendy.page.goto(`${h.appUrl}/app/inbox`);
    const waiting = wendy.page.locator('section[aria-labelledby="h-witnessed"]');
    await waiting.locator('article.card', { hasText: '7,000.00 EUR' }).waitFor();
    expect(await waiting.textContent()).toContain('A witness (a compliance officer) meets you, reads you the request and confirms it with their own passkey.');
    expect(await waiting.getByRole('link', { name: /^(Sign|Witness)/ }).count()).toBe(0);
    await expectAccessible(wendy.page, 'inbox-witnessed');
    await screenshot(wendy.page, 'critical-03a-inbox-witnessed');
    const { page } = erin;
    await page.goto(`${h.appUrl}/app/inbox`);
    const card = page.locator('section[aria-labelledby="h-witness"] article.card', { hasText: '7,000.00 EUR' });
    await card.waitFor();
    expect(await card.textContent()).toContain('witness for wendy');
    await card.getByRole('link', { name: 'Witness' }).click();
    await page.getByRole('heading', { name: 'Witness request' }).waitFor();
    const sign = page.getByRole('button', { name: 'Confirm with passkey' });
    expect(await sign.isDisabled()).toBe(true);
    await page.getByRole('checkbox', { name: /in person and checked who they are/ }).check();
    await page.getByRole('checkbox', { name: /They heard this action/ }).check();
    await expectAccessible(page, 'witness');
    await screenshot(page, 'critical-03-witness');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page, 'witness-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await sign.click();
    await page.getByText(/^Witnessed\./).waitFor();
    await screenshot(page, 'critical-04-witnessed');

    await waitFor(async () => ((await actionStatus(h, id)) === 'executed' ? true : undefined));
    expect(h.payments.executions.filter((e) => e.key === id)).toHaveLength(1);
    expect(await entries(h, { actionId: id, type: 'signature.verified' })).toEqual([expect.objectContaining({ who: 'erin', role: 'witness', onBehalfOf: 'wendy' })]);
  });

  it('CRITICAL: two approvers sign their shares from their own phones, with live motion and their passkeys; the comparator sees the review waiting, with nothing to co-sign yet', async () => {
    for (const p of ['carol', 'dave']) await enrolInApp((await phoneOf(p)).page, h, p, ['motion']);
    const res = await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee, amount: 2_500_000, currency: 'EUR' }, headers: { 'idempotency-key': 'critical-huge' } });
    const a = (await res.json()) as { id: string; status: string; tier: string; descriptor: { target: string } };
    expect(a).toMatchObject({ status: 'awaiting_quorum', tier: 'CRITICAL', descriptor: { target: payee } });
    critical = a.id;

    // The comparator sees the review waiting before the approvers are done: nothing to co-sign yet.
    const { page } = await phoneOf('erin');
    await page.goto(`${h.appUrl}/app/inbox`);
    await page.locator('section[aria-labelledby="h-comparator"] article.card').getByRole('link', { name: 'Review evidence' }).click();
    await page.getByRole('heading', { name: 'Comparator review' }).waitFor();
    await page.getByText(/quorum is not complete yet/).waitFor();
    expect(await page.getByRole('button', { name: 'Co-sign with passkey' }).count()).toBe(0);
    await expectAccessible(page, 'comparator-waiting');
    await screenshot(page, 'critical-05-comparator-waiting');

    // Each approver's share, from their own phone: inbox → "Sign your share" → live motion → passkey.
    for (const [i, person] of ['carol', 'dave'].entries()) {
      const p = (await phoneOf(person))!;
      const body = new SimulatedBody(person, ['motion'], `critical-share-${person}`);
      body.watch(p.page);
      const stop = await feedMotion(p.cdp, body);
      try {
        await p.page.goto(`${h.appUrl}/app/inbox`);
        const share = p.page.locator('section[aria-labelledby="h-share"] article.card');
        await share.getByRole('link', { name: 'Sign your share' }).click();
        await p.page.getByRole('button', { name: /Start signing/ }).waitFor();
        if (i === 0) {
          await expectAccessible(p.page, 'sign-share');
          await screenshot(p.page, 'critical-06-sign-share');
        }
        await p.page.getByRole('button', { name: /Start signing/ }).click();
        const outcome = await signingOutcome(p.page, 90_000);
        expect(outcome, JSON.stringify(await entries(h, { actionId: a.id, type: 'signature.refused' }))).toBe('accepted');
      } finally {
        stop();
      }
    }
    expect((await entries(h, { actionId: a.id, type: 'action.approval_recorded' })).map((e) => e['who'])).toEqual(['carol', 'dave']);
    expect(await actionStatus(h, a.id)).toBe('awaiting_quorum');
  }, 240_000);

  it('the comparator checks the evidence in her browser (a tampered proof is shown as failing, with nothing to sign), co-signs with her passkey, and the CRITICAL transfer executes', async () => {
    const a = { id: critical };
    // Her page, open since before the approvers signed, read and checked the package again as they did.
    const { page } = await phoneOf('erin');
    await page.getByText('The approvers’ quorum is complete: your co-signature is what remains.').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Co-sign with passkey' }).waitFor();

    // The quorum is met and co-signing would be offered; but the same package with one inclusion
    // proof altered on its way to the page is shown as failing, with nothing to sign.
    await page.route('**/app/api/actions/*/evidence', async (route) => {
      const r = await route.fetch();
      const e = (await r.json()) as { log: { inclusion: { hashes: string[] }[] } };
      const hash = e.log.inclusion[0]!.hashes[0]!;
      e.log.inclusion[0]!.hashes[0] = (hash[0] === 'A' ? 'B' : 'A') + hash.slice(1);
      await route.fulfill({ response: r, json: e });
    });
    await page.reload();
    await page.getByRole('heading', { name: 'Comparator review' }).waitFor();
    await page.getByText(/Verification failed\. Do not co-sign/).waitFor();
    expect(await page.getByText('✓ Every check passed.').count()).toBe(0);
    expect(await page.locator('.checks li.fail').evaluateAll((els) => els.map((e) => e.querySelector('strong')?.textContent))).toEqual([
      'Every approval entry is included in the signed log',
      'Every approval listed is the one the log records',
    ]);
    expect(await page.getByRole('button', { name: 'Co-sign with passkey' }).count()).toBe(0);
    await expectAccessible(page, 'comparator-tampered');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page, 'comparator-tampered-dark');
    await screenshot(page, 'critical-07b-comparator-tampered-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await screenshot(page, 'critical-07-comparator-tampered');
    await page.unroute('**/app/api/actions/*/evidence');
    await page.reload();

    // The honest package, read and checked in the page.
    await page.getByText('✓ Every check passed.').waitFor({ timeout: 30_000 });
    await page.getByText(/quorum is complete/).first().waitFor();
    const checks = await page.locator('.checks li').evaluateAll((els) => els.map((e) => `${e.className}: ${e.textContent ?? ''}`));
    expect(checks).toHaveLength(5);
    expect(checks.every((c) => c.startsWith('pass:'))).toBe(true);
    expect(await page.locator('.checks').textContent()).toContain('test hsm checkpoint key');
    const approvals = page.locator('article[aria-label^="approval by"]');
    expect(await approvals.count()).toBe(2);
    expect(await approvals.first().textContent()).toMatch(/carol.*authorizer.*live motion: 1 of 1 accepted.*Proven in the signed log/s);
    // The agent's payee, on this screen too: text, never markup, never run.
    const shown = page.locator('dt:text-is("Payee or target") + dd .untrusted');
    expect(await shown.textContent()).toBe(payee);
    expect(await page.evaluate<number>("document.querySelectorAll('main script, main img').length")).toBe(0);
    expect(await page.title()).not.toBe('owned');
    await expectAccessible(page, 'comparator');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page, 'comparator-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await screenshot(page, 'critical-08-comparator');

    await page.getByRole('button', { name: 'Co-sign with passkey' }).click();
    await page.getByText(/^Co-signed\. The quorum is complete and the action is authorised\./).waitFor();
    await screenshot(page, 'critical-09-cosigned');
    await waitFor(async () => ((await actionStatus(h, a.id)) === 'executed' ? true : undefined));
    expect(h.payments.executions.filter((e) => e.key === a.id)).toHaveLength(1);
    expect((await entries(h, { actionId: a.id, type: 'signature.verified' })).map((e) => [e['who'], e['role']])).toEqual([
      ['carol', 'authorizer'],
      ['dave', 'authorizer'],
      ['erin', 'comparator'],
    ]);

    // The HIGH transfer alice declined is still not executed by anyone.
    expect(h.payments.executions.filter((e) => e.key === declinedHigh)).toEqual([]);
  });
});
