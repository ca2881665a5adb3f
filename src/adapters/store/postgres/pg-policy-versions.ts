import { FirewallError } from '../../../core/errors.ts';
import type { NewPolicyVersion, PolicyActivationRow, PolicyProposal, PolicyVersionReads, PolicyVersionRow, PolicyVersionsTx } from '../../../gateway/ports/policy-versions.ts';
import { activationOf, proposalOf, versionOf } from '../policy-version-rows.ts';
import { first, type Sql } from './pg-client.ts';

/** Policy versions on PostgreSQL (tables policy_*, migration 1), as on SQLite (sqlite-policy-versions.ts). */

const ACTIVE = 'SELECT seq, hash, at, proposal_id FROM policy_activations ORDER BY seq DESC LIMIT 1';
const VERSION = 'SELECT * FROM policy_versions WHERE hash = $1';
const PROPOSAL = 'SELECT doc FROM policy_proposals WHERE id = $1';

export class PgPolicyVersionsTx implements PolicyVersionsTx {
  readonly #db: Sql;

  constructor(db: Sql) {
    this.#db = db;
  }

  async putVersion(v: NewPolicyVersion): Promise<void> {
    await this.#db.query(
      `INSERT INTO policy_versions (hash, name, document, source, proposed_by, proposer_kind, proposed_at, status, activated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'proposed', NULL) ON CONFLICT DO NOTHING`,
      [v.hash, v.name, JSON.stringify(v.document), v.source, v.proposedBy, v.proposerKind, v.proposedAt],
    );
  }

  async activate(hash: string, at: number, proposalId: string | null): Promise<number> {
    if ((await this.#db.query(VERSION, [hash])).rows.length === 0) throw new FirewallError('POLICY_VERSION_UNKNOWN', `no stored policy version ${hash}`, { status: 500 });
    await this.#db.query(`UPDATE policy_versions SET status = 'retired' WHERE status = 'active' AND hash <> $1`, [hash]);
    await this.#db.query(`UPDATE policy_versions SET status = 'active', activated_at = $1 WHERE hash = $2`, [at, hash]);
    const r = await this.#db.query<{ seq: number }>('INSERT INTO policy_activations (hash, at, proposal_id) VALUES ($1, $2, $3) RETURNING seq', [hash, at, proposalId]);
    return Number(r.rows[0]!.seq);
  }

  async active(): Promise<PolicyActivationRow | undefined> {
    return activationOf(first((await this.#db.query(ACTIVE)).rows));
  }

  async version(hash: string): Promise<PolicyVersionRow | undefined> {
    return versionOf(first((await this.#db.query(VERSION, [hash])).rows));
  }

  async putProposal(p: PolicyProposal): Promise<void> {
    await this.#db.query(
      'INSERT INTO policy_proposals (id, action_id, created_at, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET action_id = excluded.action_id, doc = excluded.doc',
      [p.id, p.actionId ?? null, p.createdAt, JSON.stringify(p)],
    );
  }

  async proposal(id: string): Promise<PolicyProposal | undefined> {
    return proposalOf(first((await this.#db.query<{ doc: string }>(PROPOSAL, [id])).rows));
  }

  async proposalByAction(actionId: string): Promise<PolicyProposal | undefined> {
    return proposalOf(first((await this.#db.query<{ doc: string }>('SELECT doc FROM policy_proposals WHERE action_id = $1', [actionId])).rows));
  }
}

export class PgPolicyVersionReads implements PolicyVersionReads {
  readonly #db: Sql;

  constructor(db: Sql) {
    this.#db = db;
  }

  async active(): Promise<PolicyActivationRow | undefined> {
    return activationOf(first((await this.#db.query(ACTIVE)).rows));
  }

  async version(hash: string): Promise<PolicyVersionRow | undefined> {
    return versionOf(first((await this.#db.query(VERSION, [hash])).rows));
  }

  async versions(): Promise<PolicyVersionRow[]> {
    return (await this.#db.query('SELECT * FROM policy_versions ORDER BY proposed_at, hash COLLATE "C"')).rows.map((r) => versionOf(r)!);
  }

  async activations(): Promise<PolicyActivationRow[]> {
    return (await this.#db.query('SELECT seq, hash, at, proposal_id FROM policy_activations ORDER BY seq')).rows.map((r) => activationOf(r)!);
  }

  async proposal(id: string): Promise<PolicyProposal | undefined> {
    return proposalOf(first((await this.#db.query<{ doc: string }>(PROPOSAL, [id])).rows));
  }

  async proposals(limit: number): Promise<PolicyProposal[]> {
    return (await this.#db.query<{ doc: string }>('SELECT doc FROM policy_proposals ORDER BY created_at DESC, id COLLATE "C" LIMIT $1', [limit])).rows.map((r) => JSON.parse(r.doc) as PolicyProposal);
  }
}
