import { ACCESS_TOKEN_ROLE } from '../../core/access-token/access-token.ts';
import type { Clock } from '../../core/clock.ts';
import { newToken, tokenDigest } from '../approver/secret-token.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import type { Store } from '../ports/store.ts';
import { consoleError } from './console-errors.ts';

export const isRegulator = (p: PrincipalRecord | undefined): p is PrincipalRecord => p !== undefined && !p.disabled && p.roles.includes(ACCESS_TOKEN_ROLE);

/**
 * An invitation for a registered regulator to create the console's passkey (docs/regulator.md §7):
 * a single-use, expiring token, of which only the SHA-256 is stored; the link carries the token in
 * its fragment. Made by the console's API and by the CLI (`regulator invite`).
 */
export async function inviteRegulator(
  d: { store: Store; clock: Clock; random: (n: number) => Promise<Uint8Array>; appOrigin: string },
  o: { person: string; by: string; ttlMs: number },
): Promise<{ person: string; url: string; expiresAt: string }> {
  const principal = await d.store.principals.get(o.person);
  if (!isRegulator(principal)) throw consoleError('INVITATION_INVALID', `'${o.person}' is not an enabled principal with the regulator role (register them first)`);
  const token = newToken(await d.random(32));
  const now = d.clock.now();
  const expiresAt = now + o.ttlMs;
  await d.store.tx(async (tx) => {
    await tx.regulatorConsole.insertInvitation({ tokenSha256: tokenDigest(token), person: o.person, createdBy: o.by, createdAt: now, expiresAt });
    await tx.audit([{ v: 1, type: 'regulator.invited', ts: now, by: o.by, person: o.person, expiresAt }]);
  });
  return { person: o.person, url: `${d.appOrigin}/app/regulator/enrol#${token}`, expiresAt: new Date(expiresAt).toISOString() };
}
