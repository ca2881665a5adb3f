/**
 * Challenge nonces stored sealed (docs/protocol.md §2 Challenge lifecycle): the row holds the nonce
 * sealed by the HSM's key, bound to the challenge id; a process that does not hold the nonce in
 * memory (another replica, this one after a restart: here, a cold cache) opens it when the device
 * connects. The HSM down: a clear refusal, nothing consumed, the action waits. A sealed nonce
 * altered or moved to another challenge does not open. Challenges from before the migration (no
 * sealed nonce) still close with GATEWAY_RESTARTED; a started session nobody runs any more closes
 * with SESSION_LOST. Real HTTP, WebSocket and SQLite.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLiveSession } from '../../clients/device/live-session.ts';
import type { ChallengeView } from '../../clients/device/gateway-client.ts';
import { MemorySealer } from '../helpers/memory-sealer.ts';
import { waitFor, type Harness } from '../helpers/harness.ts';
import { RawSession, actionStatus, addPerson, challengeOf, entries, highTransfer, honestSession, startSignatureHarness, type TestPerson } from './helpers.ts';

let h: Harness;
let db: DatabaseSync;
const sealer = new MemorySealer();
let uma: TestPerson, vic: TestPerson, wes: TestPerson, xia: TestPerson;

beforeAll(async () => {
  h = await startSignatureHarness({ label: 'sealed-nonce', sealer });
  // People only the tests below are asked by: each action goes to every authorizer, so each test
  // looks at its own person's challenge.
  uma = await addPerson(h, 'uma');
  vic = await addPerson(h, 'vic');
  wes = await addPerson(h, 'wes');
  xia = await addPerson(h, 'xia');
  // A second connection to the gateway's database, as an attacker with write access (or a migration) has.
  db = new DatabaseSync(join(h.dir, 'gateway.db'));
  db.exec('PRAGMA busy_timeout = 5000');
});
afterAll(async () => {
  db.close();
  await h.close();
});

const honest = honestSession;

const sealedOf = (id: string) => (db.prepare('SELECT nonce_sealed FROM sig_challenges WHERE id = ?').get(id) as { nonce_sealed: string | null }).nonce_sealed;
const stateOf = (id: string) => (db.prepare('SELECT state, outcome FROM sig_challenges WHERE id = ?').get(id) as { state: string; outcome: string | null });
/** This process forgets the nonce, as another replica (or this one after a restart) never held it. */
const coldCache = (id: string) => h.signatures.service!.issuer.nonces.forget(id);

async function refusedAtHello(p: TestPerson, c: ChallengeView): Promise<number> {
  const s = await RawSession.open(p, c.id);
  s.hello(p, c);
  return s.closed;
}

describe('challenge nonces sealed in the store', () => {
  it('a cold process opens the sealed nonce and the session succeeds; the row never held the nonce in clear', async () => {
    const a = await highTransfer(h, 'sealed-ok');
    const c = await challengeOf(uma, a.id);
    const sealed = sealedOf(c.id);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    coldCache(c.id);
    const r = await runLiveSession(honest(uma, c, 'sealed-ok'));
    expect(r.result).toMatchObject({ outcome: 'accepted' });
    await waitFor(async () => ((await actionStatus(h, a.id)) === 'executed' ? true : undefined));
    expect(h.payments.executions.filter((e) => e.key === a.id)).toHaveLength(1);
    // The nonce the session used is the one committed at issue, and the sealed copy hid it.
    const nonce = Buffer.from(r.messages.find((m) => m.type === 'sign')!['nonce'] as string, 'base64url');
    const issued = (await entries(h, { actionId: a.id, type: 'signature.challenge_issued' })).find((e) => e['person'] === 'uma')!;
    expect(createHash('sha256').update(nonce).digest('hex')).toBe(issued['nonceSha256']);
    const blob = Buffer.from(sealed!, 'base64url');
    expect(blob.includes(nonce)).toBe(false);
    expect(sealed).not.toContain(nonce.toString('base64url'));
    // Closed: the sealed copy is gone with it.
    expect(stateOf(c.id).state).toBe('succeeded');
    expect(sealedOf(c.id)).toBeNull();
  });

  it('HSM down when the device connects: refused as unavailable, nothing consumed or counted, the action waits; back up, the same challenge is signed', async () => {
    const a = await highTransfer(h, 'sealed-hsm-down');
    const c = await challengeOf(vic, a.id);
    coldCache(c.id);
    sealer.healthy = false;
    try {
      expect(await refusedAtHello(vic, c)).toBe(4409);
    } finally {
      sealer.healthy = true;
    }
    const refused = await waitFor(async () => (await entries(h, { actionId: a.id, type: 'signature.refused' })).find((e) => e['who'] === 'vic'));
    expect(refused).toMatchObject({ code: 'HSM_UNAVAILABLE' });
    expect(refused).not.toHaveProperty('consecutiveFailures');
    expect(stateOf(c.id).state).toBe('issued');
    expect(await actionStatus(h, a.id)).toBe('awaiting_signature');
    expect(h.payments.executions.find((e) => e.key === a.id)).toBeUndefined();
    expect((await h.gw.ctx.store.signatures.getPerson('vic'))!.failures).toBe(0);

    const r = await runLiveSession(honest(vic, c, 'sealed-hsm-back'));
    expect(r.result).toMatchObject({ outcome: 'accepted' });
    await waitFor(async () => ((await actionStatus(h, a.id)) === 'executed' ? true : undefined));
    expect(h.payments.executions.filter((e) => e.key === a.id)).toHaveLength(1);
  });

  it('a sealed nonce altered, or moved from another challenge, does not open: the challenge closes unanswered and a fresh one is issued', async () => {
    const a = await highTransfer(h, 'sealed-tamper');
    const c = await challengeOf(wes, a.id);
    const donor = await challengeOf(xia, a.id);
    coldCache(c.id);
    // Moved: xia's sealed nonce (a valid blob, bound to xia's challenge) copied into wes's row.
    db.prepare('UPDATE sig_challenges SET nonce_sealed = ? WHERE id = ?').run(sealedOf(donor.id), c.id);
    expect(await refusedAtHello(wes, c)).toBe(4409);
    expect(stateOf(c.id)).toEqual({ state: 'failed', outcome: 'CHALLENGE_UNAVAILABLE' });
    const again = await challengeOf(wes, a.id, c.id);
    coldCache(again.id);
    // Altered: one bit of the ciphertext flipped.
    const blob = Buffer.from(sealedOf(again.id)!, 'base64url');
    blob[blob.length - 20]! ^= 0x01;
    db.prepare('UPDATE sig_challenges SET nonce_sealed = ? WHERE id = ?').run(blob.toString('base64url'), again.id);
    expect(await refusedAtHello(wes, again)).toBe(4409);
    expect(stateOf(again.id)).toEqual({ state: 'failed', outcome: 'CHALLENGE_UNAVAILABLE' });
    // Neither counted against the person; nothing executed.
    expect((await h.gw.ctx.store.signatures.getPerson('wes'))!.failures).toBe(0);
    expect(h.payments.executions.find((e) => e.key === a.id)).toBeUndefined();
    expect(await actionStatus(h, a.id)).toBe('awaiting_signature');
  });

  it('at start-up: a challenge from before the migration (no sealed nonce) closes with GATEWAY_RESTARTED, a lost session with SESSION_LOST, an issued one stays open', async () => {
    const a = await highTransfer(h, 'sealed-recover');
    const old = await challengeOf(uma, a.id);
    const lost = await challengeOf(vic, a.id);
    const kept = await challengeOf(wes, a.id);
    for (const c of [old, lost, kept]) coldCache(c.id);
    db.prepare('UPDATE sig_challenges SET nonce_sealed = NULL WHERE id = ?').run(old.id);
    // A session started an hour ago on a process that is gone.
    db.prepare("UPDATE sig_challenges SET state = 'active', started_at = ?, device = ? WHERE id = ?").run(Date.now() - 3600_000, vic.credential!.id, lost.id);
    await h.signatures.service!.recover();
    expect(stateOf(old.id)).toEqual({ state: 'expired', outcome: 'GATEWAY_RESTARTED' });
    expect(stateOf(lost.id)).toEqual({ state: 'expired', outcome: 'SESSION_LOST' });
    expect(stateOf(kept.id)).toEqual({ state: 'issued', outcome: null });
    const closed = await entries(h, { actionId: a.id, type: 'signature.challenge_closed' });
    expect(closed.find((e) => e['challengeId'] === old.id)).toMatchObject({ reason: 'GATEWAY_RESTARTED' });
    expect(closed.find((e) => e['challengeId'] === old.id)).not.toHaveProperty('nonce');
    // The lost session had revealed its stimulus: its nonce is published, opened from the sealed copy.
    const lostEntry = closed.find((e) => e['challengeId'] === lost.id)!;
    expect(lostEntry).toMatchObject({ reason: 'SESSION_LOST' });
    const issued = (await entries(h, { actionId: a.id, type: 'signature.challenge_issued' })).find((e) => e['challengeId'] === lost.id)!;
    expect(createHash('sha256').update(Buffer.from(String(lostEntry['nonce']), 'base64url')).digest('hex')).toBe(issued['nonceSha256']);
    // Both people are asked again; wes's challenge is the same one.
    expect((await challengeOf(uma, a.id, old.id)).id).not.toBe(old.id);
    expect((await challengeOf(vic, a.id, lost.id)).id).not.toBe(lost.id);
    expect((await wes.client.challenges()).filter((c) => c.actionId === a.id).map((c) => c.id)).toEqual([kept.id]);
  });
});
