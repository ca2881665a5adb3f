import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { FirewallError } from '../../core/errors.ts';
import type { Fingerprint, PersonProfile } from '../../core/liveness/types.ts';
import type { Modality } from '../../core/policy/modality.ts';
import type { Store } from '../ports/store.ts';

/**
 * Tables of the signature capability (prefix sig_), in the gateway's own SQLite database so a
 * challenge's consumption, a counter update, a lock and the action's transition commit together
 * with their log entries in one transaction.
 *
 * Writes go through the store's writer connection and MUST run inside a `store.tx` callback
 * (synchronously, before its first await of anything but the tx API): they then join that
 * callback's savepoint and commit or roll back with it. Reads outside a transaction use a separate
 * read-only connection, which in WAL mode sees committed data only.
 *
 * Nothing here is secret or a raw sample: no nonce (only its SHA-256 commitment; the nonce lives in
 * memory until the session ends), no private key (credential PUBLIC keys only), no biometric stream
 * (only liveness features and MinHash fingerprints, see docs/privacy.md).
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS sig_people (
  id           TEXT PRIMARY KEY,
  modalities   TEXT NOT NULL,
  display_name TEXT,
  failures     INTEGER NOT NULL DEFAULT 0,
  locked_at    INTEGER,
  profile      TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  interaction_floor INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sig_devices (
  credential_id TEXT PRIMARY KEY,
  person        TEXT NOT NULL,
  kind          TEXT NOT NULL,
  name          TEXT,
  public_key    TEXT NOT NULL,
  alg           INTEGER NOT NULL,
  counter       INTEGER NOT NULL,
  transports    TEXT,
  fmt           TEXT,
  aaguid        TEXT,
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER,
  revoked_at    INTEGER
);
CREATE INDEX IF NOT EXISTS sig_devices_person ON sig_devices (person);
CREATE TABLE IF NOT EXISTS sig_ceremonies (
  id            TEXT PRIMARY KEY,
  kind          TEXT NOT NULL,
  person        TEXT NOT NULL,
  challenge     TEXT NOT NULL,
  device_kind   TEXT,
  device_name   TEXT,
  credential_id TEXT,
  expires_at    INTEGER NOT NULL,
  used_at       INTEGER
);
CREATE TABLE IF NOT EXISTS sig_challenges (
  id           TEXT PRIMARY KEY,
  purpose      TEXT NOT NULL,
  mode         TEXT NOT NULL,
  action_id    TEXT,
  digest       TEXT NOT NULL,
  person       TEXT NOT NULL,
  role         TEXT NOT NULL,
  modalities   TEXT NOT NULL,
  sustained_ms INTEGER NOT NULL,
  nonce_sha256 TEXT NOT NULL,
  state        TEXT NOT NULL,
  issued_at    INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  started_at   INTEGER,
  ended_at     INTEGER,
  outcome      TEXT,
  device       TEXT,
  open_key     TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS sig_challenges_person ON sig_challenges (person, state);
CREATE INDEX IF NOT EXISTS sig_challenges_action ON sig_challenges (action_id);
CREATE TABLE IF NOT EXISTS sig_fingerprints (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  person       TEXT NOT NULL,
  challenge_id TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sig_fingerprints_person ON sig_fingerprints (person);
CREATE TABLE IF NOT EXISTS sig_enrolments (
  challenge_id TEXT PRIMARY KEY,
  person       TEXT NOT NULL,
  summary      TEXT NOT NULL,
  accepted     INTEGER NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sig_enrolments_person ON sig_enrolments (person);
CREATE TABLE IF NOT EXISTS sig_erasures (
  person     TEXT PRIMARY KEY,
  erased_at  INTEGER NOT NULL,
  basis      TEXT NOT NULL,
  log_index  INTEGER NOT NULL
);
`;

/**
 * A person's last interaction (docs/privacy.md §Retention): the latest of their first declaration,
 * a device enrolled or used (any passkey assertion), a session started, an enrolment or liveness
 * result recorded. Not `sig_people.updated_at`: an administrator's unlock moves it too.
 */
const LAST_INTERACTION = `MAX(
  p.created_at,
  COALESCE((SELECT MAX(MAX(d.created_at, COALESCE(d.last_used_at, 0))) FROM sig_devices d WHERE d.person = p.id), 0),
  COALESCE((SELECT MAX(c.started_at) FROM sig_challenges c WHERE c.person = p.id), 0),
  COALESCE((SELECT MAX(e.created_at) FROM sig_enrolments e WHERE e.person = p.id), 0),
  COALESCE((SELECT MAX(f.created_at) FROM sig_fingerprints f WHERE f.person = p.id), 0)
)`;

/**
 * `interaction_floor` is a lower bound of a person's last interaction, indexed, so the retention
 * purge finds its candidates without computing LAST_INTERACTION for everyone (about 0.36 s of
 * blocking SQLite per 100,000 people, every run). It is never the decision: each candidate's
 * LAST_INTERACTION is computed exactly and re-checked inside the erasure's transaction, and a
 * candidate still active has its floor raised to that value. Nothing has to keep it current, so no
 * write path can make it wrong in the direction that would erase an active person; and it never
 * exceeds LAST_INTERACTION, which never decreases (only an erasure deletes the rows it reads, and
 * the person's row with them), so nobody is found late either.
 */
const FLOOR_INDEX = 'CREATE INDEX IF NOT EXISTS sig_people_interaction_floor ON sig_people (interaction_floor, id)';

export const DEVICE_KINDS = ['phone', 'wearable'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];
export type ChallengeState = 'issued' | 'active' | 'succeeded' | 'failed' | 'expired' | 'cancelled';
export const OPEN_STATES: readonly ChallengeState[] = ['issued', 'active'];

/** Rows removed by one erasure, per table (docs/privacy.md §Erasure). */
export interface ErasedRows {
  people: number;
  devices: number;
  fingerprints: number;
  enrolments: number;
  ceremonies: number;
}

export interface ErasureRow {
  person: string;
  erasedAt: number;
  basis: string;
  logIndex: number;
}

export interface PersonRow {
  id: string;
  modalities: Modality[];
  displayName: string | null;
  failures: number;
  lockedAt: number | null;
  profile: PersonProfile | null;
  createdAt: number;
  updatedAt: number;
}

export interface DeviceRow {
  credentialId: string;
  person: string;
  kind: DeviceKind;
  name: string | null;
  /** COSE_Key, base64url. */
  publicKey: string;
  alg: number;
  counter: number;
  transports: string[];
  fmt: string | null;
  aaguid: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface CeremonyRow {
  id: string;
  kind: 'registration' | 'authentication';
  person: string;
  challenge: string;
  deviceKind: string | null;
  deviceName: string | null;
  credentialId: string | null;
  expiresAt: number;
  usedAt: number | null;
}

export interface ChallengeRow {
  id: string;
  purpose: 'action' | 'enrolment';
  mode: 'biological' | 'witness';
  actionId: string | null;
  digest: string;
  person: string;
  role: 'authorizer' | 'comparator';
  modalities: Modality[];
  sustainedMs: number;
  nonceSha256: string;
  state: ChallengeState;
  issuedAt: number;
  expiresAt: number;
  startedAt: number | null;
  endedAt: number | null;
  outcome: string | null;
  device: string | null;
}

type Row = Record<string, unknown>;
const s = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function person(r: Row): PersonRow {
  return {
    id: String(r['id']),
    modalities: JSON.parse(String(r['modalities'])) as Modality[],
    displayName: s(r['display_name']),
    failures: Number(r['failures']),
    lockedAt: n(r['locked_at']),
    profile: r['profile'] === null ? null : (JSON.parse(String(r['profile'])) as PersonProfile),
    createdAt: Number(r['created_at']),
    updatedAt: Number(r['updated_at']),
  };
}
function device(r: Row): DeviceRow {
  return {
    credentialId: String(r['credential_id']),
    person: String(r['person']),
    kind: String(r['kind']) as DeviceKind,
    name: s(r['name']),
    publicKey: String(r['public_key']),
    alg: Number(r['alg']),
    counter: Number(r['counter']),
    transports: r['transports'] === null ? [] : (JSON.parse(String(r['transports'])) as string[]),
    fmt: s(r['fmt']),
    aaguid: s(r['aaguid']),
    createdAt: Number(r['created_at']),
    lastUsedAt: n(r['last_used_at']),
    revokedAt: n(r['revoked_at']),
  };
}
function ceremony(r: Row): CeremonyRow {
  return {
    id: String(r['id']),
    kind: String(r['kind']) as CeremonyRow['kind'],
    person: String(r['person']),
    challenge: String(r['challenge']),
    deviceKind: s(r['device_kind']),
    deviceName: s(r['device_name']),
    credentialId: s(r['credential_id']),
    expiresAt: Number(r['expires_at']),
    usedAt: n(r['used_at']),
  };
}
function challenge(r: Row): ChallengeRow {
  return {
    id: String(r['id']),
    purpose: String(r['purpose']) as ChallengeRow['purpose'],
    mode: String(r['mode']) as ChallengeRow['mode'],
    actionId: s(r['action_id']),
    digest: String(r['digest']),
    person: String(r['person']),
    role: String(r['role']) as ChallengeRow['role'],
    modalities: JSON.parse(String(r['modalities'])) as Modality[],
    sustainedMs: Number(r['sustained_ms']),
    nonceSha256: String(r['nonce_sha256']),
    state: String(r['state']) as ChallengeState,
    issuedAt: Number(r['issued_at']),
    expiresAt: Number(r['expires_at']),
    startedAt: n(r['started_at']),
    endedAt: n(r['ended_at']),
    outcome: s(r['outcome']),
    device: s(r['device']),
  };
}

export function openKeyOf(c: Pick<ChallengeRow, 'purpose' | 'actionId' | 'person'>): string {
  return c.purpose === 'action' ? `action|${c.actionId}|${c.person}` : `enrolment|${c.person}`;
}

export class SignatureStore {
  readonly #w: DatabaseSync;
  readonly #r: DatabaseSync;
  readonly #ws: Record<string, StatementSync>;
  readonly #rs: Record<string, StatementSync>;

  constructor(store: Store) {
    const db = (store as { db?: unknown }).db;
    if (!(db instanceof DatabaseSync)) {
      throw new FirewallError('CONFIG_INVALID', 'biological signatures need the SQLite store (its database holds the signature tables)', { status: 500 });
    }
    this.#w = db;
    this.#w.exec(SCHEMA);
    migrateInteractionFloor(this.#w);
    const path = db.location();
    if (path === null) throw new FirewallError('CONFIG_INVALID', 'the signature tables need a file database (not :memory:)', { status: 500 });
    this.#r = new DatabaseSync(path, { readOnly: true });
    this.#r.exec('PRAGMA busy_timeout = 5000;');
    const w = (sql: string) => this.#w.prepare(sql);
    const r = (sql: string) => this.#r.prepare(sql);
    this.#ws = {
      person: w('SELECT * FROM sig_people WHERE id = ?'),
      putPerson: w(`INSERT INTO sig_people (id, modalities, display_name, failures, locked_at, profile, created_at, updated_at, interaction_floor)
                    VALUES (?1, ?2, ?3, 0, NULL, NULL, ?4, ?5, ?4)
                    ON CONFLICT (id) DO UPDATE SET modalities = excluded.modalities, display_name = COALESCE(excluded.display_name, sig_people.display_name), updated_at = excluded.updated_at`),
      ensurePerson: w(`INSERT INTO sig_people (id, modalities, display_name, failures, locked_at, profile, created_at, updated_at, interaction_floor)
                       VALUES (?1, '[]', NULL, 0, NULL, NULL, ?2, ?3, ?2) ON CONFLICT (id) DO NOTHING`),
      raiseFloor: w('UPDATE sig_people SET interaction_floor = MAX(interaction_floor, ?) WHERE id = ?'),
      setFailures: w('UPDATE sig_people SET failures = ?, locked_at = ?, updated_at = ? WHERE id = ?'),
      setProfile: w('UPDATE sig_people SET profile = ?, updated_at = ? WHERE id = ?'),
      device: w('SELECT * FROM sig_devices WHERE credential_id = ?'),
      insertDevice: w(`INSERT INTO sig_devices (credential_id, person, kind, name, public_key, alg, counter, transports, fmt, aaguid, created_at, last_used_at, revoked_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)`),
      advanceCounter: w(`UPDATE sig_devices SET counter = ?, last_used_at = ? WHERE credential_id = ? AND revoked_at IS NULL
                         AND (? > counter OR (? = 0 AND counter = 0))`),
      revokeDevice: w('UPDATE sig_devices SET revoked_at = ? WHERE credential_id = ? AND revoked_at IS NULL'),
      insertCeremony: w(`INSERT INTO sig_ceremonies (id, kind, person, challenge, device_kind, device_name, credential_id, expires_at, used_at)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)`),
      useCeremony: w('UPDATE sig_ceremonies SET used_at = ? WHERE id = ? AND used_at IS NULL'),
      ceremony: w('SELECT * FROM sig_ceremonies WHERE id = ?'),
      purgeCeremonies: w('DELETE FROM sig_ceremonies WHERE expires_at < ?'),
      challenge: w('SELECT * FROM sig_challenges WHERE id = ?'),
      insertChallenge: w(`INSERT OR IGNORE INTO sig_challenges (id, purpose, mode, action_id, digest, person, role, modalities, sustained_ms, nonce_sha256, state, issued_at, expires_at, started_at, ended_at, outcome, device, open_key)
                          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'issued', ?, ?, NULL, NULL, NULL, NULL, ?)`),
      startChallenge: w("UPDATE sig_challenges SET state = 'active', started_at = ?, device = ? WHERE id = ? AND state = 'issued'"),
      endChallenge: w('UPDATE sig_challenges SET state = ?, ended_at = ?, outcome = ?, open_key = NULL WHERE id = ? AND state IN (?, ?)'),
      attempts: w("SELECT COUNT(*) AS n FROM sig_challenges WHERE action_id = ? AND person = ? AND state IN ('active', 'succeeded', 'failed')"),
      insertFingerprint: w('INSERT INTO sig_fingerprints (person, challenge_id, fingerprint, created_at) VALUES (?, ?, ?, ?)'),
      insertEnrolment: w('INSERT INTO sig_enrolments (challenge_id, person, summary, accepted, created_at) VALUES (?, ?, ?, ?, ?)'),
      acceptedEnrolments: w('SELECT summary FROM sig_enrolments WHERE person = ? AND accepted = 1 ORDER BY created_at'),
      // Open challenges the person answers, and those they witness with one of their devices.
      openInvolving: w(`SELECT * FROM sig_challenges WHERE state IN ('issued', 'active')
                        AND (person = ? OR device IN (SELECT credential_id FROM sig_devices WHERE person = ?)) ORDER BY issued_at`),
      lastInteraction: w(`SELECT ${LAST_INTERACTION} AS last FROM sig_people p WHERE p.id = ?`),
      credentialsOf: w('SELECT credential_id FROM sig_devices WHERE person = ? ORDER BY created_at'),
      eraseFingerprints: w('DELETE FROM sig_fingerprints WHERE person = ?'),
      eraseEnrolments: w('DELETE FROM sig_enrolments WHERE person = ?'),
      eraseCeremonies: w('DELETE FROM sig_ceremonies WHERE person = ?'),
      eraseDevices: w('DELETE FROM sig_devices WHERE person = ?'),
      erasePerson: w('DELETE FROM sig_people WHERE id = ?'),
      recordErasure: w(`INSERT INTO sig_erasures (person, erased_at, basis, log_index) VALUES (?, ?, ?, ?)
                        ON CONFLICT (person) DO UPDATE SET erased_at = excluded.erased_at, basis = excluded.basis, log_index = excluded.log_index`),
    };
    this.#rs = {
      person: r('SELECT * FROM sig_people WHERE id = ?'),
      people: r('SELECT * FROM sig_people ORDER BY id'),
      device: r('SELECT * FROM sig_devices WHERE credential_id = ?'),
      devicesOf: r('SELECT * FROM sig_devices WHERE person = ? ORDER BY created_at'),
      challenge: r('SELECT * FROM sig_challenges WHERE id = ?'),
      challengesOf: r(`SELECT * FROM sig_challenges WHERE person = ? AND state IN ('issued', 'active') ORDER BY issued_at`),
      openForAction: r(`SELECT * FROM sig_challenges WHERE action_id = ? AND state IN ('issued', 'active')`),
      allOpen: r(`SELECT * FROM sig_challenges WHERE state IN ('issued', 'active')`),
      erasure: r('SELECT * FROM sig_erasures WHERE person = ?'),
      retentionCandidates: r(`SELECT p.id AS id, ${LAST_INTERACTION} AS last FROM sig_people p
                              WHERE p.interaction_floor < ? ORDER BY p.interaction_floor, p.id LIMIT ?`),
      fingerprints: r(`SELECT fingerprint FROM (
                         SELECT id, fingerprint FROM sig_fingerprints WHERE person = ?
                         UNION SELECT id, fingerprint FROM (SELECT id, fingerprint FROM sig_fingerprints ORDER BY id DESC LIMIT ?)
                       ) ORDER BY id`),
    };
  }

  close(): void {
    this.#r.close();
  }

  // --- reads (committed data) ---------------------------------------------------------------------

  getPerson(id: string): PersonRow | undefined {
    const r = this.#rs['person']!.get(id) as Row | undefined;
    return r === undefined ? undefined : person(r);
  }
  people(): PersonRow[] {
    return (this.#rs['people']!.all() as Row[]).map(person);
  }
  getDevice(credentialId: string): DeviceRow | undefined {
    const r = this.#rs['device']!.get(credentialId) as Row | undefined;
    return r === undefined ? undefined : device(r);
  }
  devicesOf(personId: string): DeviceRow[] {
    return (this.#rs['devicesOf']!.all(personId) as Row[]).map(device);
  }
  getChallenge(id: string): ChallengeRow | undefined {
    const r = this.#rs['challenge']!.get(id) as Row | undefined;
    return r === undefined ? undefined : challenge(r);
  }
  openChallengesOf(personId: string): ChallengeRow[] {
    return (this.#rs['challengesOf']!.all(personId) as Row[]).map(challenge);
  }
  openChallengesForAction(actionId: string): ChallengeRow[] {
    return (this.#rs['openForAction']!.all(actionId) as Row[]).map(challenge);
  }
  allOpenChallenges(): ChallengeRow[] {
    return (this.#rs['allOpen']!.all() as Row[]).map(challenge);
  }
  /** This person's fingerprints plus the most recent `globalLimit` of everyone's. */
  fingerprintHistory(personId: string, globalLimit: number): Fingerprint[] {
    return (this.#rs['fingerprints']!.all(personId, globalLimit) as Row[]).map((r) => JSON.parse(String(r['fingerprint'])) as Fingerprint);
  }

  /** The record that `person` was erased (the last time), if they were. */
  getErasure(personId: string): ErasureRow | undefined {
    const r = this.#rs['erasure']!.get(personId) as Row | undefined;
    return r === undefined ? undefined : { person: String(r['person']), erasedAt: Number(r['erased_at']), basis: String(r['basis']), logIndex: Number(r['log_index']) };
  }
  /**
   * Up to `limit` people whose interaction floor is before `before`, lowest floor first, each with
   * their exact last interaction: those still before `before` are inactive, the others only had a
   * stale floor (raise it with txRaiseInteractionFloor).
   */
  retentionCandidates(before: number, limit: number): { id: string; lastInteractionAt: number }[] {
    return (this.#rs['retentionCandidates']!.all(before, limit) as Row[]).map((r) => ({ id: String(r['id']), lastInteractionAt: Number(r['last']) }));
  }

  // --- inside a store.tx callback only ---------------------------------------------------------

  txPerson(id: string): PersonRow | undefined {
    const r = this.#ws['person']!.get(id) as Row | undefined;
    return r === undefined ? undefined : person(r);
  }
  txPutPerson(id: string, modalities: Modality[], displayName: string | null, now: number): void {
    this.#ws['putPerson']!.run(id, JSON.stringify(modalities), displayName, now, now);
  }
  txEnsurePerson(id: string, now: number): void {
    this.#ws['ensurePerson']!.run(id, now, now);
  }
  txSetFailures(id: string, failures: number, lockedAt: number | null, now: number): void {
    this.#ws['setFailures']!.run(failures, lockedAt, now, id);
  }
  txSetProfile(id: string, profile: PersonProfile, now: number): void {
    this.#ws['setProfile']!.run(JSON.stringify(profile), now, id);
  }
  txDevice(credentialId: string): DeviceRow | undefined {
    const r = this.#ws['device']!.get(credentialId) as Row | undefined;
    return r === undefined ? undefined : device(r);
  }
  txInsertDevice(d: Omit<DeviceRow, 'lastUsedAt' | 'revokedAt'>): void {
    this.#ws['insertDevice']!.run(d.credentialId, d.person, d.kind, d.name, d.publicKey, d.alg, d.counter, JSON.stringify(d.transports), d.fmt, d.aaguid, d.createdAt);
  }
  /** Atomic counter step: true only if `counter` is above the stored one (or both are 0). */
  txAdvanceCounter(credentialId: string, counter: number, now: number): boolean {
    return Number(this.#ws['advanceCounter']!.run(counter, now, credentialId, counter, counter).changes) === 1;
  }
  txRevokeDevice(credentialId: string, now: number): boolean {
    return Number(this.#ws['revokeDevice']!.run(now, credentialId).changes) === 1;
  }
  txInsertCeremony(c: CeremonyRow): void {
    this.#ws['insertCeremony']!.run(c.id, c.kind, c.person, c.challenge, c.deviceKind, c.deviceName, c.credentialId, c.expiresAt);
  }
  /** Single use: returns the ceremony if this call consumed it. */
  txUseCeremony(id: string, now: number): CeremonyRow | undefined {
    const r = this.#ws['ceremony']!.get(id) as Row | undefined;
    if (r === undefined) return undefined;
    if (Number(this.#ws['useCeremony']!.run(now, id).changes) !== 1) return undefined;
    this.#ws['purgeCeremonies']!.run(now - 24 * 3600_000);
    return ceremony(r);
  }
  txChallenge(id: string): ChallengeRow | undefined {
    const r = this.#ws['challenge']!.get(id) as Row | undefined;
    return r === undefined ? undefined : challenge(r);
  }
  /** False when an open challenge for the same (action, person) already exists. */
  txInsertChallenge(c: Omit<ChallengeRow, 'state' | 'startedAt' | 'endedAt' | 'outcome' | 'device'>): boolean {
    const res = this.#ws['insertChallenge']!.run(
      c.id, c.purpose, c.mode, c.actionId, c.digest, c.person, c.role, JSON.stringify(c.modalities), c.sustainedMs, c.nonceSha256, c.issuedAt, c.expiresAt, openKeyOf(c),
    );
    return Number(res.changes) === 1;
  }
  /** issued -> active (single use). */
  txStartChallenge(id: string, credentialId: string | null, now: number): boolean {
    return Number(this.#ws['startChallenge']!.run(now, credentialId, id).changes) === 1;
  }
  /** (issued|active) -> a final state; true if this call closed it. */
  txEndChallenge(id: string, state: ChallengeState, outcome: string, now: number): boolean {
    return Number(this.#ws['endChallenge']!.run(state, now, outcome, id, 'issued', 'active').changes) === 1;
  }
  /** Sessions started by `person` for `actionId` (each consumed a challenge). */
  txAttempts(actionId: string, personId: string): number {
    return Number((this.#ws['attempts']!.get(actionId, personId) as Row)['n']);
  }
  txInsertFingerprint(personId: string, challengeId: string, fp: Fingerprint, now: number): void {
    this.#ws['insertFingerprint']!.run(personId, challengeId, JSON.stringify(fp), now);
  }
  txInsertEnrolment(challengeId: string, personId: string, summary: unknown, accepted: boolean, now: number): void {
    this.#ws['insertEnrolment']!.run(challengeId, personId, JSON.stringify(summary), accepted ? 1 : 0, now);
  }
  txOpenChallengesInvolving(personId: string): ChallengeRow[] {
    return (this.#ws['openInvolving']!.all(personId, personId) as Row[]).map(challenge);
  }
  txRaiseInteractionFloor(personId: string, lastInteractionAt: number): void {
    this.#ws['raiseFloor']!.run(lastInteractionAt, personId);
  }
  txLastInteraction(personId: string): number | undefined {
    const r = this.#ws['lastInteraction']!.get(personId) as Row | undefined;
    return r === undefined ? undefined : Number(r['last']);
  }
  txCredentialsOf(personId: string): string[] {
    return (this.#ws['credentialsOf']!.all(personId) as Row[]).map((r) => String(r['credential_id']));
  }
  /**
   * Deletes every row holding the person's biometric or device data. Challenge rows stay (closed
   * before this): they mirror log entries and carry no biometric data.
   */
  txEraseRows(personId: string): ErasedRows {
    const del = (name: string) => Number(this.#ws[name]!.run(personId).changes);
    return {
      fingerprints: del('eraseFingerprints'),
      enrolments: del('eraseEnrolments'),
      ceremonies: del('eraseCeremonies'),
      devices: del('eraseDevices'),
      people: del('erasePerson'),
    };
  }
  txRecordErasure(e: ErasureRow): void {
    this.#ws['recordErasure']!.run(e.person, e.erasedAt, e.basis, e.logIndex);
  }
  txAcceptedEnrolments(personId: string): unknown[] {
    return (this.#ws['acceptedEnrolments']!.all(personId) as Row[]).map((r) => JSON.parse(String(r['summary'])) as unknown);
  }
}

/**
 * Databases made before `interaction_floor` existed get the column, filled with each person's
 * exact last interaction (one full pass, once), then its index.
 */
function migrateInteractionFloor(db: DatabaseSync): void {
  const cols = db.prepare('PRAGMA table_info(sig_people)').all() as Row[];
  if (!cols.some((c) => c['name'] === 'interaction_floor')) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec('ALTER TABLE sig_people ADD COLUMN interaction_floor INTEGER NOT NULL DEFAULT 0');
      db.exec(`UPDATE sig_people AS p SET interaction_floor = ${LAST_INTERACTION}`);
      db.exec('COMMIT');
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    }
  }
  db.exec(FLOOR_INDEX);
}
