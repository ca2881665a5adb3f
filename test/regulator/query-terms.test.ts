import { afterEach, describe, expect, it } from 'vitest';
import { entryTerms, TERMS_VERSION } from '../../src/core/log/entry-terms.ts';
import { makeLog, type LogFixture } from '../log/helpers/fixtures.ts';

let fx: LogFixture | undefined;
afterEach(async () => {
  await fx?.dispose();
  fx = undefined;
});

const ts = 1_767_225_600_000;
const sample = [
  { v: 1, type: 'action.classified', ts, actionId: 'a1', rule: 'large-transfer', matchedRules: ['large-transfer', 'transfer-burst'] },
  { v: 1, type: 'action.authorised', ts: ts + 1, actionId: 'a1', approvals: [{ who: 'ann' }, { who: 'bob' }, { who: 'ann' }, 'junk', { who: 7 }] },
  { v: 1, type: 'action.vetoed', ts: ts + 2, actionId: 'a2', by: 'bob' },
  { v: 1, type: 'signature.verified', ts: ts + 3, actionId: 'a3', who: 'cy' },
  { v: 1, type: 'action.classified', ts: ts + 4, actionId: 'a4', rule: 'small-transfer', matchedRules: ['small-transfer'] },
];

/** A person named only in `person` (and the erasing administrator in `by`). */
const erasure = [
  { v: 1, type: 'signature.challenge_issued', ts, actionId: 'a1', challengeId: 'c1', person: 'nora' },
  { v: 1, type: 'signature.session_started', ts: ts + 1, actionId: 'a1', challengeId: 'c1', who: 'nora' },
  { v: 1, type: 'signature.challenge_closed', ts: ts + 2, actionId: 'a1', challengeId: 'c1', person: 'nora', reason: 'PERSON_ERASED' },
  { v: 1, type: 'person.erased', ts: ts + 3, person: 'nora', basis: 'erasure_request', by: 'ada' },
];

describe.each(['sqlite', 'postgres'] as const)('person and rule queries on %s', (store) => {
  it('extracts the people and rules an entry concerns, ignoring malformed values', () => {
    expect(entryTerms(sample[0]!).sort()).toEqual(['rule:large-transfer', 'rule:transfer-burst']);
    expect(entryTerms(sample[1]!).sort()).toEqual(['person:ann', 'person:bob']);
    expect(entryTerms({ by: '', who: 5, approvals: 'x', rule: ['r'], matchedRules: [null, 'ok'] })).toEqual(['rule:ok']);
  });

  it('answers person and rule filters, combined with the others', async () => {
    fx = await makeLog({ store });
    await fx.append(sample);
    const idx = async (q: Parameters<NonNullable<LogFixture['log']>['query']>[0]): Promise<number[]> => (await fx!.log.query(q)).map((e) => e.index);
    expect(await idx({ person: 'bob' })).toEqual([1, 2]);
    expect(await idx({ person: 'ann' })).toEqual([1]);
    expect(await idx({ person: 'cy' })).toEqual([3]);
    expect(await idx({ person: 'bob', type: 'action.vetoed' })).toEqual([2]);
    expect(await idx({ rule: 'transfer-burst' })).toEqual([0]);
    expect(await idx({ rule: 'small-transfer', since: ts + 3 })).toEqual([4]);
    expect(await idx({ rule: 'large-transfer', person: 'ann' })).toEqual([]);
    expect(await idx({ person: 'nobody' })).toEqual([]);
  });

  it('answers agent, tier and decision filters (the regulator console searches by them)', async () => {
    fx = await makeLog({ store });
    await fx.append([
      { v: 1, type: 'action.received', ts, actionId: 'b1', agent: 'bot-7', descriptor: {} },
      { v: 1, type: 'action.classified', ts: ts + 1, actionId: 'b1', tier: 'HIGH', decision: 'ALLOW', rule: 'large-transfer' },
      { v: 1, type: 'action.passed', ts: ts + 2, actionId: 'b2', agent: 'bot-8', tier: 'LOW', decision: 'ALLOW' },
      { v: 1, type: 'action.classified', ts: ts + 3, actionId: 'b3', tier: 'CRITICAL', decision: 'BLOCK' },
      { v: 1, type: 'action.authorised', ts: ts + 4, actionId: 'b1', tier: 'HIGH', approvals: [] },
    ]);
    const idx = async (q: Parameters<NonNullable<LogFixture['log']>['query']>[0]): Promise<number[]> => (await fx!.log.query(q)).map((e) => e.index);
    expect(await idx({ agent: 'bot-7' })).toEqual([0]);
    expect(await idx({ agent: 'bot-8' })).toEqual([2]);
    expect(await idx({ tier: 'HIGH' })).toEqual([1, 4]);
    expect(await idx({ tier: 'HIGH', type: 'action.classified' })).toEqual([1]);
    expect(await idx({ decision: 'BLOCK' })).toEqual([3]);
    expect(await idx({ decision: 'ALLOW', tier: 'LOW' })).toEqual([2]);
    expect(entryTerms({ agent: 3, tier: '', decision: ['ALLOW'] })).toEqual([]);
  });

  it('indexes a database written before terms existed, once, on open', async () => {
    fx = await makeLog({ store });
    await fx.append(sample);
    await fx.raw("DELETE FROM tlog_terms; DELETE FROM tlog_meta WHERE name = 'terms'");
    expect(await fx.log.query({ person: 'bob' })).toEqual([]);
    await fx.reopen();
    expect((await fx.log.query({ person: 'bob' })).map((e) => e.index)).toEqual([1, 2]);
    // Entries appended in a transaction the caller rolls back leave no terms behind.
    await expect(
      fx.store.tx(async (tx) => {
        await tx.audit([{ v: 1, type: 'action.vetoed', actionId: 'a9', by: 'zed' }]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await fx.log.query({ person: 'zed' })).toEqual([]);
    await fx.append([{ v: 1, type: 'action.vetoed', actionId: 'a9', by: 'zed' }]);
    expect((await fx.log.query({ person: 'zed' })).map((e) => e.index)).toEqual([5]);
  });

  it('indexes `person` (whom an entry is about when they did not act), once, never when malformed', () => {
    expect(entryTerms(erasure[3]!).sort()).toEqual(['person:ada', 'person:nora']);
    expect(entryTerms(erasure[2]!)).toEqual(['person:nora']);
    expect(entryTerms({ who: 'wendy', person: 'walt' }).sort()).toEqual(['person:walt', 'person:wendy']);
    expect(entryTerms({ who: 'nora', person: 'nora' })).toEqual(['person:nora']);
    expect(entryTerms({ person: '' })).toEqual([]);
    expect(entryTerms({ person: { id: 'nora' } })).toEqual([]);
  });

  it('finds the erasure of a person, also on a database indexed before `person` was a term', async () => {
    fx = await makeLog({ store });
    await fx.append(erasure);
    const idx = async (q: { person: string; type?: string }): Promise<number[]> => (await fx!.log.query(q)).map((e) => e.index);
    expect(await idx({ person: 'nora' })).toEqual([0, 1, 2, 3]);
    expect(await idx({ person: 'nora', type: 'person.erased' })).toEqual([3]);
    expect(await idx({ person: 'ada' })).toEqual([3]);
    // What the earlier extraction (version '1') wrote: `who`/`by` terms only.
    await fx.raw("DELETE FROM tlog_terms WHERE idx IN (0, 2, 3) AND term = 'person:nora'; UPDATE tlog_meta SET value = '1' WHERE name = 'terms'");
    expect(await idx({ person: 'nora' })).toEqual([1]);
    await fx.reopen();
    expect(await idx({ person: 'nora' })).toEqual([0, 1, 2, 3]);
    expect(await fx.raw("SELECT value FROM tlog_meta WHERE name = 'terms'")).toEqual([{ value: TERMS_VERSION }]);
  });
});
