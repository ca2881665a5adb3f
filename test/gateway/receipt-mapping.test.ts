import { describe, expect, it } from 'vitest';
import { parseReceiptClaims } from '../../src/core/receipt/parse-receipt-claims.ts';
import { buildReceiptClaims } from '../../src/core/receipt/build-receipt-claims.ts';
import { toReceiptApproval, toReceiptQuorum } from '../../src/gateway/issue-receipt.ts';

describe('gateway records → receipt claims', () => {
  it('a biological-signature approval (ms, several modalities) becomes a valid receipt approval', () => {
    const apv = toReceiptApproval({ who: 'alice', device: 'phone-1', role: 'authorizer', at: 1_795_000_000_123, liveness: { modalities: ['hrv', 'motion'], score: 0.93 }, logIndex: 41 });
    expect(apv).toEqual({ who: 'alice', device: 'phone-1', at: 1_795_000_000, liveness: { modality: 'hrv+motion', score: 0.93 }, logIndex: 41 });
  });

  it('the policy quorum requirement becomes the receipt quorum, and the claims parse', () => {
    const quorum = toReceiptQuorum({
      allOf: [{ group: 'platform', min: 2, members: ['bob', 'carol', 'dave'] }, { group: 'risk', min: 1, members: ['dave'] }],
      distinctOrganisations: false,
      windowMs: 3_600_000,
      comparators: [{ group: 'compliance', min: 1, biological: false, members: ['erin'] }],
    });
    expect(quorum).toEqual({ all_of: [{ group: 'platform', min: 2 }, { group: 'risk', min: 1 }], comparator: 'compliance' });
    const claims = buildReceiptClaims(
      {
        issuer: 'gw',
        actionId: 'act_1',
        actuator: 'infra',
        actionDigest: 'a'.repeat(64),
        request: { method: 'DELETE', path: '/clusters/x', bodySha256: 'b'.repeat(64) },
        tier: 'CRITICAL',
        approvals: [toReceiptApproval({ who: 'bob', device: 'd1', at: 1_795_000_000_000, group: 'platform' })],
        quorum,
        policyHash: 'c'.repeat(64),
        logIndex: 7,
      },
      { now: 1_795_000_001_000, jti: 'j1' },
    );
    expect(parseReceiptClaims(claims).quorum).toEqual(quorum);
  });
});
