import { isFirewallError } from '../../core/errors.ts';
import type { GatewayContext } from '../../gateway/context.ts';

/**
 * How a failed authentication is answered: 401 AUTH_INVALID, counted towards the address's
 * lock-out; or 503 with the code when the replay cache or the failure counter cannot be reached
 * (fail closed: nothing was accepted, and the failure could not be counted).
 */
export async function authRefusal(ctx: GatewayContext, address: string, e: unknown): Promise<{ status: number; code: string; message: string }> {
  try {
    if (isFirewallError(e) && e.status === 503) return e;
    if (isFirewallError(e, 'AUTH_INVALID')) await ctx.limits.authFailed(address);
    return { status: 401, code: 'AUTH_INVALID', message: 'the client assertion was not accepted' };
  } catch (f) {
    if (isFirewallError(f)) return f;
    throw f;
  }
}
