import { normaliseCurrency } from '../../../core/action/currency.ts';
import type { ActionStatus } from '../../../core/action/status.ts';
import { isDueBy } from '../../../core/action/due-by.ts';
import { velocityPrincipalOf } from '../../../core/policy/types.ts';
import type { ActionRecord } from '../../../gateway/action-record.ts';
import type { ActionReads, ActionsTx, ActionUpdate, VelocityQuery, VelocityTotal } from '../../../gateway/ports/actions.ts';
import { first, type Sql } from './pg-client.ts';

/**
 * The action aggregate on PostgreSQL (table `actions`, migration 1): the record as a JSON document
 * with the columns the scheduler and the velocity windows query, as on SQLite. Updates are
 * compare-and-set in one statement (`WHERE status = …` or `WHERE doc = …`), atomic whichever
 * process runs them.
 */

/** The stored document of each record this process read or wrote (see sqlite-actions.ts). */
const docs = new WeakMap<ActionRecord, string>();

function fromDoc(doc: string): ActionRecord {
  const record = JSON.parse(doc) as ActionRecord;
  docs.set(record, doc);
  return record;
}

/** The stored document `held` was read as, when it can stand for the record an update from `from` starts at. */
function heldDocOf(id: string, from: readonly ActionStatus[], held: ActionRecord | undefined, dueBy: number | undefined): string | undefined {
  return held === undefined || held.id !== id || !from.includes(held.status) || !isDueBy(held, dueBy) ? undefined : docs.get(held);
}

/**
 * Every held compare-and-set of a batch in one statement: the rows whose document is still the
 * held one move, the others are left as they are (and returned as not moved).
 */
const UPDATE_HELD_MANY = `UPDATE actions AS a SET status = v.status, updated_at = v.updated_at, due_at = v.due_at, doc = v.doc
  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[]) AS v(id, status, updated_at, due_at, doc, held)
  WHERE a.id = v.id AND a.doc = v.held RETURNING a.id`;

const parse = (row: { doc: string } | undefined): ActionRecord | undefined => (row === undefined ? undefined : fromDoc(row.doc));

export class PgActionsTx implements ActionsTx {
  readonly #db: Sql;

  constructor(db: Sql) {
    this.#db = db;
  }

  async getAction(id: string): Promise<ActionRecord | undefined> {
    return parse(first((await this.#db.query<{ doc: string }>('SELECT doc FROM actions WHERE id = $1', [id])).rows));
  }

  async findByIdempotencyKey(agent: string, key: string): Promise<ActionRecord | undefined> {
    return parse(first((await this.#db.query<{ doc: string }>('SELECT doc FROM actions WHERE agent = $1 AND idempotency_key = $2', [agent, key])).rows));
  }

  async insertAction(a: ActionRecord): Promise<void> {
    const d = a.descriptor;
    const scope = a.principal ?? velocityPrincipalOf({ id: a.agent });
    const currency = d.currency === undefined ? null : normaliseCurrency(d.currency);
    const doc = JSON.stringify(a);
    await this.#db.query(
      `INSERT INTO actions (id, agent, idempotency_key, status, actuator, operation, target, amount, currency, owner, organisation, created_at, updated_at, due_at, doc)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [a.id, a.agent, a.idempotencyKey, a.status, d.actuator, d.operation, d.target, d.amount ?? null, currency, scope.owner, scope.organisation, a.createdAt, a.updatedAt, a.dueAt, doc],
    );
    docs.set(a, doc);
  }

  async updateAction(id: string, from: readonly ActionStatus[], patch: Partial<ActionRecord>, held?: ActionRecord): Promise<ActionRecord | undefined> {
    return this.#update({ id, from, patch, ...(held === undefined ? {} : { held }) });
  }

  async #update({ id, from, patch, held, dueBy }: ActionUpdate): Promise<ActionRecord | undefined> {
    const update = 'UPDATE actions SET status = $1, updated_at = $2, due_at = $3, doc = $4 WHERE id = $5';
    const heldDoc = heldDocOf(id, from, held, dueBy);
    if (heldDoc !== undefined) {
      const next: ActionRecord = { ...held!, ...patch, id };
      const doc = JSON.stringify(next);
      if ((await this.#db.query(`${update} AND doc = $6`, [next.status, next.updatedAt, next.dueAt, doc, id, heldDoc])).rowCount === 1) {
        docs.set(next, doc);
        return next;
      }
    }
    const current = await this.getAction(id);
    if (current === undefined || !from.includes(current.status) || !isDueBy(current, dueBy)) return undefined;
    const next: ActionRecord = { ...current, ...patch, id: current.id };
    const doc = JSON.stringify(next);
    // Compared on the whole document, not only the status: another process may have changed the
    // record between the read and this write without moving its status.
    const res = await this.#db.query(`${update} AND doc = $6`, [next.status, next.updatedAt, next.dueAt, doc, id, docs.get(current)]);
    if (res.rowCount !== 1) return undefined;
    docs.set(next, doc);
    return next;
  }

  async updateActions(updates: readonly ActionUpdate[]): Promise<(ActionRecord | undefined)[]> {
    const out: (ActionRecord | undefined)[] = updates.map(() => undefined);
    const done = new Set<number>();
    // One statement for the held ones (distinct ids only: one UPDATE changes a row once).
    const bulk = new Set(updates.map((u) => u.id)).size === updates.length
      ? updates.flatMap((u, i) => {
        const heldDoc = heldDocOf(u.id, u.from, u.held, u.dueBy);
        if (heldDoc === undefined) return [];
        const next: ActionRecord = { ...u.held!, ...u.patch, id: u.id };
        return [{ i, next, doc: JSON.stringify(next), heldDoc }];
      })
      : [];
    if (bulk.length > 1) {
      const res = await this.#db.query<{ id: string }>(UPDATE_HELD_MANY, [
        bulk.map((b) => b.next.id), bulk.map((b) => b.next.status), bulk.map((b) => b.next.updatedAt), bulk.map((b) => b.next.dueAt), bulk.map((b) => b.doc), bulk.map((b) => b.heldDoc),
      ]);
      const moved = new Set(res.rows.map((r) => r.id));
      for (const b of bulk) {
        if (!moved.has(b.next.id)) continue;
        docs.set(b.next, b.doc);
        out[b.i] = b.next;
        done.add(b.i);
      }
    }
    // The rest, and those another writer changed since they were read, one by one from the stored record.
    const tried = new Set(bulk.length > 1 ? bulk.map((b) => b.i) : []);
    for (const [i, u] of updates.entries()) {
      if (done.has(i)) continue;
      const { held, ...rest } = u;
      out[i] = await this.#update(tried.has(i) || held === undefined ? rest : { ...rest, held });
    }
    return out;
  }

  /** Every write transaction of every gateway holds the writer lock (pg-store.ts): another gateway's call waits for this one's commit. */
  async markAlive(at: number): Promise<number | undefined> {
    const row = first((await this.#db.query<{ at: string }>('SELECT at FROM gateway_alive WHERE id = 1')).rows);
    await this.#db.query('INSERT INTO gateway_alive (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = GREATEST(gateway_alive.at, excluded.at)', [at]);
    return row === undefined ? undefined : Number(row.at);
  }

  async velocityTotals(queries: VelocityQuery[]): Promise<VelocityTotal[]> {
    const out: VelocityTotal[] = [];
    for (const q of queries) out.push(await velocityTotal(this.#db, q));
    return out;
  }
}

/** Count and sum of earlier accepted actions in one velocity window (see sqlite-velocity.ts). */
async function velocityTotal(db: Sql, q: VelocityQuery): Promise<VelocityTotal> {
  const args: unknown[] = [];
  const p = (v: unknown): string => (args.push(v), `$${args.length}`);
  const sum = q.currency !== undefined ? `SUM(CASE WHEN currency = ${p(q.currency)} THEN amount END)` : 'SUM(amount)';
  let sql = `SELECT COUNT(*) AS n, COALESCE(${sum}, 0) AS total FROM actions WHERE actuator = ${p(q.actuator)} AND created_at >= ${p(q.sinceMs)} AND status <> 'blocked'`;
  if (q.operations.length > 0) sql += ` AND operation = ANY(${p(q.operations)})`;
  for (const f of ['agent', 'owner', 'organisation', 'target'] as const) if (q[f] !== undefined) sql += ` AND ${f} = ${p(q[f])}`;
  const row = (await db.query<{ n: number; total: number }>(sql, args)).rows[0]!;
  return { ruleId: q.ruleId, count: Number(row.n), amount: Number(row.total) };
}

/**
 * Due actions, each status read in `actions_due` order and stopping at the limit. The plain
 * `status = ANY($1) … ORDER BY due_at` cannot take the index's order for several statuses, and
 * with statistics that lag the table (100,000 cooling actions, half of them released since the
 * last ANALYZE) PostgreSQL chose a full scan and a sort: 3 ms a batch at the start, 40 ms by the end.
 */
export const DUE_ACTIONS_SQL = `SELECT a.doc FROM unnest($1::text[]) AS s(status)
  CROSS JOIN LATERAL (SELECT doc, due_at FROM actions WHERE status = s.status AND due_at <= $2 ORDER BY due_at LIMIT $3) AS a
  ORDER BY a.due_at LIMIT $3`;

/** Committed reads, on the pool. */
export class PgActionReads implements ActionReads {
  readonly #db: Sql;

  constructor(db: Sql) {
    this.#db = db;
  }

  async getAction(id: string): Promise<ActionRecord | undefined> {
    return parse(first((await this.#db.query<{ doc: string }>('SELECT doc FROM actions WHERE id = $1', [id])).rows));
  }

  async dueActions(statuses: readonly ActionStatus[], now: number, limit: number): Promise<ActionRecord[]> {
    const rows = (await this.#db.query<{ doc: string }>(DUE_ACTIONS_SQL, [statuses, now, limit])).rows;
    return rows.map((r) => fromDoc(r.doc));
  }

  async actionsInStatus(statuses: readonly ActionStatus[]): Promise<ActionRecord[]> {
    const rows = (await this.#db.query<{ doc: string }>('SELECT doc FROM actions WHERE status = ANY($1) ORDER BY created_at', [statuses])).rows;
    return rows.map((r) => fromDoc(r.doc));
  }

  async countByStatus(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const row of (await this.#db.query<{ status: string; n: number }>('SELECT status, COUNT(*) AS n FROM actions GROUP BY status')).rows) out[row.status] = Number(row.n);
    return out;
  }

  async lastAlive(): Promise<number | undefined> {
    const row = first((await this.#db.query<{ at: string }>('SELECT at FROM gateway_alive WHERE id = 1')).rows);
    return row === undefined ? undefined : Number(row.at);
  }
}
