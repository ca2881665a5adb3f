import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/harness.ts';
import { startAppHarness, type AppHarness } from './app-harness.ts';
import { expectAccessible, launchBrowser, phone, screenshot } from './browser.ts';

/**
 * The approver app end to end in Debian's Chromium (headless, phone-sized), against the gateway on
 * loopback: invitation → passkey enrolment (WebAuthn virtual authenticator) → privacy consent →
 * modalities → sign-out and passkey sign-in → live inbox → veto from the inbox → an agent's
 * hostile payee shown as text. Every screen is checked with axe and photographed.
 */
let h: AppHarness;
let browser: Browser;
let page: Page;
let inviteUrl: string;

const submit = (amount: number, payee: string, key: string) =>
  h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee, amount, currency: 'EUR' }, headers: { 'idempotency-key': key } });

/** Presses Tab until the focused element is named `name` (at most 30 presses). */
async function tabTo(p: Page, name: string): Promise<void> {
  for (let i = 0; i < 30; i++) {
    await p.keyboard.press('Tab');
    if ((await p.evaluate<string>("(document.activeElement?.textContent ?? '').trim()")) === name) return;
  }
  throw new Error(`Tab never reached '${name}'`);
}

async function actionId(r: Response): Promise<string> {
  const body = (await r.json()) as { id: string; status: string };
  return body.id;
}

beforeAll(async () => {
  h = await startAppHarness();
  browser = await launchBrowser();
  ({ page } = await phone(browser));
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('approver app in a real browser', () => {
  it('enrols alice from an invitation: passkey, privacy consent (logged), modalities; the link is single use', async () => {
    inviteUrl = (await h.invite('alice')).url;
    expect(inviteUrl).toMatch(new RegExp(`^${h.appUrl}/app/enrol#[A-Za-z0-9_-]{43}$`));
    await page.goto(inviteUrl);
    await page.getByRole('heading', { name: /Welcome, alice/ }).waitFor();
    // The token does not stay in the address bar or the history.
    expect(page.url()).toBe(`${h.appUrl}/app/enrol`);
    await expectAccessible(page, 'enrol-passkey');
    await screenshot(page, '01-enrol-passkey');

    await page.getByRole('button', { name: 'Create passkey' }).click();
    await page.getByRole('heading', { name: 'Your privacy' }).waitFor();
    await expectAccessible(page, 'enrol-privacy');
    await screenshot(page, '02-enrol-privacy');
    const agree = page.getByRole('button', { name: 'Agree and continue' });
    expect(await agree.isDisabled()).toBe(true);
    await page.getByLabel(/I have read the privacy notice/).check();
    await agree.click();

    await page.getByRole('heading', { name: 'How can you sign?' }).waitFor();
    await expectAccessible(page, 'enrol-modalities');
    await screenshot(page, '03-enrol-modalities');
    await page.getByRole('checkbox', { name: /Movement/ }).check();
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByRole('heading', { name: 'Calibration' }).waitFor();
    await expectAccessible(page, 'enrol-calibration');
    await screenshot(page, '04-enrol-calibration');
    await page.getByRole('button', { name: 'Start a calibration session' }).click();
    await page.locator('.signing h2, .signing [role=alert]').first().waitFor();
    await screenshot(page, '05-enrol-calibration-session');
    await page.getByRole('button', { name: 'Finish calibration later' }).click();
    await page.getByRole('heading', { name: 'You are enrolled' }).waitFor();
    await expectAccessible(page, 'enrol-done');
    await screenshot(page, '06-enrol-done');

    // What the gateway now knows: a discoverable phone passkey, the declaration, and the consent in the log.
    const person = (await h.signatures.service!.store.getPerson('alice'))!;
    expect(person.modalities).toEqual(['motion']);
    const devices = await h.signatures.service!.store.devicesOf('alice');
    expect(devices).toHaveLength(1);
    expect((await h.log.entriesByType('person.privacy_consent')).map((e) => (e.entry as { who: string }).who)).toEqual(['alice']);
    expect(await h.log.entriesByType('person.invitation_used')).toHaveLength(1);
    const [cookie] = await page.context().cookies(h.appUrl);
    expect(cookie).toMatchObject({ name: 'af_session', httpOnly: true, sameSite: 'Strict', path: '/' });

    // The same link again (opened afresh, as from a message): refused, with the reason.
    await page.goto('about:blank');
    await page.goto(inviteUrl);
    await page.getByRole('heading', { name: 'Invitation not valid' }).waitFor();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('already used');
    await expectAccessible(page, 'enrol-invalid');
    await screenshot(page, '07-enrol-invitation-used');
  });

  it('signs out, and signs in again with the passkey alone', async () => {
    await page.goto(`${h.appUrl}/app/inbox`);
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expectAccessible(page, 'sign-in');
    await screenshot(page, '08-sign-in');
    // The old session is gone on the server, not only in the browser.
    const r = await page.request.get(`${h.appUrl}/app/api/inbox`);
    expect(r.status()).toBe(401);
    // By keyboard: from the screen's heading, Tab reaches the button, Enter uses it.
    await tabTo(page, 'Sign in with passkey');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    await page.getByText('Nothing waits for you.').waitFor();
    await expectAccessible(page, 'inbox-empty');
    await screenshot(page, '09-inbox-empty');
    expect((await h.log.entriesByType('device.authenticated')).some((e) => (e.entry as { purpose?: string }).purpose === 'app_sign_in')).toBe(true);
  });

  it('shows a MEDIUM transfer live in the inbox with its countdown; vetoed there, it never executes', async () => {
    const id = await actionId(await submit(250, 'DE89370400440532013000', 'app-medium-1'));
    const card = page.locator('article.card', { hasText: '250.00 EUR' });
    await card.waitFor(); // arrived over the event stream, no reload
    await expect.poll(() => card.locator('.deadline').textContent()).toMatch(/^runs in \d+:\d\d$/);
    await expectAccessible(page, 'inbox-veto');
    await screenshot(page, '10-inbox-medium');
    // By keyboard: Tab to Veto, Enter; focus lands in the reason; Tab to Confirm, Enter.
    await tabTo(page, 'Veto');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate<string>('document.activeElement?.tagName ?? ""')).toBe('TEXTAREA');
    await page.keyboard.type('I do not know this payee');
    expect(await card.getByLabel(/Why do you veto it/).inputValue()).toBe('I do not know this payee');
    await screenshot(page, '11-inbox-veto-reason');
    await tabTo(page, 'Confirm veto');
    await page.keyboard.press('Enter');
    await page.getByText('Nothing waits for you.').waitFor();
    const a = (await (await h.as('alice', 'GET', `/v1/actions/${id}`)).json()) as { status: string; vetoedBy: string };
    expect(a).toMatchObject({ status: 'vetoed', vetoedBy: 'alice' });
    expect((await h.log.entriesByActionId(id)).find((e) => e.type === 'action.vetoed')?.entry).toMatchObject({ by: 'alice', reason: 'I do not know this payee' });
    expect(h.payments.executions.filter((e) => JSON.stringify(e.body).includes('"amount":250'))).toEqual([]);
  });

  it('renders an agent-supplied <script> payee with a bidi override and a look-alike letter as text, flagged', async () => {
    const payee = '<script>document.title="owned"</script><img src=x onerror=alert(1)>\u202Egnp.exe \u200Bpаypal'; // Cyrillic а
    const id = await actionId(await submit(5000, payee, 'app-high-1'));
    const card = page.locator('article.card', { hasText: '5,000.00 EUR' });
    await card.waitFor();
    await screenshot(page, '12-inbox-high');
    await expectAccessible(page, 'inbox-high');
    await card.getByRole('link', { name: 'Details' }).click();
    await page.getByRole('heading', { name: /transfer 5,000.00 EUR/ }).waitFor();
    const target = page.locator('dt:text-is("Payee or target") + dd');
    const text = await target.locator('.untrusted').textContent();
    expect(text).toContain('<script>document.title="owned"</script><img src=x onerror=alert(1)>');
    expect(text).toContain('⟨RLO⟩gnp.exe');
    expect(text).toContain('⟨ZWSP⟩');
    expect(await target.locator('mark.confusable').first().textContent()).toBe('а');
    expect(await target.locator('[role=note]').textContent()).toMatch(/1 text-direction control, 1 invisible character, 1 look-alike character/);
    // Nothing the agent wrote became markup: no element from it, no script run.
    expect(await page.evaluate<number>("document.querySelectorAll('main script, main img').length")).toBe(0);
    expect(await page.title()).not.toBe('owned');
    expect(await page.locator('.fingerprint code').textContent()).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){3}$/);
    await expectAccessible(page, 'action-detail');
    await screenshot(page, '13-action-detail');

    await page.getByRole('button', { name: 'Report as suspicious' }).click();
    await page.getByLabel('What looks wrong?').fill('payee looks forged');
    await page.getByRole('button', { name: 'Send report' }).click();
    await page.getByText(/^Reported\./).waitFor();
    expect((await h.log.entriesByActionId(id)).find((e) => e.type === 'action.reported_suspicious')?.entry).toMatchObject({ by: 'alice', reason: 'payee looks forged' });
    await screenshot(page, '14-action-reported');

    await page.getByRole('button', { name: 'Sign', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign', exact: true }).waitFor();
    await page.locator('.signing > *').first().waitFor();
    await expectAccessible(page, 'sign');
    await screenshot(page, '15-sign');
    // Nothing was signed: the action still waits.
    await waitFor(async () => ((await (await h.as('alice', 'GET', `/v1/actions/${id}`)).json()) as { status: string }).status === 'awaiting_signature');
  });

  it('refuses a cross-site POST: the session cookie is not sent and the Origin is not the app', async () => {
    await page.goto(`${h.appUrl}/app/inbox`);
    const id = await actionId(await submit(300, 'DE89370400440532013000', 'app-medium-2'));
    await page.locator('article.card', { hasText: '300.00 EUR' }).waitFor();
    // Another site (127.0.0.1 is another site than localhost) posts a veto in the person's browser.
    const other = await page.context().newPage();
    await other.goto(`${h.url}/healthz`);
    const status = await other.evaluate(async (u) => {
      const r = await fetch(u, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: '{"reason":"csrf"}' }).catch(() => undefined);
      return r?.status ?? 0;
    }, `${h.appUrl}/app/api/actions/${id}/veto`);
    expect(status === 0 || status === 403).toBe(true); // CORS blocks reading the answer (0), or the gateway refuses
    await other.close();
    // (Velocity may have lifted this one to HIGH after the 5,000 EUR transfer: it waits either way.)
    const a = (await (await h.as('alice', 'GET', `/v1/actions/${id}`)).json()) as { status: string };
    expect(['cooling', 'awaiting_signature']).toContain(a.status);
    expect((await h.log.entriesByActionId(id)).map((e) => e.type)).not.toContain('action.vetoed');
  });
});
