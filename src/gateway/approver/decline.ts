import { FirewallError } from '../../core/errors.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import { entry } from '../audit-entries.ts';
import type { GatewayContext } from '../context.ts';
import { notifyPerson } from '../signatures/person-notice.ts';
import type { SignatureService } from '../signatures/service.ts';

/** The longest reason kept (as for a veto or a report). */
export const DECLINE_REASON_MAX = 500;

/**
 * A person declines to sign their part of an action (a HIGH signature, or their share of a
 * CRITICAL quorum) and says why (docs/approver-app.md §Declining). Only their own open challenge
 * closes (`cancelled`, outcome `DECLINED`), with a `signature.declined` log entry in the same
 * commit; the action itself is not stopped (a veto does that): it goes on waiting for others and
 * expires when nobody else signs, so nothing runs on the decliner's behalf. A decline is final for
 * that person and action: no challenge is issued to them for it again (challenge-issuer.ts).
 */
export async function declineSignature(ctx: GatewayContext, signatures: SignatureService, p: PrincipalRecord, actionId: string, reason: string): Promise<{ declined: true; challengeId: string; logIndex: number; at: string }> {
  const a = actionId.length <= 100 ? await ctx.store.getAction(actionId) : undefined;
  const c = a === undefined ? undefined : (await ctx.store.signatures.openChallengesOf(p.id)).find((x) => x.purpose === 'action' && x.actionId === a.id);
  if (a === undefined || c === undefined) throw new FirewallError('NOTHING_TO_DECLINE', 'nothing of this action waits for your signature', { status: 409 });
  if (c.state !== 'issued') throw new FirewallError('CHALLENGE_ACTIVE', 'a signature session for it is under way; it cannot be declined now', { status: 409 });
  const text = reason.slice(0, DECLINE_REASON_MAX);
  const now = ctx.clock.now();
  const logIndex = await ctx.store.tx(async (tx) => {
    // Closed only while still unanswered: a session that started meanwhile wins.
    if (!(await tx.signatures.endChallenge(c.id, 'cancelled', 'DECLINED', now))) return undefined;
    return tx.audit([entry('signature.declined', now, a, { challengeId: c.id, who: p.id, role: c.role, mode: c.mode, reason: text })]);
  });
  if (logIndex === undefined) throw new FirewallError('CHALLENGE_ACTIVE', 'a signature session for it started meanwhile; it cannot be declined now', { status: 409 });
  signatures.issuer.nonces.forget(c.id);
  notifyPerson(ctx, p.id, 'challenge_closed', { id: c.id, actionId: a.id, reason: 'DECLINED' });
  return { declined: true, challengeId: c.id, logIndex, at: new Date(now).toISOString() };
}
