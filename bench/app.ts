import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startAppHarness } from '../test/app/app-harness.ts';
import { CHROMIUM } from '../test/app/browser.ts';

/**
 * The approver app in headless Chromium on loopback (issue 14):
 * - app_js_gzip_kb: everything the app loads before the inbox shows (shell, scripts, styles,
 *   manifest, icons; not the API's JSON), gzip-compressed as a server or CDN would send it;
 * - app_inbox_ms: navigation start to an interactive inbox (its list rendered from the gateway's
 *   data, the page's `af-inbox-ready` mark), median of 7 cold loads (a new browser context each),
 *   signed in, three actions waiting.
 */
export async function benchApp(): Promise<Record<string, number>> {
  const h = await startAppHarness();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    await h.as('alice', 'PUT', '/v1/people/alice', { body: { modalities: ['motion'] } });
    for (let i = 0; i < 3; i++) await h.as('agent', 'POST', '/proxy/payments/transfers', { body: { payee: `DE${i}`, amount: 100 + i, currency: 'EUR' }, headers: { 'idempotency-key': `bench-${i}` } });
    const times: number[] = [];
    let bytes = 0;
    for (let run = 0; run < 7; run++) {
      const token = await h.approver.app!.sessions.create('alice', h.appUrl);
      const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
      await context.addCookies([{ name: 'af_session', value: token, url: h.appUrl, httpOnly: true, sameSite: 'Strict' }]);
      const page = await context.newPage();
      const loaded: Promise<number>[] = [];
      page.on('response', (r) => {
        const u = new URL(r.url());
        if (u.pathname.startsWith('/app/') && !u.pathname.startsWith('/app/api/')) loaded.push(r.body().then((b) => gzipSync(b, { level: 9 }).length, () => 0));
      });
      await page.goto(`${h.appUrl}/app/inbox`);
      // (Strings: they run in the page, whose DOM types this Node project does not load.)
      // A function, not a string: a string predicate is compiled in the page, which the app's CSP (no eval) refuses.
      await page.waitForFunction(() => (globalThis as unknown as { document: { body: { dataset: Record<string, string | undefined> } } }).document.body.dataset['ready'] === 'inbox');
      times.push(await page.evaluate<number>("performance.getEntriesByName('af-inbox-ready')[0].startTime"));
      if (run === 0) bytes = (await Promise.all(loaded)).reduce((a, b) => a + b, 0);
      await context.close();
    }
    times.sort((a, b) => a - b);
    return { app_js_gzip_kb: Math.round((bytes / 1024) * 10) / 10, app_inbox_ms: Math.round(times[Math.floor(times.length / 2)]!) };
  } finally {
    await browser.close();
    await h.close();
  }
}
