import type { ApproverReads, ApproverTx, InvitationRow, PushSubscriptionRow, SessionRow } from '../../../gateway/ports/approver.ts';
import { invitationRow as invitation, sessionRow as session } from '../approver-rows.ts';
import { first, type Sql } from './pg-client.ts';

/** The approver app's tables (prefix app_, migration 1) on PostgreSQL, as on SQLite (sqlite-approver.ts). */

export class PgApproverTx implements ApproverTx {
  readonly #db: Sql;

  constructor(db: Sql) {
    this.#db = db;
  }

  async insertInvitation(i: Omit<InvitationRow, 'usedAt'>): Promise<void> {
    await this.#db.query('INSERT INTO app_invitations (token_sha256, person, roles, created_by, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)', [
      i.tokenSha256, i.person, JSON.stringify(i.roles), i.createdBy, i.createdAt, i.expiresAt,
    ]);
  }

  async useInvitation(tokenSha256: string, now: number): Promise<boolean> {
    return (await this.#db.query('UPDATE app_invitations SET used_at = $1 WHERE token_sha256 = $2 AND used_at IS NULL AND expires_at >= $1', [now, tokenSha256])).rowCount === 1;
  }

  async insertSession(s: SessionRow): Promise<void> {
    await this.#db.query('INSERT INTO app_sessions (token_sha256, person, origin, device, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      s.tokenSha256, s.person, s.origin, s.device, s.createdAt, s.lastSeenAt, s.expiresAt,
    ]);
  }

  async touchSession(tokenSha256: string, now: number): Promise<void> {
    await this.#db.query('UPDATE app_sessions SET last_seen_at = $1 WHERE token_sha256 = $2', [now, tokenSha256]);
  }

  async deleteSession(tokenSha256: string): Promise<void> {
    await this.#db.query('DELETE FROM app_sessions WHERE token_sha256 = $1', [tokenSha256]);
  }

  async purgeSessions(now: number, idleBefore: number): Promise<void> {
    await this.#db.query('DELETE FROM app_sessions WHERE expires_at < $1 OR last_seen_at < $2', [now, idleBefore]);
  }

  async putPush(s: PushSubscriptionRow, now: number): Promise<void> {
    await this.#db.query(
      `INSERT INTO app_push_subscriptions (endpoint, person, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (endpoint) DO UPDATE SET person = excluded.person, p256dh = excluded.p256dh, auth = excluded.auth`,
      [s.endpoint, s.person, s.p256dh, s.auth, now],
    );
  }

  async deletePush(endpoint: string): Promise<void> {
    await this.#db.query('DELETE FROM app_push_subscriptions WHERE endpoint = $1', [endpoint]);
  }

  async deletePushOf(person: string): Promise<void> {
    await this.#db.query('DELETE FROM app_push_subscriptions WHERE person = $1', [person]);
  }
}

export class PgApproverReads implements ApproverReads {
  readonly #db: Sql;

  constructor(db: Sql) {
    this.#db = db;
  }

  async invitation(tokenSha256: string): Promise<InvitationRow | undefined> {
    const r = first((await this.#db.query('SELECT * FROM app_invitations WHERE token_sha256 = $1', [tokenSha256])).rows);
    return r === undefined ? undefined : invitation(r);
  }

  async session(tokenSha256: string): Promise<SessionRow | undefined> {
    const r = first((await this.#db.query('SELECT * FROM app_sessions WHERE token_sha256 = $1', [tokenSha256])).rows);
    return r === undefined ? undefined : session(r);
  }

  async pushOf(person: string): Promise<PushSubscriptionRow[]> {
    const rows = (await this.#db.query('SELECT * FROM app_push_subscriptions WHERE person = $1', [person])).rows;
    return rows.map((r) => ({ endpoint: String(r['endpoint']), person: String(r['person']), p256dh: String(r['p256dh']), auth: String(r['auth']) }));
  }
}
