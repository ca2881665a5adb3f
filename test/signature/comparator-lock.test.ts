import type { KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAssertion } from '../../clients/device/authenticator/software-authenticator.ts';
import { assertionChallenge } from '../../src/core/signature/transcript.ts';
import type { Harness } from '../helpers/harness.ts';
import { actionStatus, addPerson, entries, failTimes, startSignatureHarness, type TestPerson } from './helpers.ts';

/**
 * A locked person authorises nothing until unlocked (§5): not as a CRITICAL action's comparator
 * either. The co-signature is refused when asked for while locked, and when the lock lands between
 * the options and the answer.
 */
let h: Harness;
let ops: { id: string; key: KeyObject };
let erin: TestPerson;
beforeAll(async () => {
  h = await startSignatureHarness({ label: 'comparator-lock' });
  ops = await h.addAgent('agent-ops', 'olga');
  erin = await addPerson(h, 'erin', { roles: ['comparator'], modalities: ['motion'] });
});
afterAll(async () => h.close());

async function critical(key: string): Promise<{ id: string; digest: string }> {
  const res = await h.as(ops, 'DELETE', `/proxy/infra/clusters/${key}`, { headers: { 'idempotency-key': key } });
  const a = (await res.json()) as { id: string; digest: string; status: string };
  expect(a.status).toBe('awaiting_quorum');
  return a;
}

describe('a locked comparator', () => {
  it('cannot finish a co-signature it started before the lock, nor start one while locked', async () => {
    const a = await critical('cl-lock-1');
    const opt = await erin.client.ok<{ nonce: string; statementHash: string }>('POST', `/v1/actions/${a.id}/comparator/options`, { credentialId: erin.credential!.id });

    await failTimes(h, 'erin', 5);
    expect((await h.signatures.service!.store.getPerson('erin'))?.lockedAt).not.toBeNull();

    const challenge = assertionChallenge(Buffer.from(opt.nonce, 'base64url'), a.digest, opt.statementHash);
    const done = await erin.client.request<{ code?: string }>('POST', `/v1/actions/${a.id}/comparator`, { credential: getAssertion(erin.credential!, { challenge, origin: h.url }) });
    expect(done.status).toBe(423);
    expect(done.json.code).toBe('PERSON_LOCKED');
    expect(await entries(h, { actionId: a.id, type: 'comparator.cosign_refused' })).toMatchObject([{ who: 'erin', code: 'PERSON_LOCKED' }]);
    expect(await entries(h, { actionId: a.id, type: 'signature.verified' })).toEqual([]);
    expect(await actionStatus(h, a.id)).toBe('awaiting_quorum');

    const b = await critical('cl-lock-2');
    const again = await erin.client.request<{ code?: string }>('POST', `/v1/actions/${b.id}/comparator/options`, { credentialId: erin.credential!.id });
    expect(again.status).toBe(423);
    expect(again.json.code).toBe('PERSON_LOCKED');
    expect(await entries(h, { actionId: b.id, type: 'comparator.cosign_started' })).toEqual([]);
  });
});
