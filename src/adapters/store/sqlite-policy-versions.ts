import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { prepareAll } from './sqlite-statements.ts';
import { activationOf, proposalOf, versionOf } from './policy-version-rows.ts';
import { FirewallError } from '../../core/errors.ts';
import type {
  NewPolicyVersion,
  PolicyActivationRow,
  PolicyProposal,
  PolicyVersionReads,
  PolicyVersionRow,
  PolicyVersionsTx,
} from '../../gateway/ports/policy-versions.ts';

/**
 * Policy versions on SQLite (tables policy_*). Writes run on the store's writer connection inside
 * its group-committed transaction; committed reads on its read-only connection.
 */
export const POLICY_VERSION_SCHEMA = `
CREATE TABLE IF NOT EXISTS policy_versions (
  hash          TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  document      TEXT NOT NULL,
  source        TEXT NOT NULL,
  proposed_by   TEXT NOT NULL,
  proposer_kind TEXT NOT NULL,
  proposed_at   INTEGER NOT NULL,
  status        TEXT NOT NULL,
  activated_at  INTEGER
);
CREATE TABLE IF NOT EXISTS policy_activations (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  hash        TEXT NOT NULL,
  at          INTEGER NOT NULL,
  proposal_id TEXT
);
CREATE TABLE IF NOT EXISTS policy_proposals (
  id         TEXT PRIMARY KEY,
  action_id  TEXT UNIQUE,
  created_at INTEGER NOT NULL,
  doc        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS policy_proposals_created ON policy_proposals (created_at);
`;

const POLICY_VERSIONS_TX_SQL = {
  insertVersion: `INSERT OR IGNORE INTO policy_versions (hash, name, document, source, proposed_by, proposer_kind, proposed_at, status, activated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 'proposed', NULL)`,
  retire: `UPDATE policy_versions SET status = 'retired' WHERE status = 'active' AND hash <> ?`,
  activate: `UPDATE policy_versions SET status = 'active', activated_at = ? WHERE hash = ?`,
  insertActivation: 'INSERT INTO policy_activations (hash, at, proposal_id) VALUES (?, ?, ?)',
  active: 'SELECT seq, hash, at, proposal_id FROM policy_activations ORDER BY seq DESC LIMIT 1',
  version: 'SELECT * FROM policy_versions WHERE hash = ?',
  putProposal: 'INSERT INTO policy_proposals (id, action_id, created_at, doc) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET action_id = excluded.action_id, doc = excluded.doc',
  proposal: 'SELECT doc FROM policy_proposals WHERE id = ?',
  proposalByAction: 'SELECT doc FROM policy_proposals WHERE action_id = ?',
};

export class SqlitePolicyVersionsTx implements PolicyVersionsTx {
  readonly #s: Record<keyof typeof POLICY_VERSIONS_TX_SQL, StatementSync>;

  constructor(db: DatabaseSync) {
    this.#s = prepareAll(db, POLICY_VERSIONS_TX_SQL);
  }

  async putVersion(v: NewPolicyVersion): Promise<void> {
    this.#s.insertVersion.run(v.hash, v.name, JSON.stringify(v.document), v.source, v.proposedBy, v.proposerKind, v.proposedAt);
  }

  async activate(hash: string, at: number, proposalId: string | null): Promise<number> {
    if (this.#s.version.get(hash) === undefined) throw new FirewallError('POLICY_VERSION_UNKNOWN', `no stored policy version ${hash}`, { status: 500 });
    this.#s.retire.run(hash);
    this.#s.activate.run(at, hash);
    return Number(this.#s.insertActivation.run(hash, at, proposalId).lastInsertRowid);
  }

  async active(): Promise<PolicyActivationRow | undefined> {
    return activationOf(this.#s.active.get() as Record<string, unknown> | undefined);
  }

  async version(hash: string): Promise<PolicyVersionRow | undefined> {
    return versionOf(this.#s.version.get(hash) as Record<string, unknown> | undefined);
  }

  async putProposal(p: PolicyProposal): Promise<void> {
    this.#s.putProposal.run(p.id, p.actionId ?? null, p.createdAt, JSON.stringify(p));
  }

  async proposal(id: string): Promise<PolicyProposal | undefined> {
    return proposalOf(this.#s.proposal.get(id));
  }

  async proposalByAction(actionId: string): Promise<PolicyProposal | undefined> {
    return proposalOf(this.#s.proposalByAction.get(actionId));
  }
}

const POLICY_VERSION_READS_SQL = {
  active: 'SELECT seq, hash, at, proposal_id FROM policy_activations ORDER BY seq DESC LIMIT 1',
  version: 'SELECT * FROM policy_versions WHERE hash = ?',
  versions: 'SELECT * FROM policy_versions ORDER BY proposed_at, hash',
  activations: 'SELECT seq, hash, at, proposal_id FROM policy_activations ORDER BY seq',
  proposal: 'SELECT doc FROM policy_proposals WHERE id = ?',
  proposals: 'SELECT doc FROM policy_proposals ORDER BY created_at DESC, id LIMIT ?',
};

export class SqlitePolicyVersionReads implements PolicyVersionReads {
  readonly #s: Record<keyof typeof POLICY_VERSION_READS_SQL, StatementSync>;

  constructor(db: DatabaseSync) {
    this.#s = prepareAll(db, POLICY_VERSION_READS_SQL);
  }

  async active(): Promise<PolicyActivationRow | undefined> {
    return activationOf(this.#s.active.get() as Record<string, unknown> | undefined);
  }

  async version(hash: string): Promise<PolicyVersionRow | undefined> {
    return versionOf(this.#s.version.get(hash) as Record<string, unknown> | undefined);
  }

  async versions(): Promise<PolicyVersionRow[]> {
    return (this.#s.versions.all() as Record<string, unknown>[]).map((r) => versionOf(r)!);
  }

  async activations(): Promise<PolicyActivationRow[]> {
    return (this.#s.activations.all() as Record<string, unknown>[]).map((r) => activationOf(r)!);
  }

  async proposal(id: string): Promise<PolicyProposal | undefined> {
    return proposalOf(this.#s.proposal.get(id));
  }

  async proposals(limit: number): Promise<PolicyProposal[]> {
    return (this.#s.proposals.all(limit) as { doc: string }[]).map((r) => JSON.parse(r.doc) as PolicyProposal);
  }
}
