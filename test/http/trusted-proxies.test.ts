/**
 * Behind a load balancer every request comes from the balancer's address. TRUSTED_PROXIES lets the
 * authentication lock-out key on the client the balancer names in X-Forwarded-For, and only then:
 * a client that is not a trusted balancer cannot pick its own address with the header.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/gateway/config.ts';
import { isFirewallError } from '../../src/core/errors.ts';
import { ROOT, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
const BALANCER = '127.0.0.3';
const STRANGER = '127.0.0.4';

beforeAll(async () => {
  h = await startHarness({ env: { TRUSTED_PROXIES: `${BALANCER}, 10.0.0.0/8`, RATE_AUTH_FAILURES_PER_MIN: '3' } });
});
afterAll(async () => h?.close());

function statusFrom(localAddress: string, forwardedFor?: string): Promise<number> {
  const u = new URL(h.url);
  const headers: Record<string, string> = { authorization: 'Bearer not-a-credential', connection: 'close' };
  if (forwardedFor !== undefined) headers['x-forwarded-for'] = forwardedFor;
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: '/v1/actions/act_x', headers, localAddress, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TRUSTED_PROXIES', () => {
  it('through a trusted balancer, the lock-out keys on the forwarded client, each client on its own', async () => {
    for (let i = 0; i < 3; i++) expect(await statusFrom(BALANCER, '198.51.100.7')).toBe(401);
    expect(await statusFrom(BALANCER, '198.51.100.7')).toBe(429);
    // Another client behind the same balancer is not locked out by the first one's failures…
    expect(await statusFrom(BALANCER, '198.51.100.8')).toBe(401);
    // …nor is the balancer itself, for requests it makes on its own account.
    expect(await statusFrom(BALANCER)).toBe(401);
    // A chain through a second trusted hop (10.0.0.0/8) still ends at the client.
    expect(await statusFrom(BALANCER, '198.51.100.7, 10.1.2.3')).toBe(429);
    // A client cannot launder its address by prepending one: the hop nearest the balancer counts.
    expect(await statusFrom(BALANCER, '192.0.2.99, 198.51.100.7')).toBe(429);
  });

  it('from an address that is not a trusted balancer, X-Forwarded-For is ignored', async () => {
    for (let i = 0; i < 3; i++) expect(await statusFrom(STRANGER, `203.0.113.${i}`)).toBe(401);
    expect(await statusFrom(STRANGER, '203.0.113.200')).toBe(429);
  });

  it('a malformed entry stops start-up, naming the variable', () => {
    let caught: unknown;
    try {
      loadConfig({ TRUSTED_PROXIES: '127.0.0.1, not-an-address' }, ROOT, ROOT);
    } catch (e) {
      caught = e;
    }
    expect(isFirewallError(caught, 'CONFIG_INVALID')).toBe(true);
    expect((caught as { detail?: Record<string, unknown> }).detail).toMatchObject({ variable: 'TRUSTED_PROXIES' });
  });
});
