import { FirewallError } from '../../core/errors.ts';
import { sortModalities, type Modality } from '../../core/policy/modality.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import { assertSelf, catchUp, type SignatureState } from './signature-state.ts';
import { personView } from './views.ts';

/** A person's signature record: the modalities they declare, and the administrator's unlock. */

export async function declarePerson(s: SignatureState, principal: PrincipalRecord, personId: string, body: { modalities: Modality[]; displayName?: string }): Promise<Record<string, unknown>> {
  assertSelf(principal, personId);
  const modalities = sortModalities(body.modalities);
  const now = s.ctx.clock.now();
  await s.ctx.store.tx(async (tx) => {
    await tx.signatures.putPerson(personId, modalities, body.displayName ?? null, now);
    await tx.audit([{ v: 1, type: 'person.modalities_declared', ts: now, who: personId, modalities }]);
  });
  // Declared after an action started to wait on them (a witness-mode person needs no device).
  await catchUp(s, personId);
  return personOf(s, principal, personId);
}

export async function personOf(s: SignatureState, principal: PrincipalRecord, personId: string): Promise<Record<string, unknown>> {
  assertSelf(principal, personId);
  const p = await s.store.getPerson(personId);
  if (p === undefined) throw new FirewallError('PERSON_NOT_FOUND', `'${personId}' has not enrolled`, { status: 404 });
  return personView(p, await s.store.devicesOf(personId));
}

export async function unlock(s: SignatureState, principal: PrincipalRecord, personId: string): Promise<Record<string, unknown>> {
  if (!principal.roles.includes('admin')) throw new FirewallError('ROLE_FORBIDDEN', 'only an administrator unlocks a person', { status: 403 });
  const now = s.ctx.clock.now();
  await s.ctx.store.tx(async (tx) => {
    const p = await tx.signatures.person(personId);
    if (p === undefined) throw new FirewallError('PERSON_NOT_FOUND', `'${personId}' has not enrolled`, { status: 404 });
    await tx.signatures.setFailures(personId, 0, null, now);
    await tx.audit([{ v: 1, type: 'signature.person_unlocked', ts: now, person: personId, by: principal.id }]);
  });
  // An erasure batched just after this commit may have removed the record: 404, as before it.
  const p = await s.store.getPerson(personId);
  if (p === undefined) throw new FirewallError('PERSON_NOT_FOUND', `'${personId}' was erased meanwhile`, { status: 404 });
  return personView(p, await s.store.devicesOf(personId));
}
