import { FirewallError } from '../../core/errors.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import { erasePersonData, type Erasure, type ErasureGround } from './erasure.ts';
import { forgetClosed, reissueWitnessed } from './refusal.ts';
import type { SignatureState } from './signature-state.ts';
import { erasureView } from './views.ts';

// Erasure on request and the retention schedule (docs/privacy.md): who is erased, and what follows in this process.

/** GDPR art. 17 on an administrator's request; a repeated request answers that it was done already. */
export async function erasePerson(s: SignatureState, principal: PrincipalRecord, personId: string): Promise<Record<string, unknown>> {
  if (!principal.roles.includes('admin')) throw new FirewallError('ROLE_FORBIDDEN', 'only an administrator erases a person', { status: 403 });
  const done = await erase(s, personId, { basis: 'erasure_request', by: principal.id });
  if (done !== undefined) return erasureView(done);
  const earlier = await s.store.getErasure(personId);
  if (earlier === undefined) throw new FirewallError('PERSON_NOT_FOUND', `'${personId}' has no signature record`, { status: 404 });
  return { person: personId, erased: false, alreadyErased: true, erasedAt: new Date(earlier.erasedAt).toISOString(), basis: earlier.basis, logIndex: earlier.logIndex };
}

/**
 * The retention schedule (BIPA §15(a)): erases, at most `retentionBatch` per call, the people
 * whose last interaction is more than `retentionDays` ago (found through their interaction
 * floor, lowest first; docs/privacy.md §Retention schedule).
 */
export async function purgeInactive(s: SignatureState): Promise<Erasure[]> {
  const retentionDays = s.config.retentionDays;
  const cutoff = s.ctx.clock.now() - retentionDays * 86_400_000;
  const out: Erasure[] = [];
  const batch = s.config.retentionBatch;
  // Candidates come by a lower bound of the last interaction (ports/signatures.ts); the active
  // ones among them get their bound raised and are not looked at again until it is passed. At
  // most ten batches' worth of people are examined per run, so one run stays short.
  for (let examined = 0; out.length < batch && examined < 10 * batch; ) {
    const candidates = await s.store.retentionCandidates(cutoff, batch);
    if (candidates.length === 0) break;
    examined += candidates.length;
    const active = candidates.filter((p) => p.lastInteractionAt >= cutoff);
    if (active.length > 0) {
      await s.ctx.store.tx(async (tx) => {
        for (const p of active) await tx.signatures.raiseInteractionFloor(p.id, p.lastInteractionAt);
      });
    }
    // One who interacts between the read and the erasure is kept (erasure re-checks in its
    // transaction) and is raised above by the next read.
    for (const p of candidates) {
      if (p.lastInteractionAt >= cutoff || out.length >= batch) continue;
      const done = await erase(s, p.id, { basis: 'retention_schedule', retentionDays, cutoff });
      if (done !== undefined) out.push(done);
    }
    if (candidates.length < batch) break;
  }
  return out;
}

async function erase(s: SignatureState, personId: string, ground: ErasureGround): Promise<Erasure | undefined> {
  const done = await erasePersonData(s.ctx, personId, ground, (id) => s.issuer.nonces.cached(id));
  if (done === undefined) return undefined;
  forgetClosed(s, done.closed, 'PERSON_ERASED', { code: 'PERSON_ERASED', message: 'the person was erased while the session ran' });
  await reissueWitnessed(s, personId, done.closed, 'an erasure');
  return done;
}

