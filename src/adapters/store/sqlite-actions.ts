import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { normaliseCurrency } from '../../core/action/currency.ts';
import { isDueBy } from '../../core/action/due-by.ts';
import type { ActionStatus } from '../../core/action/status.ts';
import { velocityPrincipalOf } from '../../core/policy/types.ts';
import type { ActionRecord } from '../../gateway/action-record.ts';
import type { ActionReads, ActionsTx, ActionUpdate, VelocityQuery, VelocityTotal } from '../../gateway/ports/actions.ts';
import { prepareAll } from './sqlite-statements.ts';
import { VelocityTotals } from './sqlite-velocity.ts';

/**
 * The action aggregate on SQLite: the record as a JSON document, with the columns the scheduler
 * (status, due_at) and the velocity windows (agent, owner, organisation, actuator, amount,
 * currency, created_at) query. The velocity windows' indexes follow the active policy
 * (sqlite-velocity.ts velocityIndexDdl).
 */
export const ACTIONS_SCHEMA = `
CREATE TABLE IF NOT EXISTS actions (
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
CREATE INDEX IF NOT EXISTS actions_due ON actions (status, due_at);
CREATE TABLE IF NOT EXISTS gateway_alive (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  at BIGINT NOT NULL
);
`;

/**
 * The stored document of each record this process read or wrote, by identity: an update of a record
 * whose document is unchanged in the table need not read and parse it again (updateAction's `held`).
 */
const docs = new WeakMap<ActionRecord, string>();

function fromDoc(doc: string): ActionRecord {
  const record = JSON.parse(doc) as ActionRecord;
  docs.set(record, doc);
  return record;
}

const parse = (row: unknown): ActionRecord | undefined => (row === undefined ? undefined : fromDoc((row as { doc: string }).doc));

const ACTIONS_TX_SQL = {
  get: 'SELECT doc FROM actions WHERE id = ?',
  byKey: 'SELECT doc FROM actions WHERE agent = ? AND idempotency_key = ?',
  insert: `INSERT INTO actions (id, agent, idempotency_key, status, actuator, operation, target, amount, currency, owner, organisation, created_at, updated_at, due_at, doc)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  update: 'UPDATE actions SET status = ?, updated_at = ?, due_at = ?, doc = ? WHERE id = ? AND status = ?',
  updateHeld: 'UPDATE actions SET status = ?, updated_at = ?, due_at = ?, doc = ? WHERE id = ? AND doc = ?',
  alive: 'SELECT at FROM gateway_alive WHERE id = 1',
  markAlive: 'INSERT INTO gateway_alive (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = max(at, excluded.at)',
};

/** On the writer connection, inside the store's group-committed transaction. */
export class SqliteActionsTx implements ActionsTx {
  readonly #s: Record<keyof typeof ACTIONS_TX_SQL, StatementSync>;
  readonly #velocity: VelocityTotals;

  constructor(db: DatabaseSync) {
    this.#s = prepareAll(db, ACTIONS_TX_SQL);
    this.#velocity = new VelocityTotals(db);
  }

  async getAction(id: string): Promise<ActionRecord | undefined> {
    return parse(this.#s.get.get(id));
  }

  async findByIdempotencyKey(agent: string, key: string): Promise<ActionRecord | undefined> {
    return parse(this.#s.byKey.get(agent, key));
  }

  async insertAction(a: ActionRecord): Promise<void> {
    const d = a.descriptor;
    const scope = a.principal ?? velocityPrincipalOf({ id: a.agent });
    const currency = d.currency === undefined ? null : normaliseCurrency(d.currency);
    const doc = JSON.stringify(a);
    this.#s.insert.run(a.id, a.agent, a.idempotencyKey, a.status, d.actuator, d.operation, d.target, d.amount ?? null, currency, scope.owner, scope.organisation, a.createdAt, a.updatedAt, a.dueAt, doc);
    docs.set(a, doc);
  }

  async updateAction(id: string, from: readonly ActionStatus[], patch: Partial<ActionRecord>, held?: ActionRecord): Promise<ActionRecord | undefined> {
    return this.#update({ id, from, patch, ...(held === undefined ? {} : { held }) });
  }

  #update({ id, from, patch, held, dueBy }: ActionUpdate): ActionRecord | undefined {
    // The caller's copy, when the table still holds exactly its document (compared in SQL).
    const heldDoc = held === undefined || held.id !== id || !from.includes(held.status) || !isDueBy(held, dueBy) ? undefined : docs.get(held);
    if (heldDoc !== undefined) {
      const next: ActionRecord = { ...held!, ...patch, id };
      const doc = JSON.stringify(next);
      if (Number(this.#s.updateHeld.run(next.status, next.updatedAt, next.dueAt, doc, id, heldDoc).changes) === 1) {
        docs.set(next, doc);
        return next;
      }
    }
    const current = parse(this.#s.get.get(id));
    if (current === undefined || !from.includes(current.status) || !isDueBy(current, dueBy)) return undefined;
    const next: ActionRecord = { ...current, ...patch, id: current.id };
    const doc = JSON.stringify(next);
    const res = this.#s.update.run(next.status, next.updatedAt, next.dueAt, doc, id, current.status);
    if (Number(res.changes) !== 1) return undefined;
    docs.set(next, doc);
    return next;
  }

  /** One by one: each statement is a function call here, not a round trip. */
  async updateActions(updates: readonly ActionUpdate[]): Promise<(ActionRecord | undefined)[]> {
    const out: (ActionRecord | undefined)[] = [];
    for (const u of updates) out.push(this.#update(u));
    return out;
  }

  async velocityTotals(queries: VelocityQuery[]): Promise<VelocityTotal[]> {
    return queries.map((q) => this.#velocity.total(q));
  }

  /** On the writer connection, inside the group commit's transaction: no other writer runs meanwhile. */
  async markAlive(at: number): Promise<number | undefined> {
    const row = this.#s.alive.get() as { at: number | bigint } | undefined;
    this.#s.markAlive.run(at);
    return row === undefined ? undefined : Number(row.at);
  }
}

/** On the read-only connection: committed data. */
export class SqliteActionReads implements ActionReads {
  readonly #db: DatabaseSync;
  readonly #get: StatementSync;
  readonly #counts: StatementSync;
  readonly #alive: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#get = db.prepare('SELECT doc FROM actions WHERE id = ?');
    this.#counts = db.prepare('SELECT status, COUNT(*) AS n FROM actions GROUP BY status');
    this.#alive = db.prepare('SELECT at FROM gateway_alive WHERE id = 1');
  }

  async lastAlive(): Promise<number | undefined> {
    const row = this.#alive.get() as { at: number | bigint } | undefined;
    return row === undefined ? undefined : Number(row.at);
  }

  async getAction(id: string): Promise<ActionRecord | undefined> {
    return parse(this.#get.get(id));
  }

  async dueActions(statuses: readonly ActionStatus[], now: number, limit: number): Promise<ActionRecord[]> {
    const st = this.#db.prepare(`SELECT doc FROM actions WHERE status IN (${statuses.map(() => '?').join(', ')}) AND due_at IS NOT NULL AND due_at <= ? ORDER BY due_at LIMIT ?`);
    return (st.all(...statuses, now, limit) as { doc: string }[]).map((r) => fromDoc(r.doc));
  }

  async actionsInStatus(statuses: readonly ActionStatus[]): Promise<ActionRecord[]> {
    const st = this.#db.prepare(`SELECT doc FROM actions WHERE status IN (${statuses.map(() => '?').join(', ')}) ORDER BY created_at`);
    return (st.all(...statuses) as { doc: string }[]).map((r) => fromDoc(r.doc));
  }

  async countByStatus(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const row of this.#counts.all() as { status: string; n: number }[]) out[row.status] = Number(row.n);
    return out;
  }
}
