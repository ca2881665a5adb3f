import { describe, expect, it } from 'vitest';
import { evaluateReceiptQuorum, verifyReceiptQuorum } from '../../src/core/receipt/receipt-quorum.ts';
import type { ReceiptApproval, ReceiptQuorum } from '../../src/core/receipt/receipt.ts';

const at = 1_767_268_800;
const a = (who: string, group?: string, device = `${who}-phone`): ReceiptApproval => ({ who, device, at, ...(group ? { group } : {}) });

const quorum: ReceiptQuorum = { all_of: [{ group: 'treasury', min: 2 }, { group: 'security', min: 1 }], comparator: 'auditor' };

describe('receipt quorum check', () => {
  it('is satisfied by distinct people per group plus the comparator', () => {
    const r = evaluateReceiptQuorum(quorum, [a('ann', 'treasury'), a('bob', 'treasury'), a('cy', 'security'), a('dee', 'auditor')]);
    expect(r).toEqual({ satisfied: true, shortfalls: [], dutyConflicts: [] });
    expect(() => verifyReceiptQuorum(quorum, [a('ann', 'treasury'), a('bob', 'treasury'), a('cy', 'security'), a('dee', 'auditor')])).not.toThrow();
  });

  it('counts a person once per group, however many devices they sign with', () => {
    const r = evaluateReceiptQuorum(quorum, [a('ann', 'treasury', 'phone'), a('ann', 'treasury', 'watch'), a('cy', 'security'), a('dee', 'auditor')]);
    expect(r.satisfied).toBe(false);
    expect(r.shortfalls).toEqual([{ group: 'treasury', required: 2, counted: 1 }]);
  });

  it('requires the comparator when one is named', () => {
    const r = evaluateReceiptQuorum(quorum, [a('ann', 'treasury'), a('bob', 'treasury'), a('cy', 'security')]);
    expect(r.shortfalls).toEqual([{ group: 'auditor', required: 1, counted: 0 }]);
    expect(() => verifyReceiptQuorum(quorum, [a('ann', 'treasury'), a('bob', 'treasury'), a('cy', 'security')])).toThrow(/comparator group 'auditor' has no approval/);
  });

  it('refuses one person counted in two groups (separation of duties)', () => {
    const r = evaluateReceiptQuorum(quorum, [a('ann', 'treasury'), a('bob', 'treasury'), a('bob', 'security'), a('dee', 'auditor')]);
    expect(r.satisfied).toBe(false);
    expect(r.dutyConflicts).toEqual(['bob']);
    try {
      verifyReceiptQuorum(quorum, [a('ann', 'treasury'), a('bob', 'treasury'), a('bob', 'security'), a('dee', 'auditor')]);
      expect.fail('accepted');
    } catch (e) {
      expect(e).toMatchObject({ code: 'RECEIPT_QUORUM_UNSATISFIED', status: 403 });
    }
  });

  it('ignores approvals without a group or in a group the quorum does not name', () => {
    const r = evaluateReceiptQuorum({ all_of: [{ group: 'ops', min: 1 }] }, [a('ann'), a('bob', 'marketing')]);
    expect(r.shortfalls).toEqual([{ group: 'ops', required: 1, counted: 0 }]);
  });

  it('an empty approval list meets no quorum', () => {
    expect(evaluateReceiptQuorum({ all_of: [{ group: 'ops', min: 1 }] }, []).satisfied).toBe(false);
  });
});
