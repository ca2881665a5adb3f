/**
 * Beginning a passkey sign-in is unauthenticated and costs the HSM a random and a seal: it is
 * limited per client address (RATE_CEREMONIES_PER_MIN), the approver app's and the regulator
 * console's together, as the replicas count it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { RATE_CEREMONIES_PER_MIN: '3' } });
});
afterAll(async () => h?.close());

describe('passkey sign-ins begun per address', () => {
  it('are limited: the fourth in a minute is 429 with Retry-After, whichever app asks', async () => {
    const origin = `http://localhost:${new URL(h.publicUrl).port}`;
    const begin = (path: string) => fetch(`${h.url}${path}`, { method: 'POST', headers: { origin } });
    for (const path of ['/app/api/session/options', '/app/api/regulator/session/options', '/app/api/session/options']) expect((await begin(path)).status).toBe(200);
    for (const path of ['/app/api/session/options', '/app/api/regulator/session/options']) {
      const refused = await begin(path);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ code: 'RATE_LIMITED' });
    }
  });
});
