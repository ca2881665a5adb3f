import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalJson } from '../../src/core/canonical.ts';
import { prepareEntry } from '../../src/core/log/entry.ts';
import { entryTerms } from '../../src/core/log/entry-terms.ts';

/** What prepareEntry must index: the envelope and terms as the canonical bytes read. */
function fromCanonical(entry: object) {
  const parsed = JSON.parse(canonicalJson(entry)) as Record<string, unknown>;
  return { type: parsed['type'], ts: parsed['ts'] ?? null, actionId: parsed['actionId'] ?? null, terms: entryTerms(parsed) };
}

describe('prepareEntry indexes what is hashed', () => {
  it('reads plain entries (the gateway’s own) as their canonical JSON reads', () => {
    const id = fc.string({ minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(
        fc.record(
          {
            v: fc.constant(1),
            type: id,
            ts: fc.option(fc.nat(), { nil: undefined }),
            actionId: fc.option(id, { nil: undefined }),
            by: fc.option(id, { nil: undefined }),
            rule: fc.option(fc.oneof(id, fc.constant(null)), { nil: undefined }),
            matchedRules: fc.option(fc.array(fc.oneof(id, fc.constant(undefined))), { nil: undefined }),
            approvals: fc.option(fc.array(fc.oneof(fc.record({ who: id }), fc.constant(null))), { nil: undefined }),
          },
          { requiredKeys: ['v', 'type'] },
        ),
        (entry) => {
          const p = prepareEntry(entry);
          expect({ type: p.type, ts: p.ts, actionId: p.actionId, terms: p.terms }).toEqual(fromCanonical(entry));
        },
      ),
    );
  });

  it('reads an entry serialised through toJSON, or with fields it inherits, from its canonical form', () => {
    const viaToJson = { v: 1, type: 'shown', rule: 'not-hashed', toJSON: () => ({ v: 1, type: 'hashed', ts: 5, actionId: 'act_1', rule: 'r1' }) };
    expect(prepareEntry(viaToJson)).toMatchObject({ type: 'hashed', ts: 5, actionId: 'act_1', terms: ['rule:r1'] });
    const inherited = Object.assign(Object.create({ by: 'mallory' }) as object, { v: 1, type: 'x' });
    expect(prepareEntry(inherited).terms).toEqual([]);
    const approvalViaToJson = { v: 1, type: 'x', approvals: [{ who: 'shown', toJSON: () => ({ who: 'hashed' }) }] };
    expect(prepareEntry(approvalViaToJson).terms).toEqual(['person:hashed']);
  });
});
