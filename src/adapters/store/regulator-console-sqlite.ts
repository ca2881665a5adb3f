import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { FirewallError } from '../../core/errors.ts';
import type { AccessScope } from '../../core/access-token/access-token.ts';
import type {
  RegulatorConsoleStore,
  RegulatorInvitationRow,
  RegulatorPasskeyRow,
  RegulatorSessionRow,
} from '../../gateway/regulator-console/console-store.ts';
import type { Store } from './store.ts';

/**
 * The regulator console's tables (prefix reg_) in the gateway's SQLite database, beside the log,
 * so a passkey's counter or a session commits with its log entry. Writes go through the store's
 * writer connection inside `store.tx`; reads use a read-only connection (committed data only).
 */
const SCHEMA = `
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

type Row = Record<string, unknown>;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const invitation = (r: Row): RegulatorInvitationRow => ({
  tokenSha256: String(r['token_sha256']),
  person: String(r['person']),
  createdBy: String(r['created_by']),
  createdAt: Number(r['created_at']),
  expiresAt: Number(r['expires_at']),
  usedAt: num(r['used_at']),
});

const passkey = (r: Row): RegulatorPasskeyRow => ({
  credentialId: String(r['credential_id']),
  person: String(r['person']),
  publicKey: String(r['public_key']),
  alg: Number(r['alg']),
  counter: Number(r['counter']),
  transports: JSON.parse(String(r['transports'])) as string[],
  createdAt: Number(r['created_at']),
  revokedAt: num(r['revoked_at']),
});

const session = (r: Row): RegulatorSessionRow => ({
  tokenSha256: String(r['token_sha256']),
  jti: String(r['jti']),
  person: String(r['person']),
  origin: String(r['origin']),
  scopes: JSON.parse(String(r['scopes'])) as AccessScope[],
  createdAt: Number(r['created_at']),
  expiresAt: Number(r['expires_at']),
});

export class SqliteRegulatorConsoleStore implements RegulatorConsoleStore {
  readonly #r: DatabaseSync;
  readonly #st: Record<string, StatementSync>;

  constructor(store: Store) {
    const db = (store as { db?: unknown }).db;
    if (!(db instanceof DatabaseSync)) throw new FirewallError('CONFIG_INVALID', 'the regulator console needs the SQLite store', { status: 500 });
    const path = db.location();
    if (path === null) throw new FirewallError('CONFIG_INVALID', 'the regulator console tables need a file database (not :memory:)', { status: 500 });
    db.exec(SCHEMA);
    this.#r = new DatabaseSync(path, { readOnly: true });
    this.#r.exec('PRAGMA busy_timeout = 5000;');
    const w = (sql: string) => db.prepare(sql);
    const r = (sql: string) => this.#r.prepare(sql);
    this.#st = {
      insertInvitation: w('INSERT INTO reg_invitations (token_sha256, person, created_by, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, NULL)'),
      useInvitation: w('UPDATE reg_invitations SET used_at = ? WHERE token_sha256 = ? AND used_at IS NULL AND expires_at >= ?'),
      invitation: r('SELECT * FROM reg_invitations WHERE token_sha256 = ?'),
      insertPasskey: w('INSERT INTO reg_passkeys (credential_id, person, public_key, alg, counter, transports, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      // A counter of 0 means the authenticator does not count (WebAuthn §6.1.1): it may stay 0.
      advance: w('UPDATE reg_passkeys SET counter = ? WHERE credential_id = ? AND (counter < ? OR (counter = 0 AND ? = 0))'),
      passkey: r('SELECT * FROM reg_passkeys WHERE credential_id = ?'),
      passkeysOf: r('SELECT * FROM reg_passkeys WHERE person = ? ORDER BY created_at'),
      insertSession: w('INSERT INTO reg_sessions (token_sha256, jti, person, origin, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      deleteSession: w('DELETE FROM reg_sessions WHERE token_sha256 = ?'),
      purgeSessions: w('DELETE FROM reg_sessions WHERE expires_at < ?'),
      session: r('SELECT * FROM reg_sessions WHERE token_sha256 = ?'),
    };
  }

  #get<T>(name: string, map: (r: Row) => T, ...args: (string | number)[]): T | undefined {
    const r = this.#st[name]!.get(...args) as Row | undefined;
    return r === undefined ? undefined : map(r);
  }

  txInsertInvitation(i: Omit<RegulatorInvitationRow, 'usedAt'>): void {
    this.#st['insertInvitation']!.run(i.tokenSha256, i.person, i.createdBy, i.createdAt, i.expiresAt);
  }

  txUseInvitation(tokenSha256: string, now: number): boolean {
    return Number(this.#st['useInvitation']!.run(now, tokenSha256, now).changes) === 1;
  }

  invitation(tokenSha256: string): RegulatorInvitationRow | undefined {
    return this.#get('invitation', invitation, tokenSha256);
  }

  txInsertPasskey(p: RegulatorPasskeyRow): void {
    this.#st['insertPasskey']!.run(p.credentialId, p.person, p.publicKey, p.alg, p.counter, JSON.stringify(p.transports), p.createdAt, p.revokedAt);
  }

  txAdvanceCounter(credentialId: string, counter: number): boolean {
    return Number(this.#st['advance']!.run(counter, credentialId, counter, counter).changes) === 1;
  }

  passkey(credentialId: string): RegulatorPasskeyRow | undefined {
    return this.#get('passkey', passkey, credentialId);
  }

  passkeysOf(person: string): RegulatorPasskeyRow[] {
    return (this.#st['passkeysOf']!.all(person) as Row[]).map(passkey);
  }

  txInsertSession(s: RegulatorSessionRow): void {
    this.#st['insertSession']!.run(s.tokenSha256, s.jti, s.person, s.origin, JSON.stringify(s.scopes), s.createdAt, s.expiresAt);
  }

  txDeleteSession(tokenSha256: string): void {
    this.#st['deleteSession']!.run(tokenSha256);
  }

  txPurgeSessions(before: number): void {
    this.#st['purgeSessions']!.run(before);
  }

  session(tokenSha256: string): RegulatorSessionRow | undefined {
    return this.#get('session', session, tokenSha256);
  }

  close(): void {
    this.#r.close();
  }
}
