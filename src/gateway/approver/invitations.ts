import { generateKeyPairSync } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import { FirewallError } from '../../core/errors.ts';
import type { Store } from '../ports/store.ts';
import { registerPrincipal } from '../register-principal.ts';
import type { ApproverReads, InvitationRow } from '../ports/approver.ts';
import { isTokenShaped, newToken, tokenDigest } from './secret-token.ts';

export const INVITABLE_ROLES = ['authorizer', 'comparator'] as const;

export interface Invitation {
  person: string;
  roles: string[];
  url: string;
  expiresAt: string;
}

/** The link a person opens on their phone: the token in the fragment, so it never reaches a server log or a Referer. */
export function invitationUrl(appOrigin: string, token: string): string {
  return `${appOrigin}/app/enrol#${token}`;
}

/**
 * An administrator invites a person to enrol a passkey in the approver app. A person who is not yet
 * a principal is registered with the invited roles and a public key whose private half is
 * discarded at once: people enrolled this way authenticate with their passkey only (an
 * administrator can register a client-assertion key for them later with `principal register`).
 */
export async function createInvitation(
  deps: { store: Store; clock: Clock; random: (n: number) => Promise<Uint8Array>; appOrigin: string },
  o: { person: string; roles?: string[]; by: string; ttlMs: number },
): Promise<Invitation> {
  const now = deps.clock.now();
  const roles = o.roles ?? ['authorizer'];
  for (const r of roles) {
    if (!(INVITABLE_ROLES as readonly string[]).includes(r)) throw new FirewallError('INVITATION_INVALID', `role '${r}' cannot be given by invitation (authorizer or comparator)`, { status: 400 });
  }
  let principal = await deps.store.principals.get(o.person);
  if (principal === undefined) {
    const { publicKey } = generateKeyPairSync('ed25519');
    principal = await registerPrincipal(deps.store, { id: o.person, roles, publicJwk: publicKey.export({ format: 'jwk' }) }, now);
  }
  if (principal.disabled) throw new FirewallError('INVITATION_INVALID', `'${o.person}' is disabled`, { status: 409 });
  if (!principal.roles.some((r) => (INVITABLE_ROLES as readonly string[]).includes(r))) {
    throw new FirewallError('INVITATION_INVALID', `'${o.person}' holds no role a person signs with (authorizer, comparator)`, { status: 409 });
  }
  const token = newToken(await deps.random(32));
  const expiresAt = now + o.ttlMs;
  await deps.store.tx(async (tx) => {
    await tx.approver.insertInvitation({ tokenSha256: tokenDigest(token), person: o.person, roles: principal.roles, createdBy: o.by, createdAt: now, expiresAt });
  });
  return { person: o.person, roles: principal.roles, url: invitationUrl(deps.appOrigin, token), expiresAt: new Date(expiresAt).toISOString() };
}

/** An invitation that can still be used, or the reason it cannot (one code per reason: the page says which). */
export async function usableInvitation(app: ApproverReads, token: unknown, now: number): Promise<InvitationRow> {
  const row = isTokenShaped(token) ? await app.invitation(tokenDigest(token)) : undefined;
  if (row === undefined) throw new FirewallError('INVITATION_UNKNOWN', 'this invitation link is not valid; ask your administrator for a new one', { status: 404 });
  if (row.usedAt !== null) throw new FirewallError('INVITATION_USED', 'this invitation was already used; ask your administrator for a new one', { status: 410 });
  if (row.expiresAt < now) throw new FirewallError('INVITATION_EXPIRED', 'this invitation has expired; ask your administrator for a new one', { status: 410 });
  return row;
}
