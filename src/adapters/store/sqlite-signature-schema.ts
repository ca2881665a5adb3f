import type { DatabaseSync } from 'node:sqlite';

/**
 * Tables of the signature aggregate (prefix sig_) in the gateway's SQLite database, beside the
 * actions and the log, so that everything a signature changes commits in one transaction.
 */
export const SIGNATURE_SCHEMA = `
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
  used_at       INTEGER,
  payload       TEXT
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
  open_key     TEXT UNIQUE,
  nonce_sealed TEXT
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
export const LAST_INTERACTION = `MAX(
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

/**
 * Creates the sig_ tables. Databases made before `interaction_floor` existed get the column,
 * filled with each person's exact last interaction (one full pass, once), then its index; those
 * made before `sig_challenges.nonce_sealed` or `sig_ceremonies.payload` get that column (empty).
 */
export function openSignatureTables(db: DatabaseSync): void {
  db.exec(SIGNATURE_SCHEMA);
  const cols = db.prepare('PRAGMA table_info(sig_people)').all() as Record<string, unknown>[];
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
  // Sealed nonces (docs/protocol.md §Challenge lifecycle): challenges issued before the column
  // existed have none, and close with GATEWAY_RESTARTED at the next start.
  const challengeCols = db.prepare('PRAGMA table_info(sig_challenges)').all() as Record<string, unknown>[];
  if (!challengeCols.some((c) => c['name'] === 'nonce_sealed')) db.exec('ALTER TABLE sig_challenges ADD COLUMN nonce_sealed TEXT');
  // Co-sign ceremonies kept in the store (comparator.ts): ceremonies open before it have none.
  const ceremonyCols = db.prepare('PRAGMA table_info(sig_ceremonies)').all() as Record<string, unknown>[];
  if (!ceremonyCols.some((c) => c['name'] === 'payload')) db.exec('ALTER TABLE sig_ceremonies ADD COLUMN payload TEXT');
}
