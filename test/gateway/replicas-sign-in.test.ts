/**
 * Passkey sign-in to the approver app on two replicas behind one public URL, as a balancer with no
 * session affinity sends it (docs/operations.md): the options from one replica, the assertion to
 * the other. Shared: one store and the machine's Redis (a key prefix of this run's own).
 */
import { describe, expect, it } from 'vitest';
import { getAssertion } from '../../clients/device/authenticator/software-authenticator.ts';
import type { Harness } from '../helpers/harness.ts';
import { redisReplicas } from '../helpers/redis-replicas.ts';
import { addPerson } from '../signature/helpers.ts';

const replicas = redisReplicas('sign-in-replicas');

describe('approver app sign-in on two replicas', () => {
  it('a ceremony started at one replica is finished at the other, and only once', async () => {
    const [a, b] = [replicas.a(), replicas.b()];
    const pia = await addPerson(a, 'pia');
    // The app's origin is the public one (the first replica's, as behind the balancer).
    const origin = `http://localhost:${new URL(a.publicUrl).port}`;
    const post = (h: Harness, path: string, body: unknown = {}) =>
      fetch(`${h.url}/app/api${path}`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const o = (await (await post(a, '/session/options')).json()) as { ceremonyId: string; options: { challenge: string } };
    const signedIn = await post(b, '/session', { ceremonyId: o.ceremonyId, credential: getAssertion(pia.credential!, { challenge: o.options.challenge, origin }) });
    expect(signedIn.status).toBe(200);
    expect(await signedIn.json()).toEqual({ person: 'pia' });
    expect(signedIn.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    // The same ceremony again, with a fresh assertion, at either replica: spent.
    for (const h of [a, b]) {
      const again = await post(h, '/session', { ceremonyId: o.ceremonyId, credential: getAssertion(pia.credential!, { challenge: o.options.challenge, origin }) });
      expect(again.status).toBe(401);
      expect(await again.json()).toMatchObject({ code: 'SIGN_IN_REFUSED' });
    }
  });
});
