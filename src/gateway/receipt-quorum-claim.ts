import type { ReceiptQuorum } from '../core/receipt/receipt.ts';

/**
 * The receipt's `quorum` claim (docs/receipts.md: `{ all_of: [{ group, min }], comparator? }`) for a
 * classification's `requirements.quorum`, so an actuator can re-check the approvals the receipt
 * carries. The receipt names one comparator group: the first one required (by name) that is not also
 * an all_of group. The gateway's own engine (core/quorum) has checked every comparator already.
 */
export function receiptQuorumOf(requirement: unknown): ReceiptQuorum | undefined {
  if (requirement === null || typeof requirement !== 'object') return undefined;
  const q = requirement as { allOf?: { group: string; min: number }[]; comparators?: { group: string }[] };
  if (!Array.isArray(q.allOf) || q.allOf.length === 0) return undefined;
  const all_of = q.allOf.map((c) => ({ group: c.group, min: c.min }));
  const names = new Set(all_of.map((c) => c.group));
  const comparator = (q.comparators ?? []).map((c) => c.group).find((g) => !names.has(g));
  return comparator === undefined ? { all_of } : { all_of, comparator };
}
