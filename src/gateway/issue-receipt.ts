import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { PublicKeyInfo, Signer } from '../core/signer.ts';
import { buildReceiptClaims } from '../core/receipt/build-receipt-claims.ts';
import { signReceipt } from '../core/receipt/sign-receipt.ts';
import type { ReceiptApproval, ReceiptQuorum } from '../core/receipt/receipt.ts';
import type { Tier } from '../core/tier.ts';
import type { ReceiptIssuer } from './ports.ts';

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
        approvals: c.approvals as ReceiptApproval[],
        ...(c.quorum === undefined ? {} : { quorum: c.quorum as ReceiptQuorum }),
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
