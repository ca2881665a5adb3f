import type { RegulatorConsoleReads, RegulatorConsoleTx, RegulatorInvitationRow, RegulatorPasskeyRow, RegulatorSessionRow } from '../../../gateway/ports/regulator-console.ts';
import { invitationRow as invitation, passkeyRow as passkey, sessionRow as session } from '../regulator-console-rows.ts';
import { first, type Sql } from './pg-client.ts';

/** The regulator console's tables (prefix reg_, migration 1) on PostgreSQL, as on SQLite (sqlite-regulator-console.ts). */

export class PgRegulatorConsoleTx implements RegulatorConsoleTx {
  readonly #db: Sql;

  constructor(db: Sql) {
    this.#db = db;
  }

  async insertInvitation(i: Omit<RegulatorInvitationRow, 'usedAt'>): Promise<void> {
    await this.#db.query('INSERT INTO reg_invitations (token_sha256, person, created_by, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, NULL)', [
      i.tokenSha256, i.person, i.createdBy, i.createdAt, i.expiresAt,
    ]);
  }

  async useInvitation(tokenSha256: string, now: number): Promise<boolean> {
    return (await this.#db.query('UPDATE reg_invitations SET used_at = $1 WHERE token_sha256 = $2 AND used_at IS NULL AND expires_at >= $1', [now, tokenSha256])).rowCount === 1;
  }

  async insertPasskey(p: RegulatorPasskeyRow): Promise<boolean> {
    const res = await this.#db.query(
      `INSERT INTO reg_passkeys (credential_id, person, public_key, alg, counter, transports, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (credential_id) DO NOTHING`,
      [p.credentialId, p.person, p.publicKey, p.alg, p.counter, JSON.stringify(p.transports), p.createdAt, p.revokedAt],
    );
    return res.rowCount === 1;
  }

  /** A counter of 0 means the authenticator does not count (WebAuthn §6.1.1): it may stay 0. */
  async advanceCounter(credentialId: string, counter: number): Promise<boolean> {
    return (await this.#db.query('UPDATE reg_passkeys SET counter = $1 WHERE credential_id = $2 AND (counter < $1 OR (counter = 0 AND $1 = 0))', [counter, credentialId])).rowCount === 1;
  }

  async insertSession(s: RegulatorSessionRow): Promise<void> {
    await this.#db.query('INSERT INTO reg_sessions (token_sha256, jti, person, origin, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      s.tokenSha256, s.jti, s.person, s.origin, JSON.stringify(s.scopes), s.createdAt, s.expiresAt,
    ]);
  }

  async deleteSession(tokenSha256: string): Promise<void> {
    await this.#db.query('DELETE FROM reg_sessions WHERE token_sha256 = $1', [tokenSha256]);
  }

  async purgeSessions(before: number): Promise<void> {
    await this.#db.query('DELETE FROM reg_sessions WHERE expires_at < $1', [before]);
  }
}

export class PgRegulatorConsoleReads implements RegulatorConsoleReads {
  readonly #db: Sql;

  constructor(db: Sql) {
    this.#db = db;
  }

  async invitation(tokenSha256: string): Promise<RegulatorInvitationRow | undefined> {
    const r = first((await this.#db.query('SELECT * FROM reg_invitations WHERE token_sha256 = $1', [tokenSha256])).rows);
    return r === undefined ? undefined : invitation(r);
  }

  async passkey(credentialId: string): Promise<RegulatorPasskeyRow | undefined> {
    const r = first((await this.#db.query('SELECT * FROM reg_passkeys WHERE credential_id = $1', [credentialId])).rows);
    return r === undefined ? undefined : passkey(r);
  }

  async passkeysOf(person: string): Promise<RegulatorPasskeyRow[]> {
    return (await this.#db.query('SELECT * FROM reg_passkeys WHERE person = $1 ORDER BY created_at', [person])).rows.map(passkey);
  }

  async session(tokenSha256: string): Promise<RegulatorSessionRow | undefined> {
    const r = first((await this.#db.query('SELECT * FROM reg_sessions WHERE token_sha256 = $1', [tokenSha256])).rows);
    return r === undefined ? undefined : session(r);
  }
}
