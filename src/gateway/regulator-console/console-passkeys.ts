import type { Clock } from '../../core/clock.ts';
import type { Sealer } from '../../core/sealer.ts';
import type { AuthenticationResponse, RegistrationResponse } from '../../core/signature/messages.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import type { ReplayCache } from '../ports/replay-cache.ts';
import type { RegulatorInvitationRow, RegulatorPasskeyRow } from '../ports/regulator-console.ts';
import type { Store } from '../ports/store.ts';
import { isTokenShaped, tokenDigest } from '../approver/secret-token.ts';
import type { SignatureConfig } from '../signatures/config.ts';
import { authenticationOptions, registrationOptions, verifyAssertion, verifyRegistration } from '../signatures/webauthn.ts';
import { SealedCeremonies, type TakenCeremony } from '../sealed-ceremonies.ts';
import { consoleError } from './console-errors.ts';
import { inviteRegulator, isRegulator } from './regulator-invitation.ts';

export interface ConsolePasskeysDeps {
  store: Store;
  clock: Clock;
  webauthn: SignatureConfig;
  random: (n: number) => Promise<Uint8Array>;
  /** Where the console is served to people (no path): invitation links point there. */
  appOrigin: string;
  /** What the passkey ceremonies are sealed with and spent in: any replica completes them. */
  ceremonies: { sealer: Sealer; replay: ReplayCache };
}

/** A ceremony's value, or the console's refusal: unknown or used, or too late. */
function taken<T>(t: TakenCeremony<T>, unknown: () => Error): T {
  if (t === undefined) throw unknown();
  if ('expired' in t) throw consoleError('CEREMONY_EXPIRED', 'the ceremony took too long; try again');
  return t.value;
}

/** A passkey assertion that verified: who, with which passkey, and the counter to record. */
export interface ConsoleAssertion {
  principal: PrincipalRecord;
  passkey: RegulatorPasskeyRow;
  newCounter: number;
}

/**
 * Passkeys of the regulator console (docs/regulator.md §7). A regulator's passkey is not a
 * signing device: it lives in its own table and opens only the console, so an auditor is never an
 * approver by way of their sign-in. An administrator invites a registered regulator; the link lets
 * them create a discoverable passkey (user verification required, EdDSA or ES256, the same
 * ceremony and checks as the approver app's, signatures/webauthn.ts); sign-in asks for any
 * passkey of this console, verifies it and hands the caller the counter to advance.
 */
export class ConsolePasskeys {
  readonly #d: ConsolePasskeysDeps;
  readonly #registrations: SealedCeremonies<{ challenge: string; person: string }>;
  readonly #signIns: SealedCeremonies<{ challenge: string }>;

  constructor(d: ConsolePasskeysDeps) {
    this.#d = d;
    const sealed = <T>(purpose: string) => new SealedCeremonies<T>({ ...d.ceremonies, clock: d.clock, ttlMs: d.webauthn.ceremonyTtlMs, purpose });
    this.#registrations = sealed('console-enrolment');
    this.#signIns = sealed('console-sign-in');
  }

  /** An invitation for a registered regulator: the link carries the token in its fragment. */
  invite(o: { person: string; by: string; ttlMs: number }): Promise<{ person: string; url: string; expiresAt: string }> {
    return inviteRegulator(this.#d, o);
  }

  async #invitation(token: unknown): Promise<RegulatorInvitationRow> {
    const row = isTokenShaped(token) ? await this.#d.store.regulatorConsole.invitation(tokenDigest(token)) : undefined;
    if (row === undefined) throw consoleError('INVITATION_UNKNOWN', 'this invitation link is not valid; ask your administrator for a new one');
    if (row.usedAt !== null) throw consoleError('INVITATION_USED', 'this invitation was already used; ask your administrator for a new one');
    if (row.expiresAt < this.#d.clock.now()) throw consoleError('INVITATION_EXPIRED', 'this invitation has expired; ask your administrator for a new one');
    return row;
  }

  async #invitedRegulator(token: unknown): Promise<{ row: RegulatorInvitationRow; principal: PrincipalRecord }> {
    const row = await this.#invitation(token);
    const principal = await this.#d.store.principals.get(row.person);
    if (!isRegulator(principal)) throw consoleError('INVITATION_UNKNOWN', 'this invitation link is not valid; ask your administrator for a new one');
    return { row, principal };
  }

  async describe(token: unknown): Promise<{ person: string; expiresAt: string }> {
    const { row } = await this.#invitedRegulator(token);
    return { person: row.person, expiresAt: new Date(row.expiresAt).toISOString() };
  }

  async registrationOptions(token: unknown): Promise<Record<string, unknown>> {
    const { principal } = await this.#invitedRegulator(token);
    const options = await registrationOptions(this.#d.webauthn, {
      person: principal.id,
      displayName: `${principal.id} (regulator console)`,
      challenge: await this.#d.random(32),
      exclude: await this.#d.store.regulatorConsole.passkeysOf(principal.id),
      discoverable: true,
    });
    const { ceremonyId, expiresAt } = await this.#registrations.open({ challenge: options.challenge, person: principal.id });
    return { ceremonyId, expiresAt: new Date(expiresAt).toISOString(), person: principal.id, options };
  }

  /** Records the passkey and consumes the invitation in one transaction; returns the person. */
  async register(token: unknown, ceremonyId: unknown, credential: RegistrationResponse): Promise<string> {
    const { principal } = await this.#invitedRegulator(token);
    const unknown = () => consoleError('SIGN_IN_REFUSED', 'unknown or used ceremony: start again');
    const pending = taken(await this.#registrations.take(ceremonyId), unknown);
    if (pending.person !== principal.id) throw unknown();
    const reg = await verifyRegistration(this.#d.webauthn, credential, pending.challenge);
    const now = this.#d.clock.now();
    await this.#d.store.tx(async (tx) => {
      if (!(await tx.regulatorConsole.useInvitation(tokenDigest(token as string), now))) {
        await this.#invitation(token); // throws the precise reason (used or expired meanwhile)
        throw consoleError('INVITATION_USED', 'this invitation was already used; ask your administrator for a new one');
      }
      const row = { credentialId: reg.credentialId, person: principal.id, publicKey: reg.publicKey, alg: reg.alg, counter: reg.counter, transports: reg.transports, createdAt: now, revokedAt: null };
      // Refused inside the transaction, so the invitation's use rolls back with it.
      if (!(await tx.regulatorConsole.insertPasskey(row))) throw consoleError('INVITATION_INVALID', 'this passkey is already enrolled');
      await tx.audit([{ v: 1, type: 'regulator.passkey_enrolled', ts: now, who: principal.id, device: reg.credentialId, fmt: reg.fmt, aaguid: reg.aaguid }]);
    });
    return principal.id;
  }

  async signInOptions(): Promise<Record<string, unknown>> {
    const options = await authenticationOptions(this.#d.webauthn, { challenge: await this.#d.random(32), allow: [] });
    const { ceremonyId, expiresAt } = await this.#signIns.open({ challenge: options.challenge });
    return { ceremonyId, expiresAt: new Date(expiresAt).toISOString(), options };
  }

  /**
   * Verifies a sign-in assertion. Every failure is one code (SIGN_IN_REFUSED): the page learns
   * nothing about which check failed; the cause stays in the server's log.
   */
  async verifySignIn(ceremonyId: unknown, credential: AuthenticationResponse | undefined): Promise<ConsoleAssertion> {
    const refused = (why: string, cause?: unknown) => consoleError('SIGN_IN_REFUSED', 'sign-in refused: use a passkey enrolled in the regulator console', { cause: cause ?? new Error(why) });
    const pending = taken(await this.#signIns.take(ceremonyId), () => refused('unknown or used ceremony'));
    if (credential === undefined || typeof credential.id !== 'string') throw refused('no credential');
    const passkey = await this.#d.store.regulatorConsole.passkey(credential.id);
    if (passkey === undefined || passkey.revokedAt !== null) throw refused('unknown or revoked passkey');
    const handle = credential.response?.userHandle;
    if (typeof handle !== 'string' || Buffer.from(handle, 'base64url').toString('utf8') !== passkey.person) throw refused('user handle names another person');
    const principal = await this.#d.store.principals.get(passkey.person);
    if (!isRegulator(principal)) throw refused('not an enabled regulator');
    try {
      const { newCounter } = await verifyAssertion(this.#d.webauthn, passkey, credential, pending.challenge);
      return { principal, passkey, newCounter };
    } catch (cause) {
      throw refused('assertion', cause);
    }
  }
}
