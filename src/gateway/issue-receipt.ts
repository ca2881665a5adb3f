import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { PublicKeyInfo, Signer } from '../core/signer.ts';
import { buildReceiptClaims } from '../core/receipt/build-receipt-claims.ts';
import { signReceipt } from '../core/receipt/sign-receipt.ts';
import type { ReceiptApproval, ReceiptQuorum } from '../core/receipt/receipt.ts';
import type { Tier } from '../core/tier.ts';
import type { ReceiptIssuer } from './ports/receipts.ts';

/** Receipts are signed inside the HSM; the gateway only caches which key that is. */
export function receiptIssuer(opts: { signer: Signer; clock: Clock; issuer: string; ttlSec: number }): ReceiptIssuer {
  let key: Promise<PublicKeyInfo> | undefined;
  return async (c) => {
    key ??= opts.signer.publicKey('receipt').catch((e: unknown) => {
      key = undefined;
      throw e;
    });
    const jti = randomUUID();
    const claims = buildReceiptClaims(
      {
        issuer: opts.issuer,
        actionId: c.actionId,
        actuator: c.actuator,
        actionDigest: c.digest,
        request: { method: c.method, path: c.path, bodySha256: c.bodySha256 },
        tier: c.tier as Tier,
        approvals: c.approvals.map(toReceiptApproval),
        ...(c.quorum === undefined ? {} : { quorum: toReceiptQuorum(c.quorum) }),
        policyHash: c.policyHash,
        logIndex: c.logIndex,
      },
      { now: opts.clock.now(), jti, ttlSec: opts.ttlSec },
    );
    try {
      return { jws: await signReceipt(opts.signer, claims, { key: await key }), jti };
    } catch (e) {
      key = undefined; // a rotated or re-initialised device: look the key up again next time
      throw e;
    }
  };
}

/** The gateway's approval record (ms, several modalities) in the receipt's form (seconds, one label). */
export function toReceiptApproval(a: unknown): ReceiptApproval {
  const r = a as { who: string; device: string; at: number; group?: string; logIndex?: number; liveness?: { modalities?: string[]; modality?: string; score?: number } };
  const lv = r.liveness;
  const modality = lv?.modality ?? (lv?.modalities && lv.modalities.length > 0 ? lv.modalities.join('+') : undefined);
  return {
    who: r.who,
    device: r.device,
    at: r.at > 1e11 ? Math.floor(r.at / 1000) : r.at,
    ...(r.group === undefined ? {} : { group: r.group }),
    ...(modality === undefined ? {} : { liveness: { modality, ...(typeof lv?.score === 'number' ? { score: Math.max(0, Math.min(1, lv.score)) } : {}) } }),
    ...(r.logIndex === undefined ? {} : { logIndex: r.logIndex }),
  };
}

/** The policy engine's quorum requirement in the receipt's form: AND of groups, plus the comparator group. */
export function toReceiptQuorum(q: unknown): ReceiptQuorum {
  const r = q as { all_of?: ReceiptQuorum['all_of']; allOf?: { group: string; min: number }[]; comparator?: string; comparators?: { group: string }[] };
  if (r.all_of !== undefined) return r as ReceiptQuorum;
  const comparator = r.comparator ?? r.comparators?.[0]?.group;
  return { all_of: (r.allOf ?? []).map((g) => ({ group: g.group, min: g.min })), ...(comparator === undefined ? {} : { comparator }) };
}
