import { parseReceiptClaims } from '../../../src/core/receipt/parse-receipt-claims.ts';
import { RECEIPT_TYP, type ReceiptClaims } from '../../../src/core/receipt/receipt.ts';
import { isFirewallError } from '../../../src/core/errors.ts';
import { canonicalJson } from '../../../src/core/canonical.ts';
import { approvalsOf, atMs, type Approval } from './approval.ts';
import { describe } from './action-tracker.ts';
import { defineActionRule } from './define-rule.ts';
import { shown, str, uint } from './fields.ts';
import { JwsError, verifyCompactJws } from './compact-jws.ts';

/**
 * An approval as both a receipt's `apv` and the log carry it, whatever the unit of `at` (seconds in
 * receipts, possibly milliseconds in the log) and the shape of the liveness summary: who, device,
 * the second of `at`, group, logIndex, and whether a liveness summary is present.
 */
function approvalKey(a: Approval | ReceiptClaims['apv'][number]): string {
  return canonicalJson({
    who: a.who,
    device: a.device,
    at: Math.floor(atMs(a.at) / 1000),
    group: a.group ?? null,
    logIndex: a.logIndex ?? null,
    live: a.liveness !== undefined,
  });
}

function sameApprovals(receipt: ReceiptClaims['apv'], recorded: readonly Approval[]): boolean {
  const a = receipt.map(approvalKey).sort();
  const b = recorded.map(approvalKey).sort();
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * action.receipt: the receipt recorded in action.executed is a compact JWS of typ af-receipt+jwt
 * that verifies with the receipt key (`kid`) of the bundle's JWKS, its claims parse
 * (docs/receipts.md), and it binds this execution: `sub` = action id, `act` = action digest,
 * `jti` = receiptJti, `tier` and `pol` = the classification's, `log` = index of the
 * action.authorised entry, `apv` = the authorisation's approvals (who, device, second of `at`,
 * group, logIndex, liveness present or not; the role is not in receipts), and it was
 * issued no earlier than the authorisation.
 */
export const receiptRule = defineActionRule('action.receipt', "each execution's receipt verifies and binds the authorised action", (api) => ({
  action(step) {
    const { seen, state, actionId } = step;
    if (seen.type !== 'action.executed') return;
    const jws = str(seen.value, 'receipt');
    if (jws === undefined) {
      api.fail(seen, `${describe(seen)}: action ${actionId} was executed without a recorded receipt`);
      return;
    }
    let claims: ReceiptClaims;
    try {
      const v = verifyCompactJws(jws, api.ctx.bundle.jwks.keys, { typ: RECEIPT_TYP, purpose: 'receipt' });
      claims = parseReceiptClaims(v.payload);
    } catch (e) {
      if (e instanceof JwsError || isFirewallError(e)) {
        api.fail(seen, `${describe(seen)}: the receipt of action ${actionId} ${e instanceof JwsError ? e.message : `is malformed: ${e.message}`}`);
        return;
      }
      throw e;
    }
    const bad: string[] = [];
    if (claims.sub !== actionId) bad.push(`sub ${claims.sub} is not the action id`);
    if (claims.act !== str(seen.value, 'digest')) bad.push('act is not the digest of this execution');
    if (state.received && claims.act !== str(state.received.value, 'digest')) bad.push(`act is not the digest received at entry ${state.received.index}`);
    const jti = str(seen.value, 'receiptJti');
    if (jti !== undefined && claims.jti !== jti) bad.push('jti is not the recorded receiptJti');
    const c = state.classified;
    if (c) {
      if (claims.tier !== c.value['tier']) bad.push(`tier ${claims.tier} is not the classified tier ${shown(c.value['tier'])}`);
      if (claims.pol !== c.value['policyHash']) bad.push("pol is not the classification's policy hash");
    }
    const auth = state.authorised;
    if (auth) {
      if (claims.log !== auth.index) bad.push(`log ${claims.log} is not the index of the authorisation (${auth.index})`);
      const ts = uint(auth.value, 'ts');
      if (ts !== undefined && claims.iat * 1000 < ts - 1000) bad.push('it was issued before the action was authorised');
      if (!sameApprovals(claims.apv, approvalsOf(auth.value))) bad.push('apv differs from the approvals of the authorisation');
    }
    if (bad.length > 0) api.fail(seen, `${describe(seen)}: the receipt of action ${actionId} does not bind it: ${bad.join('; ')}`);
    if (!c || !auth) api.missing(step, `${describe(seen)}: the classification or authorisation of action ${actionId} is not in the bundle; receipt tier, pol and log not checked`);
  },
}));
