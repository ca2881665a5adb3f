import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { FirewallError } from '../../core/errors.ts';
import type { Store } from '../ports/store.ts';

/**
 * Tables of the approver app (prefix app_), in the gateway's SQLite database beside the signature
 * tables, so an invitation's use commits with the device it enrolled and its log entry.
 *
 * Nothing here is a usable secret: invitation and session tokens are stored as their SHA-256
 * (a database reader cannot sign in or enrol with them). Writes go through the store's writer
 * connection inside a `store.tx` callback (as in signatures/signature-store.ts); reads use a
 * read-only connection that sees committed data.
 */
const SCHEMA = `
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

export interface InvitationRow {
  tokenSha256: string;
  person: string;
  roles: string[];
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export interface SessionRow {
  tokenSha256: string;
  person: string;
  origin: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

export interface PushSubscriptionRow {
  endpoint: string;
  person: string;
  p256dh: string;
  auth: string;
}

type Row = Record<string, unknown>;

const invitation = (r: Row): InvitationRow => ({
  tokenSha256: String(r['token_sha256']),
  person: String(r['person']),
  roles: JSON.parse(String(r['roles'])) as string[],
  createdBy: String(r['created_by']),
  createdAt: Number(r['created_at']),
  expiresAt: Number(r['expires_at']),
  usedAt: r['used_at'] === null ? null : Number(r['used_at']),
});

const session = (r: Row): SessionRow => ({
  tokenSha256: String(r['token_sha256']),
  person: String(r['person']),
  origin: String(r['origin']),
  createdAt: Number(r['created_at']),
  lastSeenAt: Number(r['last_seen_at']),
  expiresAt: Number(r['expires_at']),
});

export class ApproverStore {
  readonly #w: DatabaseSync;
  readonly #r: DatabaseSync;
  readonly #st: Record<string, StatementSync>;

  constructor(store: Store) {
    const db = (store as { db?: unknown }).db;
    if (!(db instanceof DatabaseSync)) throw new FirewallError('CONFIG_INVALID', 'the approver app needs the SQLite store', { status: 500 });
    const path = db.location();
    if (path === null) throw new FirewallError('CONFIG_INVALID', 'the approver app tables need a file database (not :memory:)', { status: 500 });
    this.#w = db;
    this.#w.exec(SCHEMA);
    this.#r = new DatabaseSync(path, { readOnly: true });
    this.#r.exec('PRAGMA busy_timeout = 5000;');
    const w = (sql: string) => this.#w.prepare(sql);
    const r = (sql: string) => this.#r.prepare(sql);
    this.#st = {
      insertInvitation: w('INSERT INTO app_invitations (token_sha256, person, roles, created_by, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, NULL)'),
      txInvitation: w('SELECT * FROM app_invitations WHERE token_sha256 = ?'),
      useInvitation: w('UPDATE app_invitations SET used_at = ? WHERE token_sha256 = ? AND used_at IS NULL AND expires_at >= ?'),
      invitation: r('SELECT * FROM app_invitations WHERE token_sha256 = ?'),
      insertSession: w('INSERT INTO app_sessions (token_sha256, person, origin, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)'),
      touchSession: w('UPDATE app_sessions SET last_seen_at = ? WHERE token_sha256 = ?'),
      deleteSession: w('DELETE FROM app_sessions WHERE token_sha256 = ?'),
      deleteSessionsOf: w('DELETE FROM app_sessions WHERE person = ?'),
      purgeSessions: w('DELETE FROM app_sessions WHERE expires_at < ? OR last_seen_at < ?'),
      session: r('SELECT * FROM app_sessions WHERE token_sha256 = ?'),
      putPush: w(`INSERT INTO app_push_subscriptions (endpoint, person, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)
                  ON CONFLICT (endpoint) DO UPDATE SET person = excluded.person, p256dh = excluded.p256dh, auth = excluded.auth`),
      deletePush: w('DELETE FROM app_push_subscriptions WHERE endpoint = ?'),
      deletePushOf: w('DELETE FROM app_push_subscriptions WHERE person = ?'),
      pushOf: r('SELECT * FROM app_push_subscriptions WHERE person = ?'),
    };
  }

  close(): void {
    this.#r.close();
  }

  // --- invitations (writes inside store.tx) ------------------------------------------------------

  txInsertInvitation(i: Omit<InvitationRow, 'usedAt'>): void {
    this.#st['insertInvitation']!.run(i.tokenSha256, i.person, JSON.stringify(i.roles), i.createdBy, i.createdAt, i.expiresAt);
  }

  /** Marks the invitation used; false when it is unknown, already used or expired at `now`. */
  txUseInvitation(tokenSha256: string, now: number): boolean {
    return Number(this.#st['useInvitation']!.run(now, tokenSha256, now).changes) === 1;
  }

  txInvitation(tokenSha256: string): InvitationRow | undefined {
    const r = this.#st['txInvitation']!.get(tokenSha256) as Row | undefined;
    return r === undefined ? undefined : invitation(r);
  }

  invitation(tokenSha256: string): InvitationRow | undefined {
    const r = this.#st['invitation']!.get(tokenSha256) as Row | undefined;
    return r === undefined ? undefined : invitation(r);
  }

  // --- sessions ----------------------------------------------------------------------------------

  txInsertSession(s: SessionRow): void {
    this.#st['insertSession']!.run(s.tokenSha256, s.person, s.origin, s.createdAt, s.lastSeenAt, s.expiresAt);
  }

  txTouchSession(tokenSha256: string, now: number): void {
    this.#st['touchSession']!.run(now, tokenSha256);
  }

  txDeleteSession(tokenSha256: string): void {
    this.#st['deleteSession']!.run(tokenSha256);
  }

  txDeleteSessionsOf(person: string): void {
    this.#st['deleteSessionsOf']!.run(person);
  }

  txPurgeSessions(now: number, idleBefore: number): void {
    this.#st['purgeSessions']!.run(now, idleBefore);
  }

  session(tokenSha256: string): SessionRow | undefined {
    const r = this.#st['session']!.get(tokenSha256) as Row | undefined;
    return r === undefined ? undefined : session(r);
  }

  // --- Web Push subscriptions --------------------------------------------------------------------

  txPutPush(s: PushSubscriptionRow, now: number): void {
    this.#st['putPush']!.run(s.endpoint, s.person, s.p256dh, s.auth, now);
  }

  txDeletePush(endpoint: string): void {
    this.#st['deletePush']!.run(endpoint);
  }

  txDeletePushOf(person: string): void {
    this.#st['deletePushOf']!.run(person);
  }

  pushOf(person: string): PushSubscriptionRow[] {
    return (this.#st['pushOf']!.all(person) as Row[]).map((r) => ({ endpoint: String(r['endpoint']), person: String(r['person']), p256dh: String(r['p256dh']), auth: String(r['auth']) }));
  }
}
