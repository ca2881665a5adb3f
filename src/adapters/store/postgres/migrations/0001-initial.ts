/**
 * Migration 1: the gateway's tables as the SQLite store has them (src/adapters/store/sqlite-*.ts),
 * in PostgreSQL's types: times in ms and log indexes BIGINT, hashes bytea, JSON documents TEXT
 * (stored and compared byte for byte, as SQLite does: the actions' compare-and-set compares `doc`).
 * Never edit a released migration: add the next one (docs/operations.md §Database and migrations).
 */
export const name = 'initial';

export const sql = `
CREATE TABLE actions (
  id TEXT PRIMARY KEY,
  agent TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  status TEXT NOT NULL,
  actuator TEXT NOT NULL,
  operation TEXT NOT NULL,
  target TEXT NOT NULL,
  amount DOUBLE PRECISION,
  currency TEXT,
  owner TEXT,
  organisation TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  due_at BIGINT,
  doc TEXT NOT NULL,
  UNIQUE (agent, idempotency_key)
);
CREATE INDEX actions_due ON actions (status, due_at);
CREATE INDEX actions_velocity ON actions (agent, actuator, created_at);
CREATE INDEX actions_velocity_owner ON actions (owner, actuator, created_at);
CREATE INDEX actions_velocity_organisation ON actions (organisation, actuator, created_at);
CREATE INDEX actions_velocity_actuator ON actions (actuator, created_at);

CREATE TABLE principals (
  id TEXT PRIMARY KEY,
  doc TEXT NOT NULL
);

CREATE TABLE sig_people (
  id           TEXT PRIMARY KEY,
  modalities   TEXT NOT NULL,
  display_name TEXT,
  failures     BIGINT NOT NULL DEFAULT 0,
  locked_at    BIGINT,
  profile      TEXT,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL,
  interaction_floor BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sig_people_interaction_floor ON sig_people (interaction_floor, id);
CREATE TABLE sig_devices (
  credential_id TEXT PRIMARY KEY,
  person        TEXT NOT NULL,
  kind          TEXT NOT NULL,
  name          TEXT,
  public_key    TEXT NOT NULL,
  alg           BIGINT NOT NULL,
  counter       BIGINT NOT NULL,
  transports    TEXT,
  fmt           TEXT,
  aaguid        TEXT,
  created_at    BIGINT NOT NULL,
  last_used_at  BIGINT,
  revoked_at    BIGINT
);
CREATE INDEX sig_devices_person ON sig_devices (person);
CREATE TABLE sig_ceremonies (
  id            TEXT PRIMARY KEY,
  kind          TEXT NOT NULL,
  person        TEXT NOT NULL,
  challenge     TEXT NOT NULL,
  device_kind   TEXT,
  device_name   TEXT,
  credential_id TEXT,
  expires_at    BIGINT NOT NULL,
  used_at       BIGINT
);
CREATE TABLE sig_challenges (
  id           TEXT PRIMARY KEY,
  purpose      TEXT NOT NULL,
  mode         TEXT NOT NULL,
  action_id    TEXT,
  digest       TEXT NOT NULL,
  person       TEXT NOT NULL,
  role         TEXT NOT NULL,
  modalities   TEXT NOT NULL,
  sustained_ms BIGINT NOT NULL,
  nonce_sha256 TEXT NOT NULL,
  state        TEXT NOT NULL,
  issued_at    BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  started_at   BIGINT,
  ended_at     BIGINT,
  outcome      TEXT,
  device       TEXT,
  open_key     TEXT UNIQUE,
  nonce_sealed TEXT
);
CREATE INDEX sig_challenges_person ON sig_challenges (person, state);
CREATE INDEX sig_challenges_action ON sig_challenges (action_id);
CREATE TABLE sig_fingerprints (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  person       TEXT NOT NULL,
  challenge_id TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  created_at   BIGINT NOT NULL
);
CREATE INDEX sig_fingerprints_person ON sig_fingerprints (person);
CREATE TABLE sig_enrolments (
  challenge_id TEXT PRIMARY KEY,
  person       TEXT NOT NULL,
  summary      TEXT NOT NULL,
  accepted     BOOLEAN NOT NULL,
  created_at   BIGINT NOT NULL
);
CREATE INDEX sig_enrolments_person ON sig_enrolments (person);
CREATE TABLE sig_erasures (
  person     TEXT PRIMARY KEY,
  erased_at  BIGINT NOT NULL,
  basis      TEXT NOT NULL,
  log_index  BIGINT NOT NULL
);

CREATE TABLE policy_versions (
  hash          TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  document      TEXT NOT NULL,
  source        TEXT NOT NULL,
  proposed_by   TEXT NOT NULL,
  proposer_kind TEXT NOT NULL,
  proposed_at   BIGINT NOT NULL,
  status        TEXT NOT NULL,
  activated_at  BIGINT
);
CREATE TABLE policy_activations (
  seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  hash        TEXT NOT NULL,
  at          BIGINT NOT NULL,
  proposal_id TEXT
);
CREATE TABLE policy_proposals (
  id         TEXT PRIMARY KEY,
  action_id  TEXT UNIQUE,
  created_at BIGINT NOT NULL,
  doc        TEXT NOT NULL
);
CREATE INDEX policy_proposals_created ON policy_proposals (created_at);

CREATE TABLE app_invitations (
  token_sha256 TEXT PRIMARY KEY,
  person       TEXT NOT NULL,
  roles        TEXT NOT NULL,
  created_by   TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  used_at      BIGINT
);
CREATE TABLE app_sessions (
  token_sha256 TEXT PRIMARY KEY,
  person       TEXT NOT NULL,
  origin       TEXT NOT NULL,
  device       TEXT,
  created_at   BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL
);
CREATE INDEX app_sessions_person ON app_sessions (person);
CREATE TABLE app_push_subscriptions (
  endpoint   TEXT PRIMARY KEY,
  person     TEXT NOT NULL,
  p256dh     TEXT NOT NULL,
  auth       TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX app_push_person ON app_push_subscriptions (person);

CREATE TABLE reg_invitations (
  token_sha256 TEXT PRIMARY KEY,
  person       TEXT NOT NULL,
  created_by   TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  used_at      BIGINT
);
CREATE TABLE reg_passkeys (
  credential_id TEXT PRIMARY KEY,
  person        TEXT NOT NULL,
  public_key    TEXT NOT NULL,
  alg           BIGINT NOT NULL,
  counter       BIGINT NOT NULL,
  transports    TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  revoked_at    BIGINT
);
CREATE INDEX reg_passkeys_person ON reg_passkeys (person);
CREATE TABLE reg_sessions (
  token_sha256 TEXT PRIMARY KEY,
  jti          TEXT NOT NULL,
  person       TEXT NOT NULL,
  origin       TEXT NOT NULL,
  scopes       TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL
);

CREATE TABLE tlog_meta (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE tlog_integrator (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  holder     TEXT    NOT NULL,
  expires_at BIGINT  NOT NULL
);
CREATE TABLE tlog_entries (
  idx       BIGINT PRIMARY KEY,
  leaf_hash BYTEA  NOT NULL,
  body      TEXT   NOT NULL,
  type      TEXT   NOT NULL,
  ts        BIGINT,
  action_id TEXT
);
CREATE INDEX tlog_entries_action_id ON tlog_entries (action_id) WHERE action_id IS NOT NULL;
CREATE INDEX tlog_entries_type_ts ON tlog_entries (type, ts);
CREATE INDEX tlog_entries_ts ON tlog_entries (ts);
CREATE TABLE tlog_nodes (
  id   BIGINT PRIMARY KEY,
  hash BYTEA  NOT NULL
);
CREATE TABLE tlog_checkpoints (
  tree_size   BIGINT PRIMARY KEY,
  root_hash   BYTEA  NOT NULL,
  note        TEXT   NOT NULL,
  signed_at   BIGINT NOT NULL,
  hsm_counter BIGINT
);
CREATE TABLE tlog_terms (
  term TEXT   NOT NULL,
  idx  BIGINT NOT NULL,
  PRIMARY KEY (term, idx)
);
`;
