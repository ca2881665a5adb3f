import type { Fingerprint, PersonProfile } from '../../../core/liveness/types.ts';
import type { Modality } from '../../../core/policy/modality.ts';
import type { CeremonyRow, ChallengeRow, ChallengeState, DeviceRow, ErasedRows, ErasureRow, NewChallenge, PersonRow, SignatureReads, SignaturesTx } from '../../../gateway/ports/signatures.ts';
import { ceremonyRow, challengeRow, deviceRow, openKeyOf, personRow } from '../signature-rows.ts';
import { first, type Row, type Sql } from './pg-client.ts';

/**
 * The signature aggregate on PostgreSQL (tables sig_, migration 1), statement for statement as on
 * SQLite (sqlite-signatures.ts); the row mappers are shared. Single-use steps (a ceremony, a
 * challenge, a counter) are one conditional UPDATE each, so they stay single-use across processes.
 */

/** A person's last interaction (see sqlite-signature-schema.ts LAST_INTERACTION), with GREATEST for SQLite's scalar MAX. */
const LAST_INTERACTION = `GREATEST(
  p.created_at,
  COALESCE((SELECT MAX(GREATEST(d.created_at, COALESCE(d.last_used_at, 0))) FROM sig_devices d WHERE d.person = p.id), 0),
  COALESCE((SELECT MAX(c.started_at) FROM sig_challenges c WHERE c.person = p.id), 0),
  COALESCE((SELECT MAX(e.created_at) FROM sig_enrolments e WHERE e.person = p.id), 0),
  COALESCE((SELECT MAX(f.created_at) FROM sig_fingerprints f WHERE f.person = p.id), 0)
)`;

const one = async <T>(q: Promise<{ rows: Row[] }>, map: (r: Row) => T): Promise<T | undefined> => {
  const r = first((await q).rows);
  return r === undefined ? undefined : map(r);
};
const changed = async (q: Promise<{ rowCount: number | null }>): Promise<number> => (await q).rowCount ?? 0;

export class PgSignaturesTx implements SignaturesTx {
  readonly #db: Sql;

  constructor(db: Sql) {
    this.#db = db;
  }

  person(id: string): Promise<PersonRow | undefined> {
    return one(this.#db.query('SELECT * FROM sig_people WHERE id = $1', [id]), personRow);
  }
  async putPerson(id: string, modalities: Modality[], displayName: string | null, now: number): Promise<void> {
    await this.#db.query(
      `INSERT INTO sig_people (id, modalities, display_name, failures, locked_at, profile, created_at, updated_at, interaction_floor)
       VALUES ($1, $2, $3, 0, NULL, NULL, $4, $4, $4)
       ON CONFLICT (id) DO UPDATE SET modalities = excluded.modalities, display_name = COALESCE(excluded.display_name, sig_people.display_name), updated_at = excluded.updated_at`,
      [id, JSON.stringify(modalities), displayName, now],
    );
  }
  async ensurePerson(id: string, now: number): Promise<void> {
    await this.#db.query(
      `INSERT INTO sig_people (id, modalities, display_name, failures, locked_at, profile, created_at, updated_at, interaction_floor)
       VALUES ($1, '[]', NULL, 0, NULL, NULL, $2, $2, $2) ON CONFLICT (id) DO NOTHING`,
      [id, now],
    );
  }
  async setFailures(id: string, failures: number, lockedAt: number | null, now: number): Promise<void> {
    await this.#db.query('UPDATE sig_people SET failures = $1, locked_at = $2, updated_at = $3 WHERE id = $4', [failures, lockedAt, now, id]);
  }
  async setProfile(id: string, profile: PersonProfile, now: number): Promise<void> {
    await this.#db.query('UPDATE sig_people SET profile = $1, updated_at = $2 WHERE id = $3', [JSON.stringify(profile), now, id]);
  }
  device(credentialId: string): Promise<DeviceRow | undefined> {
    return one(this.#db.query('SELECT * FROM sig_devices WHERE credential_id = $1', [credentialId]), deviceRow);
  }
  async insertDevice(d: Omit<DeviceRow, 'lastUsedAt' | 'revokedAt'>): Promise<void> {
    await this.#db.query(
      `INSERT INTO sig_devices (credential_id, person, kind, name, public_key, alg, counter, transports, fmt, aaguid, created_at, last_used_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL)`,
      [d.credentialId, d.person, d.kind, d.name, d.publicKey, d.alg, d.counter, JSON.stringify(d.transports), d.fmt, d.aaguid, d.createdAt],
    );
  }
  /** Atomic counter step: true only if `counter` is above the stored one (or both are 0). */
  async advanceCounter(credentialId: string, counter: number, now: number): Promise<boolean> {
    const sql = `UPDATE sig_devices SET counter = $1, last_used_at = $2 WHERE credential_id = $3 AND revoked_at IS NULL AND ($1 > counter OR ($1 = 0 AND counter = 0))`;
    return (await changed(this.#db.query(sql, [counter, now, credentialId]))) === 1;
  }
  async revokeDevice(credentialId: string, now: number): Promise<boolean> {
    return (await changed(this.#db.query('UPDATE sig_devices SET revoked_at = $1 WHERE credential_id = $2 AND revoked_at IS NULL', [now, credentialId]))) === 1;
  }
  async insertCeremony(c: CeremonyRow): Promise<void> {
    await this.#db.query(
      `INSERT INTO sig_ceremonies (id, kind, person, challenge, device_kind, device_name, credential_id, expires_at, used_at, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9)`,
      [c.id, c.kind, c.person, c.challenge, c.deviceKind, c.deviceName, c.credentialId, c.expiresAt, c.payload],
    );
  }
  async replaceCeremony(c: CeremonyRow): Promise<void> {
    await this.#db.query(
      `INSERT INTO sig_ceremonies (id, kind, person, challenge, device_kind, device_name, credential_id, expires_at, used_at, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9)
       ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, person = excluded.person, challenge = excluded.challenge, device_kind = excluded.device_kind, device_name = excluded.device_name,
         credential_id = excluded.credential_id, expires_at = excluded.expires_at, used_at = NULL, payload = excluded.payload`,
      [c.id, c.kind, c.person, c.challenge, c.deviceKind, c.deviceName, c.credentialId, c.expiresAt, c.payload],
    );
  }
  /** Single use: returns the ceremony if this call consumed it. */
  async useCeremony(id: string, now: number): Promise<CeremonyRow | undefined> {
    const used = first((await this.#db.query('UPDATE sig_ceremonies SET used_at = $1 WHERE id = $2 AND used_at IS NULL RETURNING *', [now, id])).rows);
    if (used === undefined) return undefined;
    await this.#db.query('DELETE FROM sig_ceremonies WHERE expires_at < $1', [now - 24 * 3600_000]);
    // As read before it was used (the port's record has used_at null, as SQLite's does).
    return ceremonyRow({ ...used, used_at: null });
  }
  challenge(id: string): Promise<ChallengeRow | undefined> {
    return one(this.#db.query('SELECT * FROM sig_challenges WHERE id = $1', [id]), challengeRow);
  }
  /** False when an open challenge for the same (action, person) already exists. */
  async insertChallenge(c: NewChallenge): Promise<boolean> {
    const res = await this.#db.query(
      `INSERT INTO sig_challenges (id, purpose, mode, action_id, digest, person, role, modalities, sustained_ms, nonce_sha256, state, issued_at, expires_at, started_at, ended_at, outcome, device, open_key, nonce_sealed)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'issued', $11, $12, NULL, NULL, NULL, NULL, $13, $14) ON CONFLICT DO NOTHING`,
      [c.id, c.purpose, c.mode, c.actionId, c.digest, c.person, c.role, JSON.stringify(c.modalities), c.sustainedMs, c.nonceSha256, c.issuedAt, c.expiresAt, openKeyOf(c), c.sealedNonce],
    );
    return res.rowCount === 1;
  }
  /** issued -> active (single use). */
  async startChallenge(id: string, credentialId: string | null, now: number): Promise<boolean> {
    return (await changed(this.#db.query("UPDATE sig_challenges SET state = 'active', started_at = $1, device = $2 WHERE id = $3 AND state = 'issued'", [now, credentialId, id]))) === 1;
  }
  /** (issued|active) -> a final state, dropping its sealed nonce; true if this call closed it. */
  async endChallenge(id: string, state: ChallengeState, outcome: string, now: number): Promise<boolean> {
    const sql = "UPDATE sig_challenges SET state = $1, ended_at = $2, outcome = $3, open_key = NULL, nonce_sealed = NULL WHERE id = $4 AND state IN ('issued', 'active')";
    return (await changed(this.#db.query(sql, [state, now, outcome, id]))) === 1;
  }
  /** Sessions started by `person` for `actionId` (each consumed a challenge). */
  async attempts(actionId: string, personId: string): Promise<number> {
    const r = await this.#db.query<{ n: number }>("SELECT COUNT(*) AS n FROM sig_challenges WHERE action_id = $1 AND person = $2 AND state IN ('active', 'succeeded', 'failed')", [actionId, personId]);
    return Number(r.rows[0]!.n);
  }
  async declined(actionId: string, personId: string): Promise<boolean> {
    const r = await this.#db.query<{ n: number }>("SELECT COUNT(*) AS n FROM sig_challenges WHERE action_id = $1 AND person = $2 AND outcome = 'DECLINED'", [actionId, personId]);
    return Number(r.rows[0]!.n) > 0;
  }
  async insertFingerprint(personId: string, challengeId: string, fp: Fingerprint, now: number): Promise<void> {
    await this.#db.query('INSERT INTO sig_fingerprints (person, challenge_id, fingerprint, created_at) VALUES ($1, $2, $3, $4)', [personId, challengeId, JSON.stringify(fp), now]);
  }
  async insertEnrolment(challengeId: string, personId: string, summary: unknown, accepted: boolean, now: number): Promise<void> {
    await this.#db.query('INSERT INTO sig_enrolments (challenge_id, person, summary, accepted, created_at) VALUES ($1, $2, $3, $4, $5)', [challengeId, personId, JSON.stringify(summary), accepted, now]);
  }
  /** Open challenges the person answers, and those they witness with one of their devices. */
  async openChallengesInvolving(personId: string): Promise<ChallengeRow[]> {
    const sql = `SELECT * FROM sig_challenges WHERE state IN ('issued', 'active')
                   AND (person = $1 OR device IN (SELECT credential_id FROM sig_devices WHERE person = $1)) ORDER BY issued_at`;
    return (await this.#db.query(sql, [personId])).rows.map(challengeRow);
  }
  async raiseInteractionFloor(personId: string, lastInteractionAt: number): Promise<void> {
    await this.#db.query('UPDATE sig_people SET interaction_floor = GREATEST(interaction_floor, $1) WHERE id = $2', [lastInteractionAt, personId]);
  }
  lastInteraction(personId: string): Promise<number | undefined> {
    return one(this.#db.query(`SELECT ${LAST_INTERACTION} AS last FROM sig_people p WHERE p.id = $1`, [personId]), (r) => Number(r['last']));
  }
  async credentialsOf(personId: string): Promise<string[]> {
    return (await this.#db.query('SELECT credential_id FROM sig_devices WHERE person = $1 ORDER BY created_at', [personId])).rows.map((r) => String(r['credential_id']));
  }
  /** Deletes every row holding the person's biometric or device data (challenge rows stay, as on SQLite). */
  async eraseRows(personId: string): Promise<ErasedRows> {
    const del = (sql: string) => changed(this.#db.query(sql, [personId]));
    return {
      fingerprints: await del('DELETE FROM sig_fingerprints WHERE person = $1'),
      enrolments: await del('DELETE FROM sig_enrolments WHERE person = $1'),
      ceremonies: await del('DELETE FROM sig_ceremonies WHERE person = $1'),
      devices: await del('DELETE FROM sig_devices WHERE person = $1'),
      people: await del('DELETE FROM sig_people WHERE id = $1'),
    };
  }
  async recordErasure(e: ErasureRow): Promise<void> {
    await this.#db.query(
      `INSERT INTO sig_erasures (person, erased_at, basis, log_index) VALUES ($1, $2, $3, $4)
       ON CONFLICT (person) DO UPDATE SET erased_at = excluded.erased_at, basis = excluded.basis, log_index = excluded.log_index`,
      [e.person, e.erasedAt, e.basis, e.logIndex],
    );
  }
  async acceptedEnrolments(personId: string): Promise<unknown[]> {
    return (await this.#db.query('SELECT summary FROM sig_enrolments WHERE person = $1 AND accepted ORDER BY created_at', [personId])).rows.map((r) => JSON.parse(String(r['summary'])) as unknown);
  }
}

export class PgSignatureReads implements SignatureReads {
  readonly #db: Sql;

  constructor(db: Sql) {
    this.#db = db;
  }

  getPerson(id: string): Promise<PersonRow | undefined> {
    return one(this.#db.query('SELECT * FROM sig_people WHERE id = $1', [id]), personRow);
  }
  async sealedNonce(challengeId: string): Promise<string | undefined> {
    const r = (await this.#db.query("SELECT nonce_sealed FROM sig_challenges WHERE id = $1 AND state IN ('issued', 'active')", [challengeId])).rows[0] as Row | undefined;
    const v = r?.['nonce_sealed'];
    return typeof v === 'string' ? v : undefined;
  }
  async people(): Promise<PersonRow[]> {
    return (await this.#db.query('SELECT * FROM sig_people ORDER BY id COLLATE "C"')).rows.map(personRow);
  }
  getDevice(credentialId: string): Promise<DeviceRow | undefined> {
    return one(this.#db.query('SELECT * FROM sig_devices WHERE credential_id = $1', [credentialId]), deviceRow);
  }
  async devicesOf(personId: string): Promise<DeviceRow[]> {
    return (await this.#db.query('SELECT * FROM sig_devices WHERE person = $1 ORDER BY created_at', [personId])).rows.map(deviceRow);
  }
  getChallenge(id: string): Promise<ChallengeRow | undefined> {
    return one(this.#db.query('SELECT * FROM sig_challenges WHERE id = $1', [id]), challengeRow);
  }
  async openChallengesOf(personId: string): Promise<ChallengeRow[]> {
    return (await this.#db.query(`SELECT * FROM sig_challenges WHERE person = $1 AND state IN ('issued', 'active') ORDER BY issued_at`, [personId])).rows.map(challengeRow);
  }
  async openChallengesForAction(actionId: string): Promise<ChallengeRow[]> {
    return (await this.#db.query(`SELECT * FROM sig_challenges WHERE action_id = $1 AND state IN ('issued', 'active')`, [actionId])).rows.map(challengeRow);
  }
  async allOpenChallenges(): Promise<ChallengeRow[]> {
    return (await this.#db.query(`SELECT * FROM sig_challenges WHERE state IN ('issued', 'active')`)).rows.map(challengeRow);
  }
  /** This person's fingerprints plus the most recent `globalLimit` of everyone's. */
  async fingerprintHistory(personId: string, globalLimit: number): Promise<Fingerprint[]> {
    const sql = `SELECT fingerprint FROM (
                   SELECT id, fingerprint FROM sig_fingerprints WHERE person = $1
                   UNION SELECT id, fingerprint FROM (SELECT id, fingerprint FROM sig_fingerprints ORDER BY id DESC LIMIT $2) recent
                 ) AS history ORDER BY id`;
    return (await this.#db.query(sql, [personId, globalLimit])).rows.map((r) => JSON.parse(String(r['fingerprint'])) as Fingerprint);
  }
  /** The record that `person` was erased (the last time), if they were. */
  getErasure(personId: string): Promise<ErasureRow | undefined> {
    return one(this.#db.query('SELECT * FROM sig_erasures WHERE person = $1', [personId]), (r) => ({ person: String(r['person']), erasedAt: Number(r['erased_at']), basis: String(r['basis']), logIndex: Number(r['log_index']) }));
  }
  /** Up to `limit` people whose interaction floor is before `before`, lowest floor first, each with their exact last interaction. */
  async retentionCandidates(before: number, limit: number): Promise<{ id: string; lastInteractionAt: number }[]> {
    const sql = `SELECT p.id AS id, ${LAST_INTERACTION} AS last FROM sig_people p WHERE p.interaction_floor < $1 ORDER BY p.interaction_floor, p.id COLLATE "C" LIMIT $2`;
    return (await this.#db.query(sql, [before, limit])).rows.map((r) => ({ id: String(r['id']), lastInteractionAt: Number(r['last']) }));
  }
}
