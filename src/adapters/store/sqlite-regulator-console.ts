import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type {
  RegulatorConsoleReads,
  RegulatorConsoleTx,
  RegulatorInvitationRow,
  RegulatorPasskeyRow,
  RegulatorSessionRow,
} from '../../gateway/ports/regulator-console.ts';
import { prepareAll } from './sqlite-statements.ts';
import { invitationRow as invitation, passkeyRow as passkey, sessionRow as session, type Row } from './regulator-console-rows.ts';

/**
 * The regulator console's tables (prefix reg_) in the gateway's SQLite database, beside the log,
 * so a passkey's counter or a session commits with its log entry. Writes run on the store's
 * writer connection inside its group-committed transaction; reads on its read-only one.
 */
export const REGULATOR_CONSOLE_SCHEMA = `
CREATE TABLE IF NOT EXISTS reg_invitations (
  token_sha256 TEXT PRIMARY KEY,
  person       TEXT NOT NULL,
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  used_at      INTEGER
);
CREATE TABLE IF NOT EXISTS reg_passkeys (
  credential_id TEXT PRIMARY KEY,
  person        TEXT NOT NULL,
  public_key    TEXT NOT NULL,
  alg           INTEGER NOT NULL,
  counter       INTEGER NOT NULL,
  transports    TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  revoked_at    INTEGER
);
CREATE INDEX IF NOT EXISTS reg_passkeys_person ON reg_passkeys (person);
CREATE TABLE IF NOT EXISTS reg_sessions (
  token_sha256 TEXT PRIMARY KEY,
  jti          TEXT NOT NULL,
  person       TEXT NOT NULL,
  origin       TEXT NOT NULL,
  scopes       TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL
);
`;

const CONSOLE_TX_SQL = {
  insertInvitation: 'INSERT INTO reg_invitations (token_sha256, person, created_by, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, NULL)',
  useInvitation: 'UPDATE reg_invitations SET used_at = ? WHERE token_sha256 = ? AND used_at IS NULL AND expires_at >= ?',
  insertPasskey: `INSERT INTO reg_passkeys (credential_id, person, public_key, alg, counter, transports, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (credential_id) DO NOTHING`,
  // A counter of 0 means the authenticator does not count (WebAuthn §6.1.1): it may stay 0.
  advanceCounter: 'UPDATE reg_passkeys SET counter = ? WHERE credential_id = ? AND (counter < ? OR (counter = 0 AND ? = 0))',
  insertSession: 'INSERT INTO reg_sessions (token_sha256, jti, person, origin, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  deleteSession: 'DELETE FROM reg_sessions WHERE token_sha256 = ?',
  purgeSessions: 'DELETE FROM reg_sessions WHERE expires_at < ?',
};

export class SqliteRegulatorConsoleTx implements RegulatorConsoleTx {
  readonly #s: Record<keyof typeof CONSOLE_TX_SQL, StatementSync>;

  constructor(db: DatabaseSync) {
    this.#s = prepareAll(db, CONSOLE_TX_SQL);
  }

  async insertInvitation(i: Omit<RegulatorInvitationRow, 'usedAt'>): Promise<void> {
    this.#s.insertInvitation.run(i.tokenSha256, i.person, i.createdBy, i.createdAt, i.expiresAt);
  }

  async useInvitation(tokenSha256: string, now: number): Promise<boolean> {
    return Number(this.#s.useInvitation.run(now, tokenSha256, now).changes) === 1;
  }

  async insertPasskey(p: RegulatorPasskeyRow): Promise<boolean> {
    return Number(this.#s.insertPasskey.run(p.credentialId, p.person, p.publicKey, p.alg, p.counter, JSON.stringify(p.transports), p.createdAt, p.revokedAt).changes) === 1;
  }

  async advanceCounter(credentialId: string, counter: number): Promise<boolean> {
    return Number(this.#s.advanceCounter.run(counter, credentialId, counter, counter).changes) === 1;
  }

  async insertSession(s: RegulatorSessionRow): Promise<void> {
    this.#s.insertSession.run(s.tokenSha256, s.jti, s.person, s.origin, JSON.stringify(s.scopes), s.createdAt, s.expiresAt);
  }

  async deleteSession(tokenSha256: string): Promise<void> {
    this.#s.deleteSession.run(tokenSha256);
  }

  async purgeSessions(before: number): Promise<void> {
    this.#s.purgeSessions.run(before);
  }
}

const CONSOLE_READS_SQL = {
  invitation: 'SELECT * FROM reg_invitations WHERE token_sha256 = ?',
  passkey: 'SELECT * FROM reg_passkeys WHERE credential_id = ?',
  passkeysOf: 'SELECT * FROM reg_passkeys WHERE person = ? ORDER BY created_at',
  session: 'SELECT * FROM reg_sessions WHERE token_sha256 = ?',
};

export class SqliteRegulatorConsoleReads implements RegulatorConsoleReads {
  readonly #s: Record<keyof typeof CONSOLE_READS_SQL, StatementSync>;

  constructor(db: DatabaseSync) {
    this.#s = prepareAll(db, CONSOLE_READS_SQL);
  }

  async invitation(tokenSha256: string): Promise<RegulatorInvitationRow | undefined> {
    const r = this.#s.invitation.get(tokenSha256) as Row | undefined;
    return r === undefined ? undefined : invitation(r);
  }

  async passkey(credentialId: string): Promise<RegulatorPasskeyRow | undefined> {
    const r = this.#s.passkey.get(credentialId) as Row | undefined;
    return r === undefined ? undefined : passkey(r);
  }

  async passkeysOf(person: string): Promise<RegulatorPasskeyRow[]> {
    return (this.#s.passkeysOf.all(person) as Row[]).map(passkey);
  }

  async session(tokenSha256: string): Promise<RegulatorSessionRow | undefined> {
    const r = this.#s.session.get(tokenSha256) as Row | undefined;
    return r === undefined ? undefined : session(r);
  }
}
