import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { prepareAll } from './sqlite-statements.ts';
import { invitationRow as invitation, sessionRow as session, type Row } from './approver-rows.ts';
import type { ApproverReads, ApproverTx, InvitationRow, PushSubscriptionRow, SessionRow } from '../../gateway/ports/approver.ts';

/**
 * The approver app's tables (prefix app_) on SQLite, beside the signature tables. Writes run on the
 * store's writer connection inside its group-committed transaction; reads on its read-only one.
 */
export const APPROVER_SCHEMA = `
CREATE TABLE IF NOT EXISTS app_invitations (
  token_sha256 TEXT PRIMARY KEY,
  person       TEXT NOT NULL,
  roles        TEXT NOT NULL,
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  used_at      INTEGER
);
CREATE TABLE IF NOT EXISTS app_sessions (
  token_sha256 TEXT PRIMARY KEY,
  person       TEXT NOT NULL,
  origin       TEXT NOT NULL,
  device       TEXT,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS app_sessions_person ON app_sessions (person);
CREATE TABLE IF NOT EXISTS app_push_subscriptions (
  endpoint   TEXT PRIMARY KEY,
  person     TEXT NOT NULL,
  p256dh     TEXT NOT NULL,
  auth       TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS app_push_person ON app_push_subscriptions (person);
`;

/** Creates the app_ tables; sessions made before `device` existed get the column (null: no passkey known). */
export function openApproverTables(db: DatabaseSync): void {
  db.exec(APPROVER_SCHEMA);
  const cols = db.prepare('PRAGMA table_info(app_sessions)').all() as Record<string, unknown>[];
  if (!cols.some((c) => c['name'] === 'device')) db.exec('ALTER TABLE app_sessions ADD COLUMN device TEXT');
}

const APPROVER_TX_SQL = {
  insertInvitation: 'INSERT INTO app_invitations (token_sha256, person, roles, created_by, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, NULL)',
  useInvitation: 'UPDATE app_invitations SET used_at = ? WHERE token_sha256 = ? AND used_at IS NULL AND expires_at >= ?',
  insertSession: 'INSERT INTO app_sessions (token_sha256, person, origin, device, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  touchSession: 'UPDATE app_sessions SET last_seen_at = ? WHERE token_sha256 = ?',
  deleteSession: 'DELETE FROM app_sessions WHERE token_sha256 = ?',
  purgeSessions: 'DELETE FROM app_sessions WHERE expires_at < ? OR last_seen_at < ?',
  putPush: `INSERT INTO app_push_subscriptions (endpoint, person, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT (endpoint) DO UPDATE SET person = excluded.person, p256dh = excluded.p256dh, auth = excluded.auth`,
  deletePush: 'DELETE FROM app_push_subscriptions WHERE endpoint = ?',
  deletePushOf: 'DELETE FROM app_push_subscriptions WHERE person = ?',
};

export class SqliteApproverTx implements ApproverTx {
  readonly #s: Record<keyof typeof APPROVER_TX_SQL, StatementSync>;

  constructor(db: DatabaseSync) {
    this.#s = prepareAll(db, APPROVER_TX_SQL);
  }

  async insertInvitation(i: Omit<InvitationRow, 'usedAt'>): Promise<void> {
    this.#s.insertInvitation.run(i.tokenSha256, i.person, JSON.stringify(i.roles), i.createdBy, i.createdAt, i.expiresAt);
  }

  async useInvitation(tokenSha256: string, now: number): Promise<boolean> {
    return Number(this.#s.useInvitation.run(now, tokenSha256, now).changes) === 1;
  }

  async insertSession(s: SessionRow): Promise<void> {
    this.#s.insertSession.run(s.tokenSha256, s.person, s.origin, s.device, s.createdAt, s.lastSeenAt, s.expiresAt);
  }

  async touchSession(tokenSha256: string, now: number): Promise<void> {
    this.#s.touchSession.run(now, tokenSha256);
  }

  async deleteSession(tokenSha256: string): Promise<void> {
    this.#s.deleteSession.run(tokenSha256);
  }

  async purgeSessions(now: number, idleBefore: number): Promise<void> {
    this.#s.purgeSessions.run(now, idleBefore);
  }

  async putPush(s: PushSubscriptionRow, now: number): Promise<void> {
    this.#s.putPush.run(s.endpoint, s.person, s.p256dh, s.auth, now);
  }

  async deletePush(endpoint: string): Promise<void> {
    this.#s.deletePush.run(endpoint);
  }

  async deletePushOf(person: string): Promise<void> {
    this.#s.deletePushOf.run(person);
  }
}

const APPROVER_READS_SQL = {
  invitation: 'SELECT * FROM app_invitations WHERE token_sha256 = ?',
  session: 'SELECT * FROM app_sessions WHERE token_sha256 = ?',
  pushOf: 'SELECT * FROM app_push_subscriptions WHERE person = ?',
};

export class SqliteApproverReads implements ApproverReads {
  readonly #s: Record<keyof typeof APPROVER_READS_SQL, StatementSync>;

  constructor(db: DatabaseSync) {
    this.#s = prepareAll(db, APPROVER_READS_SQL);
  }

  async invitation(tokenSha256: string): Promise<InvitationRow | undefined> {
    const r = this.#s.invitation.get(tokenSha256) as Row | undefined;
    return r === undefined ? undefined : invitation(r);
  }

  async session(tokenSha256: string): Promise<SessionRow | undefined> {
    const r = this.#s.session.get(tokenSha256) as Row | undefined;
    return r === undefined ? undefined : session(r);
  }

  async pushOf(person: string): Promise<PushSubscriptionRow[]> {
    return (this.#s.pushOf.all(person) as Row[]).map((r) => ({ endpoint: String(r['endpoint']), person: String(r['person']), p256dh: String(r['p256dh']), auth: String(r['auth']) }));
  }
}
