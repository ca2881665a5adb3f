import { FirewallError } from '../../core/errors.ts';
import type { RegistrationResponse } from '../../core/signature/messages.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import type { GatewayContext } from '../context.ts';
import type { SignatureService } from '../signatures/service.ts';
import { usableInvitation } from './invitations.ts';
import { tokenDigest } from './secret-token.ts';

/**
 * Enrolment by invitation: the link's token lets its person create their passkey (a discoverable
 * credential, user verification required) through the same registration ceremony as any device
 * (SignatureService, docs/protocol.md §1). The invitation is single use: it is consumed in a
 * transaction after the credential verified; if that fails (used meanwhile by a parallel attempt,
 * or expired), the credential just enrolled is revoked and the enrolment refused.
 */
export class Enrolment {
  readonly #ctx: GatewayContext;
  readonly #signatures: SignatureService;
  constructor(ctx: GatewayContext, signatures: SignatureService) {
    this.#ctx = ctx;
    this.#signatures = signatures;
  }

  async #invited(token: unknown): Promise<{ principal: PrincipalRecord; expiresAt: number }> {
    const inv = await usableInvitation(this.#ctx.store.approver, token, this.#ctx.clock.now());
    const principal = await this.#ctx.store.principals.get(inv.person);
    if (principal === undefined || principal.disabled) throw new FirewallError('INVITATION_UNKNOWN', 'this invitation link is not valid; ask your administrator for a new one', { status: 404 });
    return { principal, expiresAt: inv.expiresAt };
  }

  /** What the link is for (shown before anything is created). */
  async describe(token: unknown): Promise<Record<string, unknown>> {
    const { principal, expiresAt } = await this.#invited(token);
    return { person: principal.id, roles: principal.roles, expiresAt: new Date(expiresAt).toISOString() };
  }

  async registrationOptions(token: unknown): Promise<Record<string, unknown>> {
    const { principal } = await this.#invited(token);
    const out = await this.#signatures.registrationOptions(principal, principal.id, { kind: 'phone', name: 'approver app' }, { discoverable: true });
    return { ...out, person: principal.id };
  }

  /** Returns the person, whose session the caller then opens, and the passkey just made. */
  async register(token: unknown, body: { ceremonyId: string; credential: RegistrationResponse }): Promise<{ person: string; device: string }> {
    const { principal } = await this.#invited(token);
    const device = await this.#signatures.registerDevice(principal, principal.id, body);
    const now = this.#ctx.clock.now();
    const used = await this.#ctx.store.tx(async (tx) => {
      if (!(await tx.approver.useInvitation(tokenDigest(token as string), now))) return false;
      await tx.audit([{ v: 1, type: 'person.invitation_used', ts: now, who: principal.id, device: device['id'] }]);
      return true;
    });
    if (!used) {
      await this.#signatures.revokeDevice(principal, String(device['id']));
      await usableInvitation(this.#ctx.store.approver, token, now); // throws the precise reason (used or expired)
      throw new FirewallError('INVITATION_USED', 'this invitation was already used; ask your administrator for a new one', { status: 410 });
    }
    return { person: principal.id, device: String(device['id']) };
  }
}
