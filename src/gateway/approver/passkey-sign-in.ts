import { FirewallError } from '../../core/errors.ts';
import type { AuthenticationResponse } from '../../core/signature/messages.ts';
import type { GatewayContext } from '../context.ts';
import { SealedCeremonies } from '../sealed-ceremonies.ts';
import type { SignatureService } from '../signatures/service.ts';
import { authenticationOptions, verifyAssertion } from '../signatures/webauthn.ts';

/**
 * Sign-in to the approver app with a discoverable passkey: the person's enrolled device credential
 * (docs/protocol.md §1), no user name, user verification required. The ceremony's challenge is 32
 * bytes from the HSM, sealed into the ceremony id and single use on every replica
 * (sealed-ceremonies.ts), for the ceremony's 5 minutes. The credential is
 * found by its id, the assertion verified as every other assertion of that device
 * (signatures/webauthn.ts), its user handle must name the device's person, and its signature
 * counter is advanced atomically with a `device.authenticated` log entry.
 */
export class PasskeySignIn {
  readonly #ctx: GatewayContext;
  readonly #signatures: SignatureService;
  readonly #ceremonies: SealedCeremonies<{ challenge: string }>;

  constructor(ctx: GatewayContext, signatures: SignatureService) {
    this.#ctx = ctx;
    this.#signatures = signatures;
    this.#ceremonies = new SealedCeremonies({ sealer: ctx.sealer, replay: ctx.replay, clock: ctx.clock, ttlMs: signatures.config.ceremonyTtlMs, purpose: 'app-sign-in' });
  }

  async options(): Promise<Record<string, unknown>> {
    const options = await authenticationOptions(this.#signatures.config, { challenge: await this.#ctx.signer.random(32), allow: [] });
    const { ceremonyId, expiresAt } = await this.#ceremonies.open({ challenge: options.challenge });
    return { ceremonyId, expiresAt: new Date(expiresAt).toISOString(), options };
  }

  /** Returns the person signed in and the passkey that did it. Every failure is one code: the page learns nothing about which check failed. */
  async verify(ceremonyId: unknown, credential: AuthenticationResponse | undefined): Promise<{ person: string; device: string }> {
    const refused = (cause?: unknown) => new FirewallError('SIGN_IN_REFUSED', 'sign-in refused: use a passkey enrolled in this app', { status: 401, cause });
    const taken = await this.#ceremonies.take(ceremonyId); // single use, even when what follows fails
    if (taken === undefined) throw refused(new Error('unknown or used ceremony'));
    if ('expired' in taken) throw new FirewallError('CEREMONY_EXPIRED', 'the sign-in took too long; try again', { status: 409 });
    const p = taken.value;
    const now = this.#ctx.clock.now();
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
