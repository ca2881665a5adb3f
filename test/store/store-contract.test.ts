import { afterEach, describe, expect, it } from 'vitest';
import { isFirewallError } from '../../src/core/errors.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { nodeHash } from '../../src/core/merkle/hash.ts';
import { isValidInclusionProof, rootHash, verifyConsistencyProof, type HashSource } from '../../src/core/merkle/proof.ts';
import type { ActionRecord } from '../../src/gateway/action-record.ts';
import { actionRecord } from '../helpers/action-record.ts';
import { openTransparencyLog } from '../../src/gateway/log/open-log.ts';
import type { Store } from '../../src/gateway/ports/store.ts';
import { MemorySigner } from '../helpers/memory-signer.ts';
import { openTestStore, type StoreKind } from '../helpers/postgres.ts';

/**
 * The store contract (src/gateway/ports/store.ts), run against both stores, each on a fresh
 * database: a temporary SQLite file, a new PostgreSQL database on the machine's server.
 */

describe.each<StoreKind>(['sqlite', 'postgres'])('store contract on %s', (kind) => {
  const disposers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const d of disposers.splice(0)) await d();
  });
  const open = async (): Promise<Store> => {
    const t = await openTestStore(kind);
    disposers.push(t.dispose);
    return t.store;
  };

  it('updates an action from the caller’s copy, and from the stored record when something else changed it meanwhile', async () => {
    const store = await open();
    const held = actionRecord('act_1');
    await store.tx(async (tx) => tx.insertAction(held));
    const first = await store.tx(async (tx) => tx.updateAction(held.id, ['executing'], { updatedAt: 2 }, held));
    expect(first).toMatchObject({ updatedAt: 2, dispatchAttempts: 0 });
    // Another writer moves the record without changing its status; the stale copy must not undo that.
    await store.tx(async (tx) => tx.updateAction(held.id, ['executing'], { dispatchAttempts: 2, updatedAt: 3 }));
    const next = await store.tx(async (tx) => tx.updateAction(held.id, ['executing'], { status: 'executed', dueAt: null, updatedAt: 4 }, held));
    expect(next).toMatchObject({ status: 'executed', dispatchAttempts: 2, updatedAt: 4 });
    expect(await store.getAction(held.id)).toEqual(next);
    // A status outside `from` is refused whatever the copy says.
    expect(await store.tx(async (tx) => tx.updateAction(held.id, ['executing'], { updatedAt: 5 }, held))).toBeUndefined();
  });

  it('applies a batch of compare-and-sets exactly as one-by-one updates would, held copies or not', async () => {
    const store = await open();
    await store.tx(async (tx) => {
      for (const id of ['b1', 'b2', 'b3', 'b4']) await tx.insertAction(actionRecord(id, { idempotencyKey: `k-${id}`, status: 'cooling', dueAt: 10 }));
    });
    const [b1, b2, b3] = await Promise.all(['b1', 'b2', 'b3'].map(async (id) => (await store.getAction(id))!));
    // Since they were read: b2 changed without moving its status, b3 was vetoed.
    await store.tx(async (tx) => tx.updateAction('b2', ['cooling'], { dispatchAttempts: 5 }));
    await store.tx(async (tx) => tx.updateAction('b3', ['cooling'], { status: 'vetoed', dueAt: null }));
    const release = { status: 'executing' as const, dueAt: 50, updatedAt: 7 };
    const out = await store.tx(async (tx) => tx.updateActions([
      { id: 'b1', from: ['cooling'], patch: release, held: b1 },
      { id: 'b2', from: ['cooling'], patch: release, held: b2 },
      { id: 'b3', from: ['cooling'], patch: release, held: b3 },
      { id: 'b4', from: ['cooling'], patch: release },
      { id: 'nowhere', from: ['cooling'], patch: release },
    ]));
    expect(out.map((r) => r?.status)).toEqual(['executing', 'executing', undefined, 'executing', undefined]);
    // The stale copy did not undo the other writer's change.
    expect(out[1]).toMatchObject({ dispatchAttempts: 5, updatedAt: 7 });
    for (const r of [out[0], out[1], out[3]]) expect(await store.getAction(r!.id)).toEqual(r);
    expect(await store.getAction('b3')).toMatchObject({ status: 'vetoed' });
    // The moved records are held copies in turn; the same id twice: the second sees the first's write.
    const twice = await store.tx(async (tx) => tx.updateActions([
      { id: 'b1', from: ['executing'], patch: { status: 'executed', dueAt: null }, held: out[0] },
      { id: 'b1', from: ['executing'], patch: { status: 'failed', dueAt: null }, held: out[0] },
      { id: 'b2', from: ['executing'], patch: { authorisationLogIndex: 3 }, held: out[1] },
    ]));
    expect(twice.map((r) => r?.status)).toEqual(['executed', undefined, 'executing']);
    expect(await store.getAction('b1')).toMatchObject({ status: 'executed' });
    expect(await store.getAction('b2')).toMatchObject({ status: 'executing', authorisationLogIndex: 3, dispatchAttempts: 5 });
    expect(await store.tx(async (tx) => tx.updateActions([]))).toEqual([]);
  });

  it('a compare-and-set that asks for a due record refuses one whose due time moved later since it was read, held copy or not', async () => {
    const store = await open();
    await store.tx(async (tx) => {
      for (const id of ['d1', 'd2', 'd3', 'd4']) await tx.insertAction(actionRecord(id, { idempotencyKey: `k-${id}`, status: 'cooling', dueAt: 10 }));
    });
    const read = await Promise.all(['d1', 'd2', 'd3', 'd4'].map(async (id) => (await store.getAction(id))!));
    // Since they were read, d2 and d4 had their cooling moved later (an outage given back).
    await store.tx(async (tx) => tx.updateActions(['d2', 'd4'].map((id) => ({ id, from: ['cooling'], patch: { dueAt: 40 } }))));
    const release = { status: 'executing' as const, dueAt: 50, updatedAt: 20 };
    const out = await store.tx(async (tx) => tx.updateActions([
      { id: 'd1', from: ['cooling'], patch: release, held: read[0], dueBy: 20 },
      { id: 'd2', from: ['cooling'], patch: release, held: read[1], dueBy: 20 },
      { id: 'd3', from: ['cooling'], patch: release, dueBy: 20 },
      { id: 'd4', from: ['cooling'], patch: release, dueBy: 20 },
    ]));
    expect(out.map((r) => r?.status)).toEqual(['executing', undefined, 'executing', undefined]);
    expect(await store.getAction('d2')).toMatchObject({ status: 'cooling', dueAt: 40 });
    expect(await store.getAction('d4')).toMatchObject({ status: 'cooling', dueAt: 40 });
    // A record with no due time is not due by any time; once due, the moved ones go.
    await store.tx(async (tx) => tx.insertAction(actionRecord('d5', { idempotencyKey: 'k-d5', status: 'cooling', dueAt: null })));
    const later = await store.tx(async (tx) => tx.updateActions(['d2', 'd4', 'd5'].map((id, i) => ({ id, from: ['cooling'], patch: release, ...(i === 0 ? { held: read[1]! } : {}), dueBy: 40 }))));
    expect(later.map((r) => r?.status)).toEqual(['executing', 'executing', undefined]);
  });

  it('compare-and-set: of concurrent transitions from the same state exactly one wins', async () => {
    const store = await open();
    await store.tx(async (tx) => tx.insertAction(actionRecord('act_cas', { status: 'cooling' })));
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.tx(async (tx) => tx.updateAction('act_cas', ['cooling'], { status: 'executing', dispatchAttempts: i + 1 }))),
    );
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
  });

  it('finds by idempotency key, lists due actions in due order up to the limit, counts by status', async () => {
    const store = await open();
    await store.tx(async (tx) => {
      await tx.insertAction(actionRecord('a1', { status: 'cooling', dueAt: 300 }));
      await tx.insertAction(actionRecord('a2', { status: 'cooling', dueAt: 100 }));
      await tx.insertAction(actionRecord('a3', { status: 'cooling', dueAt: 900 }));
      await tx.insertAction(actionRecord('a4', { status: 'executed', dueAt: null }));
    });
    expect((await store.tx(async (tx) => tx.findByIdempotencyKey('agent-1', 'k-a3')))?.id).toBe('a3');
    expect(await store.tx(async (tx) => tx.findByIdempotencyKey('agent-2', 'k-a3'))).toBeUndefined();
    expect((await store.dueActions(['cooling'], 500, 10)).map((a) => a.id)).toEqual(['a2', 'a1']);
    expect((await store.dueActions(['cooling'], 1000, 1)).map((a) => a.id)).toEqual(['a2']);
    expect((await store.actionsInStatus(['cooling', 'executed'])).map((a) => a.id).sort()).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(await store.countByStatus()).toEqual({ cooling: 3, executed: 1 });
  });

  it('answers velocity windows by scope and currency, leaving blocked actions out', async () => {
    const store = await open();
    const pay = (id: string, amount: number, currency: string, o: Partial<ActionRecord> = {}) =>
      actionRecord(id, { createdAt: 1000, descriptor: { ...actionRecord(id).descriptor, actuator: 'payments', operation: 'transfer', amount, currency }, ...o });
    await store.tx(async (tx) => {
      await tx.insertAction(pay('v1', 100, 'EUR'));
      await tx.insertAction(pay('v2', 50, 'USD'));
      await tx.insertAction(pay('v3', 900, 'EUR', { status: 'blocked' }));
      await tx.insertAction(pay('v4', 70, 'EUR', { agent: 'agent-2', idempotencyKey: 'x' }));
    });
    const totals = await store.tx(async (tx) =>
      tx.velocityTotals([
        { ruleId: 'all', actuator: 'payments', operations: ['transfer'], currency: 'EUR', sinceMs: 0 },
        { ruleId: 'mine', actuator: 'payments', operations: [], agent: 'agent-1', sinceMs: 0 },
        { ruleId: 'later', actuator: 'payments', operations: [], sinceMs: 2000 },
      ]),
    );
    expect(totals).toEqual([
      { ruleId: 'all', count: 3, amount: 170 },
      { ruleId: 'mine', count: 2, amount: 150 },
      { ruleId: 'later', count: 0, amount: 0 },
    ]);
  });

  it('a failing callback takes back only its own writes and log entries; the others in its batch commit', async () => {
    const store = await open();
    const [ok1, bad, ok2] = await Promise.allSettled([
      store.tx(async (tx) => (await tx.insertAction(actionRecord('b1')), tx.audit([{ v: 1, type: 'test.a', ts: 1 }]))),
      store.tx(async (tx) => {
        await tx.insertAction(actionRecord('b2'));
        await tx.audit([{ v: 1, type: 'test.b', ts: 2 }]);
        throw new Error('refused');
      }),
      store.tx(async (tx) => (await tx.insertAction(actionRecord('b3')), tx.audit([{ v: 1, type: 'test.c', ts: 3 }]))),
    ]);
    expect(ok1).toMatchObject({ status: 'fulfilled' });
    expect(bad).toMatchObject({ status: 'rejected', reason: { message: 'refused' } });
    expect(ok2).toMatchObject({ status: 'fulfilled' });
    expect(await store.getAction('b2')).toBeUndefined();
    expect((await store.log.entries(0, 10)).map((e) => e.type)).toEqual(['test.a', 'test.c']);
    // A statement error (a duplicate id) is the callback's, and the store carries on.
    await expect(store.tx(async (tx) => tx.insertAction(actionRecord('b1')))).rejects.toThrow();
    expect(await store.tx(async (tx) => tx.audit([{ v: 1, type: 'test.d', ts: 4 }]))).toBe(2);
  });

  it('callbacks rolled back between appends in one batch leave one consistent tree: its stored nodes give the root its leaves give', async () => {
    const t = await openTestStore(kind);
    disposers.push(t.dispose);
    const log = await openTransparencyLog({ store: t.store, appender: t.appender, signer: new MemorySigner(), origin: 'contract.test/log', clock: new ManualClock(1000), checkpointEvery: null });
    disposers.unshift(() => log.close());
    await t.store.tx(async (tx) => tx.audit(Array.from({ length: 5 }, (_, i) => ({ v: 1, type: 'test.before', ts: i }))));
    // Issued together, so the store folds them into one transaction; every third one fails after appending.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        t.store.tx(async (tx) => {
          const at = await tx.audit(Array.from({ length: 1 + (i % 3) }, (_, j) => ({ v: 1, type: `test.cb${i}`, ts: 10 + j })));
          if (i % 3 === 2) throw new Error('refused');
          return at;
        }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(Array.from({ length: 30 }, (_, i) => (i % 3 === 2 ? 'rejected' : 'fulfilled')));
    const entries = await t.store.log.entries(0, 5 + 10 * (1 + 2));
    expect(entries.map((e) => e.type)).toEqual([...Array.from({ length: 5 }, () => 'test.before'), ...Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 !== 2).flatMap((i) => Array.from({ length: 1 + (i % 3) }, () => `test.cb${i}`))]);
    const leaves = entries.map((e) => e.leafHash);
    const fromLeaves: HashSource = { node: (level, index) => (level === 0 ? leaves[index]! : nodeHash(fromLeaves.node(level - 1, 2 * index), fromLeaves.node(level - 1, 2 * index + 1))) };
    const checkpoint = await log.checkpoint();
    expect(checkpoint.size).toBe(entries.length);
    expect(Buffer.from(checkpoint.rootHash)).toEqual(Buffer.from(rootHash(fromLeaves, entries.length)));
    // And appends after the batch extend the same tree.
    await t.store.tx(async (tx) => tx.audit([{ v: 1, type: 'test.after', ts: 99 }]));
    const next = await log.checkpoint();
    const proof = await log.consistencyProof(checkpoint.size, next.size);
    expect(() => verifyConsistencyProof(checkpoint.size, next.size, checkpoint.rootHash, next.rootHash, proof.hashes)).not.toThrow();
  });

  it('a callback that catches a failed statement and goes on: either all it did commits, or it fails and none of it does', async () => {
    const store = await open();
    await store.tx(async (tx) => tx.insertAction(actionRecord('c0')));
    const alone = await Promise.allSettled([
      store.tx(async (tx) => {
        await tx.insertAction(actionRecord('c1'));
        await tx.insertAction(actionRecord('c2'));
        await tx.insertAction(actionRecord('c0')).catch(() => {}); // a duplicate, caught: the last statement
        return 'done';
      }),
    ]);
    const outcome = [alone[0]!.status, (await store.getAction('c1')) !== undefined, (await store.getAction('c2')) !== undefined];
    // SQLite: a failed statement leaves its transaction usable; PostgreSQL: it aborts it, so the callback fails.
    expect(outcome).toEqual(kind === 'sqlite' ? ['fulfilled', true, true] : ['rejected', false, false]);
    const [other, batched] = await Promise.allSettled([store.tx(async (tx) => tx.insertAction(actionRecord('c3'))), store.tx(async (tx) => {
      await tx.insertAction(actionRecord('c4'));
      await tx.insertAction(actionRecord('c0')).catch(() => {});
      return 'done';
    })]);
    expect(other!.status).toBe('fulfilled');
    expect([batched!.status, (await store.getAction('c4')) !== undefined]).toEqual(kind === 'sqlite' ? ['fulfilled', true] : ['rejected', false]);
    expect((await store.getAction('c3'))?.id).toBe('c3');
  });

  it('keeps principals, policy versions and activations', async () => {
    const store = await open();
    await store.tx(async (tx) => tx.principals.put({ id: 'p1', roles: ['agent'], publicJwk: { kty: 'OKP' }, owner: 'o' } as never));
    expect(await store.principals.get('p1')).toMatchObject({ id: 'p1', owner: 'o' });
    const version = (hash: string, proposedAt: number) => ({ hash, name: hash, document: { h: hash }, source: 'x', proposedBy: 'cli', proposerKind: 'file' as const, proposedAt });
    const seqs = await store.tx(async (tx) => {
      await tx.policyVersions.putVersion(version('h1', 1));
      await tx.policyVersions.putVersion(version('h2', 2));
      await tx.policyVersions.putVersion(version('h1', 3)); // already there: kept as it was
      return [await tx.policyVersions.activate('h1', 10, null), await tx.policyVersions.activate('h2', 20, 'prop-1')];
    });
    expect(seqs[1]).toBeGreaterThan(seqs[0]!);
    expect(await store.policyVersions.active()).toEqual({ seq: seqs[1], hash: 'h2', at: 20, proposalId: 'prop-1' });
    expect((await store.policyVersions.versions()).map((v) => [v.hash, v.status, v.proposedAt])).toEqual([['h1', 'retired', 1], ['h2', 'active', 2]]);
    await expect(store.tx(async (tx) => tx.policyVersions.activate('nope', 30, null))).rejects.toSatisfy((e) => isFirewallError(e, 'POLICY_VERSION_UNKNOWN'));
  });

  it('keeps signature state single-use: counters, ceremonies, one open challenge per (action, person), erasure', async () => {
    const store = await open();
    const challenge = (id: string) => ({ id, purpose: 'action' as const, mode: 'phone' as never, actionId: 'act', digest: 'd', person: 'ana', role: 'primary' as never, modalities: ['motion' as never], sustainedMs: 1000, nonceSha256: 'n', sealedNonce: `sealed-${id}`, issuedAt: 5, expiresAt: 50 });
    const r = await store.tx(async (tx) => {
      await tx.signatures.putPerson('ana', ['motion' as never], 'Ana', 1);
      await tx.signatures.insertDevice({ credentialId: 'cred', person: 'ana', kind: 'phone', name: null, publicKey: 'pk', alg: -7, counter: 0, transports: ['internal'], fmt: null, aaguid: null, createdAt: 2 });
      await tx.signatures.insertCeremony({ id: 'cer', kind: 'registration' as never, person: 'ana', challenge: 'c', deviceKind: null, deviceName: null, credentialId: null, expiresAt: 100, usedAt: null, payload: null });
      const cosign = { id: 'cos', kind: 'cosign' as const, person: 'ana', challenge: 'c1', deviceKind: null, deviceName: null, credentialId: 'cred', expiresAt: 100, usedAt: null, payload: '{"n":1}' };
      await tx.signatures.replaceCeremony(cosign);
      const firstCosign = await tx.signatures.useCeremony('cos', 6);
      // A new ceremony with the id supersedes the used one, and is single use in its turn.
      await tx.signatures.replaceCeremony({ ...cosign, challenge: 'c2', payload: '{"n":2}' });
      await tx.signatures.replaceCeremony({ ...cosign, challenge: 'c3', payload: '{"n":3}' });
      return {
        counters: [await tx.signatures.advanceCounter('cred', 5, 3), await tx.signatures.advanceCounter('cred', 5, 4), await tx.signatures.advanceCounter('cred', 6, 5)],
        ceremony: [await tx.signatures.useCeremony('cer', 6), await tx.signatures.useCeremony('cer', 7)],
        cosign: [firstCosign, await tx.signatures.useCeremony('cos', 7), await tx.signatures.useCeremony('cos', 8)],
        challenges: [await tx.signatures.insertChallenge(challenge('ch1')), await tx.signatures.insertChallenge(challenge('ch2'))],
        started: [await tx.signatures.startChallenge('ch1', 'cred', 8), await tx.signatures.startChallenge('ch1', 'cred', 9)],
      };
    });
    expect(r.counters).toEqual([true, false, true]);
    expect(r.ceremony[0]).toMatchObject({ id: 'cer', usedAt: null });
    expect(r.ceremony[1]).toBeUndefined();
    expect(r.cosign.map((c) => c && [c.challenge, c.payload])).toEqual([['c1', '{"n":1}'], ['c3', '{"n":3}'], undefined]);
    expect(r.challenges).toEqual([true, false]);
    expect(r.started).toEqual([true, false]);
    expect(await store.signatures.getDevice('cred')).toMatchObject({ counter: 6, lastUsedAt: 5, transports: ['internal'] });
    expect((await store.signatures.openChallengesOf('ana')).map((c) => [c.id, c.state, c.startedAt])).toEqual([['ch1', 'active', 8]]);
    // The sealed nonce is kept while the challenge is open, and only then.
    expect(await store.signatures.sealedNonce('ch1')).toBe('sealed-ch1');
    expect(await store.signatures.sealedNonce('ch2')).toBeUndefined();
    const after = await store.tx(async (tx) => {
      const ended = [await tx.signatures.endChallenge('ch1', 'succeeded', 'OK', 10), await tx.signatures.endChallenge('ch1', 'failed', 'X', 11)];
      const again = await tx.signatures.insertChallenge(challenge('ch3')); // the first is closed: a new one may open
      await tx.signatures.insertEnrolment('ch1', 'ana', { s: 1 }, true, 12);
      return { ended, again, attempts: await tx.signatures.attempts('act', 'ana'), last: await tx.signatures.lastInteraction('ana'), accepted: await tx.signatures.acceptedEnrolments('ana') };
    });
    expect(after).toEqual({ ended: [true, false], again: true, attempts: 1, last: 12, accepted: [{ s: 1 }] });
    expect(await store.signatures.sealedNonce('ch1')).toBeUndefined(); // dropped when it closed
    expect(await store.signatures.sealedNonce('ch3')).toBe('sealed-ch3');
    const erased = await store.tx(async (tx) => tx.signatures.eraseRows('ana'));
    expect(erased).toEqual({ fingerprints: 0, enrolments: 1, ceremonies: 2, devices: 1, people: 1 });
    expect(await store.signatures.getPerson('ana')).toBeUndefined();
  });

  it('approver invitations and regulator passkey counters are single-use steps', async () => {
    const store = await open();
    const r = await store.tx(async (tx) => {
      await tx.approver.insertInvitation({ tokenSha256: 't', person: 'ana', roles: ['primary'], createdBy: 'op', createdAt: 1, expiresAt: 100 });
      await tx.regulatorConsole.insertPasskey({ credentialId: 'rc', person: 'reg', publicKey: 'pk', alg: -7, counter: 3, transports: [], createdAt: 1, revokedAt: null });
      return {
        use: [await tx.approver.useInvitation('t', 50), await tx.approver.useInvitation('t', 51)],
        dup: await tx.regulatorConsole.insertPasskey({ credentialId: 'rc', person: 'other', publicKey: 'pk2', alg: -7, counter: 0, transports: [], createdAt: 2, revokedAt: null }),
        counter: [await tx.regulatorConsole.advanceCounter('rc', 3), await tx.regulatorConsole.advanceCounter('rc', 4)],
      };
    });
    expect(r).toEqual({ use: [true, false], dup: false, counter: [false, true] });
    expect(await store.approver.invitation('t')).toMatchObject({ usedAt: 50, roles: ['primary'] });
    expect(await store.regulatorConsole.passkey('rc')).toMatchObject({ person: 'reg', counter: 4 });
  });

  it("the log integrator's lease: one holder at a time, renewed by it, taken over once it expires", async () => {
    const store = await open();
    const claim = (who: string, now: number) => store.tx((tx) => tx.log.claimIntegrator(who, now, 1000));
    expect(await claim('a', 0)).toBe(true);
    expect(await claim('b', 500)).toBe(false);
    expect(await claim('a', 900)).toBe(true); // renewed until 1900
    expect(await claim('b', 1500)).toBe(false);
    expect(await claim('b', 1901)).toBe(true);
    expect(await claim('a', 1902)).toBe(false);
  });

  it('marks when a gateway last ran: the latest mark of any writer, never moved back', async () => {
    const store = await open();
    expect(await store.lastAlive()).toBeUndefined();
    // Each mark returns the one it found.
    expect(await store.tx((tx) => tx.markAlive(5000))).toBeUndefined();
    expect(await store.lastAlive()).toBe(5000);
    // A replica whose clock is behind does not move the mark back.
    expect(await store.tx((tx) => tx.markAlive(4000), { durable: false })).toBe(5000);
    expect(await store.lastAlive()).toBe(5000);
    expect(await store.tx((tx) => tx.markAlive(1_767_225_600_123))).toBe(5000);
    expect(await store.lastAlive()).toBe(1_767_225_600_123);
    // Gateways marking together: each finds the mark another left (none reads past another's write).
    const found = await Promise.all([1, 2, 3].map((k) => store.tx((tx) => tx.markAlive(1_767_225_700_000 + k))));
    expect(found.filter((f) => f === 1_767_225_600_123)).toHaveLength(1);
  });

  it('an approver app session keeps the passkey that opened it (or none)', async () => {
    const store = await open();
    const row = (token: string, device: string | null) => ({ tokenSha256: token, person: 'nia', origin: 'http://localhost:8080', device, createdAt: 1, lastSeenAt: 1, expiresAt: 100 });
    await store.tx(async (tx) => {
      await tx.approver.insertSession(row('s1', 'cred-phone-1'));
      await tx.approver.insertSession(row('s2', null));
    });
    expect(await store.approver.session('s1')).toMatchObject({ person: 'nia', device: 'cred-phone-1' });
    expect(await store.approver.session('s2')).toMatchObject({ person: 'nia', device: null });
  });

  it('stores the transparency log: entries, terms, tiles, signed checkpoints that extend each other', async () => {
    const t = await openTestStore(kind);
    disposers.push(t.dispose);
    const log = await openTransparencyLog({ store: t.store, appender: t.appender, signer: new MemorySigner(), origin: 'contract.test/log', clock: new ManualClock(1000), checkpointEvery: null });
    disposers.unshift(() => log.close());
    for (let i = 0; i < 20; i++) await t.store.tx(async (tx) => tx.audit([{ v: 1, type: i % 2 ? 'test.odd' : 'test.even', ts: i, actionId: `a${i}` }]));
    const first = await log.checkpoint();
    await t.store.tx(async (tx) => tx.audit(Array.from({ length: 300 }, (_, i) => ({ v: 1, type: 'test.bulk', ts: 100 + i }))));
    const second = await log.checkpoint();
    expect([first.size, second.size]).toEqual([20, 320]);
    const consistency = await log.consistencyProof(20, 320);
    expect(consistency.fromRoot).toEqual(first.rootHash);
    expect(() => verifyConsistencyProof(20, 320, first.rootHash, second.rootHash, consistency.hashes)).not.toThrow();
    const inclusion = await log.inclusionProof(7, 320);
    expect(isValidInclusionProof(7, 320, (await log.entry(7)).leafHash, inclusion.hashes, second.rootHash)).toBe(true);
    expect(await log.tile({ level: 0, index: 1, width: 64 })).toHaveLength(64 * 32);
    expect((await log.entriesByType('test.odd', { limit: 3 })).map((e) => e.index)).toEqual([1, 3, 5]);
    expect((await log.entriesByActionId('a4')).map((e) => e.index)).toEqual([4]);
    expect(await log.indexRangeForTime(100, 110)).toEqual({ start: 20, end: 30 });
    expect((await log.checkpoints()).map((c) => c.size)).toEqual([20, 320]);
    expect(await t.store.tx(async (tx) => tx.log.claimOrigin('other.test/log'))).toBe('contract.test/log');
  });
});
