import { randomUUID } from 'node:crypto';
import { FirewallError } from '../../core/errors.ts';
import type { AuthenticationResponse } from '../../core/signature/messages.ts';
import type { GatewayContext } from '../context.ts';
import type { SignatureService } from '../signatures/service.ts';
import { authenticationOptions, verifyAssertion } from '../signatures/webauthn.ts';

interface Pending {
  challenge: string;
  expiresAt: number;
}

/** At most this many sign-in ceremonies wait at once (they are unauthenticated: a bound on memory). */
const MAX_PENDING = 10_000;

/**
 * Sign-in to the approver app with a discoverable passkey: the person's enrolled device credential
 * (docs/protocol.md §1), no user name, user verification required. The ceremony's challenge is 32
 * bytes from the HSM, single use, kept in memory for the ceremony's 5 minutes. The credential is
 * found by its id, the assertion verified as every other assertion of that device
 * (signatures/webauthn.ts), its user handle must name the device's person, and its signature
 * counter is advanced atomically with a `device.authenticated` log entry.
 */
export class PasskeySignIn {
  readonly #ctx: GatewayContext;
  readonly #signatures: SignatureService;
  readonly #pending = new Map<string, Pending>();

  constructor(ctx: GatewayContext, signatures: SignatureService) {
    this.#ctx = ctx;
    this.#signatures = signatures;
  }

  async options(): Promise<Record<string, unknown>> {
    const now = this.#ctx.clock.now();
    for (const [id, p] of this.#pending) if (p.expiresAt < now) this.#pending.delete(id);
    if (this.#pending.size >= MAX_PENDING) throw new FirewallError('RATE_LIMITED', 'too many sign-ins at once; try again shortly', { status: 429, detail: { retryAfterSeconds: 5 } });
    const options = await authenticationOptions(this.#signatures.config, { challenge: await this.#ctx.signer.random(32), allow: [] });
    const ceremonyId = `cer_${randomUUID()}`;
    const expiresAt = now + this.#signatures.config.ceremonyTtlMs;
    this.#pending.set(ceremonyId, { challenge: options.challenge, expiresAt });
    return { ceremonyId, expiresAt: new Date(expiresAt).toISOString(), options };
  }

  /** Returns the person signed in and the passkey that did it. Every failure is one code: the page learns nothing about which check failed. */
  async verify(ceremonyId: unknown, credential: AuthenticationResponse | undefined): Promise<{ person: string; device: string }> {
    const refused = (cause?: unknown) => new FirewallError('SIGN_IN_REFUSED', 'sign-in refused: use a passkey enrolled in this app', { status: 401, cause });
    const p = typeof ceremonyId === 'string' ? this.#pending.get(ceremonyId) : undefined;
    if (p === undefined) throw refused(new Error('unknown or used ceremony'));
    this.#pending.delete(ceremonyId as string); // single use, even when what follows fails
    const now = this.#ctx.clock.now();
    if (p.expiresAt < now) throw new FirewallError('CEREMONY_EXPIRED', 'the sign-in took too long; try again', { status: 409 });
    if (credential === undefined || typeof credential.id !== 'string') throw refused(new Error('no credential'));
    const device = await this.#ctx.store.signatures.getDevice(credential.id);
    if (device === undefined || device.revokedAt !== null) throw refused(new Error('unknown or revoked credential'));
    const handle = credential.response?.userHandle;
    if (typeof handle !== 'string' || Buffer.from(handle, 'base64url').toString('utf8') !== device.person) throw refused(new Error('user handle names another person'));
    const principal = await this.#ctx.store.principals.get(device.person);
    if (principal === undefined || principal.disabled) throw refused(new Error('person unknown or disabled'));
    let newCounter: number;
    try {
      ({ newCounter } = await verifyAssertion(this.#signatures.config, device, credential, p.challenge));
    } catch (cause) {
      throw refused(cause);
    }
    await this.#ctx.store.tx(async (tx) => {
      if (!(await tx.signatures.advanceCounter(device.credentialId, newCounter, now))) {
        throw new FirewallError('COUNTER_REGRESSION', 'the signature counter did not advance: a cloned authenticator?', { status: 409 });
      }
      await tx.audit([{ v: 1, type: 'device.authenticated', ts: now, who: device.person, device: device.credentialId, counter: newCounter, purpose: 'app_sign_in' }]);
    });
    return { person: device.person, device: device.credentialId };
  }
}
