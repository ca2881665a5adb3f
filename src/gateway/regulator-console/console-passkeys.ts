import { ACCESS_TOKEN_ROLE } from '../../core/access-token/access-token.ts';
import type { Clock } from '../../core/clock.ts';
import type { AuthenticationResponse, RegistrationResponse } from '../../core/signature/messages.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import type { RegulatorInvitationRow, RegulatorPasskeyRow } from '../ports/regulator-console.ts';
import type { Store } from '../ports/store.ts';
import { isTokenShaped, newToken, tokenDigest } from '../approver/secret-token.ts';
import type { SignatureConfig } from '../signatures/config.ts';
import { authenticationOptions, registrationOptions, verifyAssertion, verifyRegistration } from '../signatures/webauthn.ts';
import { Ceremonies } from './ceremonies.ts';
import { consoleError } from './console-errors.ts';

export interface ConsolePasskeysDeps {
  store: Store;
  clock: Clock;
  webauthn: SignatureConfig;
  random: (n: number) => Promise<Uint8Array>;
  /** Where the console is served to people (no path): invitation links point there. */
  appOrigin: string;
}

/** A passkey assertion that verified: who, with which passkey, and the counter to record. */
export interface ConsoleAssertion {
  principal: PrincipalRecord;
  passkey: RegulatorPasskeyRow;
  newCounter: number;
}

const isRegulator = (p: PrincipalRecord | undefined): p is PrincipalRecord => p !== undefined && !p.disabled && p.roles.includes(ACCESS_TOKEN_ROLE);

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
  readonly #registrations: Ceremonies<{ challenge: string; person: string }>;
  readonly #signIns: Ceremonies<{ challenge: string }>;

  constructor(d: ConsolePasskeysDeps) {
    this.#d = d;
    this.#registrations = new Ceremonies(d.clock, d.webauthn.ceremonyTtlMs);
    this.#signIns = new Ceremonies(d.clock, d.webauthn.ceremonyTtlMs);
  }

  /** An invitation for a registered regulator: the link carries the token in its fragment. */
  async invite(o: { person: string; by: string; ttlMs: number }): Promise<{ person: string; url: string; expiresAt: string }> {
    const principal = await this.#d.store.principals.get(o.person);
    if (!isRegulator(principal)) throw consoleError('INVITATION_INVALID', `'${o.person}' is not an enabled principal with the regulator role (register them first)`);
    const token = newToken(await this.#d.random(32));
    const now = this.#d.clock.now();
    const expiresAt = now + o.ttlMs;
    await this.#d.store.tx(async (tx) => {
      await tx.regulatorConsole.insertInvitation({ tokenSha256: tokenDigest(token), person: o.person, createdBy: o.by, createdAt: now, expiresAt });
      await tx.audit([{ v: 1, type: 'regulator.invited', ts: now, by: o.by, person: o.person, expiresAt }]);
    });
    return { person: o.person, url: `${this.#d.appOrigin}/app/regulator/enrol#${token}`, expiresAt: new Date(expiresAt).toISOString() };
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
    const { ceremonyId, expiresAt } = this.#registrations.open({ challenge: options.challenge, person: principal.id });
    return { ceremonyId, expiresAt: new Date(expiresAt).toISOString(), person: principal.id, options };
  }

  /** Records the passkey and consumes the invitation in one transaction; returns the person. */
  async register(token: unknown, ceremonyId: unknown, credential: RegistrationResponse): Promise<string> {
    const { principal } = await this.#invitedRegulator(token);
    const pending = this.#registrations.take(ceremonyId);
    if (pending === undefined || pending.person !== principal.id) throw consoleError('SIGN_IN_REFUSED', 'unknown or used ceremony: start again');
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
    const { ceremonyId, expiresAt } = this.#signIns.open({ challenge: options.challenge });
    return { ceremonyId, expiresAt: new Date(expiresAt).toISOString(), options };
  }

  /**
   * Verifies a sign-in assertion. Every failure is one code (SIGN_IN_REFUSED): the page learns
   * nothing about which check failed; the cause stays in the server's log.
   */
  async verifySignIn(ceremonyId: unknown, credential: AuthenticationResponse | undefined): Promise<ConsoleAssertion> {
    const refused = (why: string, cause?: unknown) => consoleError('SIGN_IN_REFUSED', 'sign-in refused: use a passkey enrolled in the regulator console', { cause: cause ?? new Error(why) });
    const pending = this.#signIns.take(ceremonyId);
    if (pending === undefined) throw refused('unknown or used ceremony');
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
