import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { FirewallError } from '../../core/errors.ts';
import type { Store } from '../../gateway/ports/store.ts';

/**
 * Every policy the gateway has seen, and every proposal to change it (tables policy_*, in the
 * gateway's SQLite database), so a proposal, the action that carries a relaxation, the activation
 * and their log entries commit in one transaction.
 *
 * Writes (`tx…` methods) go through the store's writer connection and MUST run inside a `store.tx`
 * callback: they then join that callback's savepoint and commit or roll back with it. Reads outside
 * a transaction use a separate read-only connection, which in WAL mode sees committed data only.
 */

export type ProposerKind = 'person' | 'system' | 'file';
export type VersionStatus = 'proposed' | 'active' | 'retired';

export interface PolicyVersionRow {
  hash: string;
  name: string;
  /** The normalised PolicyDocument (what the hash covers). */
  document: unknown;
  /** The YAML text as first proposed. */
  source: string;
  proposedBy: string;
  proposerKind: ProposerKind;
  proposedAt: number;
  status: VersionStatus;
  activatedAt: number | null;
}

export interface PolicyActivationRow {
  seq: number;
  hash: string;
  at: number;
  proposalId: string | null;
}

const SCHEMA = `
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

function versionOf(r: Record<string, unknown> | undefined): PolicyVersionRow | undefined {
  if (r === undefined) return undefined;
  return {
    hash: String(r['hash']),
    name: String(r['name']),
    document: JSON.parse(String(r['document'])) as unknown,
    source: String(r['source']),
    proposedBy: String(r['proposed_by']),
    proposerKind: String(r['proposer_kind']) as ProposerKind,
    proposedAt: Number(r['proposed_at']),
    status: String(r['status']) as VersionStatus,
    activatedAt: r['activated_at'] === null ? null : Number(r['activated_at']),
  };
}

function activationOf(r: Record<string, unknown> | undefined): PolicyActivationRow | undefined {
  if (r === undefined) return undefined;
  return { seq: Number(r['seq']), hash: String(r['hash']), at: Number(r['at']), proposalId: r['proposal_id'] === null ? null : String(r['proposal_id']) };
}

export class PolicyVersionStore<P extends { id: string; actionId?: string; createdAt: number } = { id: string; actionId?: string; createdAt: number }> {
  readonly #w: Record<string, StatementSync>;
  readonly #r: Record<string, StatementSync>;
  readonly #reader: DatabaseSync;
  readonly #ownReader: boolean;

  constructor(store: Store) {
    const db = (store as { db?: unknown }).db;
    if (!(db instanceof DatabaseSync)) {
      throw new FirewallError('STORE_UNSUPPORTED', 'policy governance needs the SQLite store (its versions commit with the log in one transaction)', { status: 500 });
    }
    db.exec(SCHEMA);
    const path = db.location();
    this.#ownReader = path !== null;
    this.#reader = path === null ? db : new DatabaseSync(path, { readOnly: true });
    const w = (sql: string) => db.prepare(sql);
    const r = (sql: string) => this.#reader.prepare(sql);
    this.#w = {
      insertVersion: w(`INSERT OR IGNORE INTO policy_versions (hash, name, document, source, proposed_by, proposer_kind, proposed_at, status, activated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, 'proposed', NULL)`),
      retire: w(`UPDATE policy_versions SET status = 'retired' WHERE status = 'active' AND hash <> ?`),
      activate: w(`UPDATE policy_versions SET status = 'active', activated_at = ? WHERE hash = ?`),
      insertActivation: w('INSERT INTO policy_activations (hash, at, proposal_id) VALUES (?, ?, ?)'),
      active: w('SELECT seq, hash, at, proposal_id FROM policy_activations ORDER BY seq DESC LIMIT 1'),
      version: w('SELECT * FROM policy_versions WHERE hash = ?'),
      putProposal: w('INSERT INTO policy_proposals (id, action_id, created_at, doc) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET action_id = excluded.action_id, doc = excluded.doc'),
      proposal: w('SELECT doc FROM policy_proposals WHERE id = ?'),
      proposalByAction: w('SELECT doc FROM policy_proposals WHERE action_id = ?'),
    };
    this.#r = {
      active: r('SELECT seq, hash, at, proposal_id FROM policy_activations ORDER BY seq DESC LIMIT 1'),
      version: r('SELECT * FROM policy_versions WHERE hash = ?'),
      versions: r('SELECT * FROM policy_versions ORDER BY proposed_at, hash'),
      activations: r('SELECT seq, hash, at, proposal_id FROM policy_activations ORDER BY seq'),
      proposal: r('SELECT doc FROM policy_proposals WHERE id = ?'),
      proposals: r('SELECT doc FROM policy_proposals ORDER BY created_at DESC, id LIMIT ?'),
    };
  }

  // --- inside store.tx ---------------------------------------------------------------------------

  /** Records a version the first time its hash is seen; later proposals of the same text keep the first record. */
  txPutVersion(v: { hash: string; name: string; document: unknown; source: string; proposedBy: string; proposerKind: ProposerKind; proposedAt: number }): void {
    this.#w['insertVersion']!.run(v.hash, v.name, JSON.stringify(v.document), v.source, v.proposedBy, v.proposerKind, v.proposedAt);
  }

  /** Makes `hash` the active version; returns the activation's sequence number. */
  txActivate(hash: string, at: number, proposalId: string | null): number {
    if (this.#w['version']!.get(hash) === undefined) throw new FirewallError('POLICY_VERSION_UNKNOWN', `no stored policy version ${hash}`, { status: 500 });
    this.#w['retire']!.run(hash);
    this.#w['activate']!.run(at, hash);
    return Number(this.#w['insertActivation']!.run(hash, at, proposalId).lastInsertRowid);
  }

  txActive(): PolicyActivationRow | undefined {
    return activationOf(this.#w['active']!.get() as Record<string, unknown> | undefined);
  }

  txVersion(hash: string): PolicyVersionRow | undefined {
    return versionOf(this.#w['version']!.get(hash) as Record<string, unknown> | undefined);
  }

  txPutProposal(p: P): void {
    this.#w['putProposal']!.run(p.id, p.actionId ?? null, p.createdAt, JSON.stringify(p));
  }

  txProposal(id: string): P | undefined {
    const row = this.#w['proposal']!.get(id) as { doc: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.doc) as P);
  }

  txProposalByAction(actionId: string): P | undefined {
    const row = this.#w['proposalByAction']!.get(actionId) as { doc: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.doc) as P);
  }

  // --- committed reads -----------------------------------------------------------------------------

  active(): PolicyActivationRow | undefined {
    return activationOf(this.#r['active']!.get() as Record<string, unknown> | undefined);
  }

  version(hash: string): PolicyVersionRow | undefined {
    return versionOf(this.#r['version']!.get(hash) as Record<string, unknown> | undefined);
  }

  versions(): PolicyVersionRow[] {
    return (this.#r['versions']!.all() as Record<string, unknown>[]).map((r) => versionOf(r)!);
  }

  activations(): PolicyActivationRow[] {
    return (this.#r['activations']!.all() as Record<string, unknown>[]).map((r) => activationOf(r)!);
  }

  proposal(id: string): P | undefined {
    const row = this.#r['proposal']!.get(id) as { doc: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.doc) as P);
  }

  proposals(limit: number): P[] {
    return (this.#r['proposals']!.all(limit) as { doc: string }[]).map((r) => JSON.parse(r.doc) as P);
  }

  close(): void {
    if (!this.#ownReader) return;
    try {
      this.#reader.close();
    } catch {
      /* already closed */
    }
  }
}
