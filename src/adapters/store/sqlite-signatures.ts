import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { prepareAll } from './sqlite-statements.ts';
import type { Fingerprint, PersonProfile } from '../../core/liveness/types.ts';
import type { Modality } from '../../core/policy/modality.ts';
import type { CeremonyRow, ChallengeRow, ChallengeState, DeviceRow, ErasedRows, ErasureRow, NewChallenge, PersonRow, SignatureReads, SignaturesTx } from '../../gateway/ports/signatures.ts';
import { ceremonyRow, challengeRow, deviceRow, openKeyOf, personRow, type Row } from './signature-rows.ts';
import { LAST_INTERACTION } from './sqlite-signature-schema.ts';

/**
 * The signature aggregate on SQLite. Writes go through the store's writer connection inside its
 * group-committed transaction (each callback under a savepoint), so they commit or roll back with
 * the callback; reads outside a transaction use the read-only connection, which in WAL mode sees
 * committed data only.
 */
const SIGNATURES_TX_SQL = {
  person: 'SELECT * FROM sig_people WHERE id = ?',
  putPerson: `INSERT INTO sig_people (id, modalities, display_name, failures, locked_at, profile, created_at, updated_at, interaction_floor)
                VALUES (?1, ?2, ?3, 0, NULL, NULL, ?4, ?5, ?4)
                ON CONFLICT (id) DO UPDATE SET modalities = excluded.modalities, display_name = COALESCE(excluded.display_name, sig_people.display_name), updated_at = excluded.updated_at`,
  ensurePerson: `INSERT INTO sig_people (id, modalities, display_name, failures, locked_at, profile, created_at, updated_at, interaction_floor)
                   VALUES (?1, '[]', NULL, 0, NULL, NULL, ?2, ?3, ?2) ON CONFLICT (id) DO NOTHING`,
  raiseFloor: 'UPDATE sig_people SET interaction_floor = MAX(interaction_floor, ?) WHERE id = ?',
  setFailures: 'UPDATE sig_people SET failures = ?, locked_at = ?, updated_at = ? WHERE id = ?',
  setProfile: 'UPDATE sig_people SET profile = ?, updated_at = ? WHERE id = ?',
  device: 'SELECT * FROM sig_devices WHERE credential_id = ?',
  insertDevice: `INSERT INTO sig_devices (credential_id, person, kind, name, public_key, alg, counter, transports, fmt, aaguid, created_at, last_used_at, revoked_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)`,
  advanceCounter: `UPDATE sig_devices SET counter = ?, last_used_at = ? WHERE credential_id = ? AND revoked_at IS NULL
                     AND (? > counter OR (? = 0 AND counter = 0))`,
  revokeDevice: 'UPDATE sig_devices SET revoked_at = ? WHERE credential_id = ? AND revoked_at IS NULL',
  insertCeremony: `INSERT INTO sig_ceremonies (id, kind, person, challenge, device_kind, device_name, credential_id, expires_at, used_at, payload)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
  replaceCeremony: `INSERT OR REPLACE INTO sig_ceremonies (id, kind, person, challenge, device_kind, device_name, credential_id, expires_at, used_at, payload)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
  useCeremony: 'UPDATE sig_ceremonies SET used_at = ? WHERE id = ? AND used_at IS NULL',
  ceremony: 'SELECT * FROM sig_ceremonies WHERE id = ?',
  purgeCeremonies: 'DELETE FROM sig_ceremonies WHERE expires_at < ?',
  challenge: 'SELECT * FROM sig_challenges WHERE id = ?',
  insertChallenge: `INSERT OR IGNORE INTO sig_challenges (id, purpose, mode, action_id, digest, person, role, modalities, sustained_ms, nonce_sha256, state, issued_at, expires_at, started_at, ended_at, outcome, device, open_key, nonce_sealed)
                      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'issued', ?, ?, NULL, NULL, NULL, NULL, ?, ?)`,
  startChallenge: "UPDATE sig_challenges SET state = 'active', started_at = ?, device = ? WHERE id = ? AND state = 'issued'",
  // A closed challenge's nonce is needed by nobody: its sealed copy goes with the open key.
  endChallenge: 'UPDATE sig_challenges SET state = ?, ended_at = ?, outcome = ?, open_key = NULL, nonce_sealed = NULL WHERE id = ? AND state IN (?, ?)',
  attempts: "SELECT COUNT(*) AS n FROM sig_challenges WHERE action_id = ? AND person = ? AND state IN ('active', 'succeeded', 'failed')",
  declined: "SELECT COUNT(*) AS n FROM sig_challenges WHERE action_id = ? AND person = ? AND outcome = 'DECLINED'",
  insertFingerprint: 'INSERT INTO sig_fingerprints (person, challenge_id, fingerprint, created_at) VALUES (?, ?, ?, ?)',
  insertEnrolment: 'INSERT INTO sig_enrolments (challenge_id, person, summary, accepted, created_at) VALUES (?, ?, ?, ?, ?)',
  acceptedEnrolments: 'SELECT summary FROM sig_enrolments WHERE person = ? AND accepted = 1 ORDER BY created_at',
  // Open challenges the person answers, and those they witness with one of their devices.
  openInvolving: `SELECT * FROM sig_challenges WHERE state IN ('issued', 'active')
                    AND (person = ? OR device IN (SELECT credential_id FROM sig_devices WHERE person = ?)) ORDER BY issued_at`,
  lastInteraction: `SELECT ${LAST_INTERACTION} AS last FROM sig_people p WHERE p.id = ?`,
  credentialsOf: 'SELECT credential_id FROM sig_devices WHERE person = ? ORDER BY created_at',
  eraseFingerprints: 'DELETE FROM sig_fingerprints WHERE person = ?',
  eraseEnrolments: 'DELETE FROM sig_enrolments WHERE person = ?',
  eraseCeremonies: 'DELETE FROM sig_ceremonies WHERE person = ?',
  eraseDevices: 'DELETE FROM sig_devices WHERE person = ?',
  erasePerson: 'DELETE FROM sig_people WHERE id = ?',
  recordErasure: `INSERT INTO sig_erasures (person, erased_at, basis, log_index) VALUES (?, ?, ?, ?)
                    ON CONFLICT (person) DO UPDATE SET erased_at = excluded.erased_at, basis = excluded.basis, log_index = excluded.log_index`,
};

export class SqliteSignaturesTx implements SignaturesTx {
  readonly #s: Record<keyof typeof SIGNATURES_TX_SQL, StatementSync>;

  constructor(db: DatabaseSync) {
    this.#s = prepareAll(db, SIGNATURES_TX_SQL);
  }

  async person(id: string): Promise<PersonRow | undefined> {
    const r = this.#s.person.get(id) as Row | undefined;
    return r === undefined ? undefined : personRow(r);
  }
  async putPerson(id: string, modalities: Modality[], displayName: string | null, now: number): Promise<void> {
    this.#s.putPerson.run(id, JSON.stringify(modalities), displayName, now, now);
  }
  async ensurePerson(id: string, now: number): Promise<void> {
    this.#s.ensurePerson.run(id, now, now);
  }
  async setFailures(id: string, failures: number, lockedAt: number | null, now: number): Promise<void> {
    this.#s.setFailures.run(failures, lockedAt, now, id);
  }
  async setProfile(id: string, profile: PersonProfile, now: number): Promise<void> {
    this.#s.setProfile.run(JSON.stringify(profile), now, id);
  }
  async device(credentialId: string): Promise<DeviceRow | undefined> {
    const r = this.#s.device.get(credentialId) as Row | undefined;
    return r === undefined ? undefined : deviceRow(r);
  }
  async insertDevice(d: Omit<DeviceRow, 'lastUsedAt' | 'revokedAt'>): Promise<void> {
    this.#s.insertDevice.run(d.credentialId, d.person, d.kind, d.name, d.publicKey, d.alg, d.counter, JSON.stringify(d.transports), d.fmt, d.aaguid, d.createdAt);
  }
  /** Atomic counter step: true only if `counter` is above the stored one (or both are 0). */
  async advanceCounter(credentialId: string, counter: number, now: number): Promise<boolean> {
    return Number(this.#s.advanceCounter.run(counter, now, credentialId, counter, counter).changes) === 1;
  }
  async revokeDevice(credentialId: string, now: number): Promise<boolean> {
    return Number(this.#s.revokeDevice.run(now, credentialId).changes) === 1;
  }
  async insertCeremony(c: CeremonyRow): Promise<void> {
    this.#s.insertCeremony.run(c.id, c.kind, c.person, c.challenge, c.deviceKind, c.deviceName, c.credentialId, c.expiresAt, c.payload);
  }
  async replaceCeremony(c: CeremonyRow): Promise<void> {
    this.#s.replaceCeremony.run(c.id, c.kind, c.person, c.challenge, c.deviceKind, c.deviceName, c.credentialId, c.expiresAt, c.payload);
  }
  /** Single use: returns the ceremony if this call consumed it. */
  async useCeremony(id: string, now: number): Promise<CeremonyRow | undefined> {
    const r = this.#s.ceremony.get(id) as Row | undefined;
    if (r === undefined) return undefined;
    if (Number(this.#s.useCeremony.run(now, id).changes) !== 1) return undefined;
    this.#s.purgeCeremonies.run(now - 24 * 3600_000);
    return ceremonyRow(r);
  }
  async challenge(id: string): Promise<ChallengeRow | undefined> {
    const r = this.#s.challenge.get(id) as Row | undefined;
    return r === undefined ? undefined : challengeRow(r);
  }
  /** False when an open challenge for the same (action, person) already exists. */
  async insertChallenge(c: NewChallenge): Promise<boolean> {
    const res = this.#s.insertChallenge.run(
      c.id, c.purpose, c.mode, c.actionId, c.digest, c.person, c.role, JSON.stringify(c.modalities), c.sustainedMs, c.nonceSha256, c.issuedAt, c.expiresAt, openKeyOf(c), c.sealedNonce,
    );
    return Number(res.changes) === 1;
  }
  /** issued -> active (single use). */
  async startChallenge(id: string, credentialId: string | null, now: number): Promise<boolean> {
    return Number(this.#s.startChallenge.run(now, credentialId, id).changes) === 1;
  }
  /** (issued|active) -> a final state; true if this call closed it. */
  async endChallenge(id: string, state: ChallengeState, outcome: string, now: number): Promise<boolean> {
    return Number(this.#s.endChallenge.run(state, now, outcome, id, 'issued', 'active').changes) === 1;
  }
  /** Sessions started by `person` for `actionId` (each consumed a challenge). */
  async attempts(actionId: string, personId: string): Promise<number> {
    return Number((this.#s.attempts.get(actionId, personId) as Row)['n']);
  }
  async declined(actionId: string, personId: string): Promise<boolean> {
    return Number((this.#s.declined.get(actionId, personId) as Row)['n']) > 0;
  }
  async insertFingerprint(personId: string, challengeId: string, fp: Fingerprint, now: number): Promise<void> {
    this.#s.insertFingerprint.run(personId, challengeId, JSON.stringify(fp), now);
  }
  async insertEnrolment(challengeId: string, personId: string, summary: unknown, accepted: boolean, now: number): Promise<void> {
    this.#s.insertEnrolment.run(challengeId, personId, JSON.stringify(summary), accepted ? 1 : 0, now);
  }
  async openChallengesInvolving(personId: string): Promise<ChallengeRow[]> {
    return (this.#s.openInvolving.all(personId, personId) as Row[]).map(challengeRow);
  }
  async raiseInteractionFloor(personId: string, lastInteractionAt: number): Promise<void> {
    this.#s.raiseFloor.run(lastInteractionAt, personId);
  }
  async lastInteraction(personId: string): Promise<number | undefined> {
    const r = this.#s.lastInteraction.get(personId) as Row | undefined;
    return r === undefined ? undefined : Number(r['last']);
  }
  async credentialsOf(personId: string): Promise<string[]> {
    return (this.#s.credentialsOf.all(personId) as Row[]).map((r) => String(r['credential_id']));
  }
  /**
   * Deletes every row holding the person's biometric or device data. Challenge rows stay (closed
   * before this): they mirror log entries and carry no biometric data.
   */
  async eraseRows(personId: string): Promise<ErasedRows> {
    const del = (name: keyof typeof SIGNATURES_TX_SQL) => Number(this.#s[name].run(personId).changes);
    return {
      fingerprints: del('eraseFingerprints'),
      enrolments: del('eraseEnrolments'),
      ceremonies: del('eraseCeremonies'),
      devices: del('eraseDevices'),
      people: del('erasePerson'),
    };
  }
  async recordErasure(e: ErasureRow): Promise<void> {
    this.#s.recordErasure.run(e.person, e.erasedAt, e.basis, e.logIndex);
  }
  async acceptedEnrolments(personId: string): Promise<unknown[]> {
    return (this.#s.acceptedEnrolments.all(personId) as Row[]).map((r) => JSON.parse(String(r['summary'])) as unknown);
  }
}

const SIGNATURE_READS_SQL = {
  person: 'SELECT * FROM sig_people WHERE id = ?',
  people: 'SELECT * FROM sig_people ORDER BY id',
  device: 'SELECT * FROM sig_devices WHERE credential_id = ?',
  devicesOf: 'SELECT * FROM sig_devices WHERE person = ? ORDER BY created_at',
  challenge: 'SELECT * FROM sig_challenges WHERE id = ?',
  challengesOf: `SELECT * FROM sig_challenges WHERE person = ? AND state IN ('issued', 'active') ORDER BY issued_at`,
  openForAction: `SELECT * FROM sig_challenges WHERE action_id = ? AND state IN ('issued', 'active')`,
  allOpen: `SELECT * FROM sig_challenges WHERE state IN ('issued', 'active')`,
  sealedNonce: `SELECT nonce_sealed FROM sig_challenges WHERE id = ? AND state IN ('issued', 'active')`,
  erasure: 'SELECT * FROM sig_erasures WHERE person = ?',
  retentionCandidates: `SELECT p.id AS id, ${LAST_INTERACTION} AS last FROM sig_people p
                          WHERE p.interaction_floor < ? ORDER BY p.interaction_floor, p.id LIMIT ?`,
  fingerprints: `SELECT fingerprint FROM (
                     SELECT id, fingerprint FROM sig_fingerprints WHERE person = ?
                     UNION SELECT id, fingerprint FROM (SELECT id, fingerprint FROM sig_fingerprints ORDER BY id DESC LIMIT ?)
                   ) ORDER BY id`,
};

export class SqliteSignatureReads implements SignatureReads {
  readonly #s: Record<keyof typeof SIGNATURE_READS_SQL, StatementSync>;

  constructor(db: DatabaseSync) {
    this.#s = prepareAll(db, SIGNATURE_READS_SQL);
  }

  async getPerson(id: string): Promise<PersonRow | undefined> {
    const r = this.#s.person.get(id) as Row | undefined;
    return r === undefined ? undefined : personRow(r);
  }
  async people(): Promise<PersonRow[]> {
    return (this.#s.people.all() as Row[]).map(personRow);
  }
  async getDevice(credentialId: string): Promise<DeviceRow | undefined> {
    const r = this.#s.device.get(credentialId) as Row | undefined;
    return r === undefined ? undefined : deviceRow(r);
  }
  async devicesOf(personId: string): Promise<DeviceRow[]> {
    return (this.#s.devicesOf.all(personId) as Row[]).map(deviceRow);
  }
  async getChallenge(id: string): Promise<ChallengeRow | undefined> {
    const r = this.#s.challenge.get(id) as Row | undefined;
    return r === undefined ? undefined : challengeRow(r);
  }
  async openChallengesOf(personId: string): Promise<ChallengeRow[]> {
    return (this.#s.challengesOf.all(personId) as Row[]).map(challengeRow);
  }
  async openChallengesForAction(actionId: string): Promise<ChallengeRow[]> {
    return (this.#s.openForAction.all(actionId) as Row[]).map(challengeRow);
  }
  async allOpenChallenges(): Promise<ChallengeRow[]> {
    return (this.#s.allOpen.all() as Row[]).map(challengeRow);
  }
  async sealedNonce(challengeId: string): Promise<string | undefined> {
    const v = (this.#s.sealedNonce.get(challengeId) as Row | undefined)?.['nonce_sealed'];
    return typeof v === 'string' ? v : undefined;
  }
  /** This person's fingerprints plus the most recent `globalLimit` of everyone's. */
  async fingerprintHistory(personId: string, globalLimit: number): Promise<Fingerprint[]> {
    return (this.#s.fingerprints.all(personId, globalLimit) as Row[]).map((r) => JSON.parse(String(r['fingerprint'])) as Fingerprint);
  }

  /** The record that `person` was erased (the last time), if they were. */
  async getErasure(personId: string): Promise<ErasureRow | undefined> {
    const r = this.#s.erasure.get(personId) as Row | undefined;
    return r === undefined ? undefined : { person: String(r['person']), erasedAt: Number(r['erased_at']), basis: String(r['basis']), logIndex: Number(r['log_index']) };
  }
  /**
   * Up to `limit` people whose interaction floor is before `before`, lowest floor first, each with
   * their exact last interaction: those still before `before` are inactive, the others only had a
   * stale floor (raise it with txRaiseInteractionFloor).
   */
  async retentionCandidates(before: number, limit: number): Promise<{ id: string; lastInteractionAt: number }[]> {
    return (this.#s.retentionCandidates.all(before, limit) as Row[]).map((r) => ({ id: String(r['id']), lastInteractionAt: Number(r['last']) }));
  }
}
