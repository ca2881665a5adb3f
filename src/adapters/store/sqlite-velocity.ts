import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { VelocityQuery, VelocityTotal } from '../../gateway/ports/actions.ts';

/**
 * Velocity scopes wider than one agent (owner, organisation, target, global) need the requester's
 * owner and organisation on each action row. A database from before they existed gets the columns,
 * filled from the principals as registered (the agent itself when it has no owner, its owner when
 * it has no organisation: velocityPrincipalOf), then the indexes the wider windows read.
 */
const VELOCITY_SCOPE_MIGRATION = `
ALTER TABLE actions ADD COLUMN owner TEXT;
ALTER TABLE actions ADD COLUMN organisation TEXT;
UPDATE actions SET owner = COALESCE((SELECT json_extract(p.doc, '$.owner') FROM principals p WHERE p.id = actions.agent), agent);
UPDATE actions SET organisation = COALESCE((SELECT json_extract(p.doc, '$.organisation') FROM principals p WHERE p.id = actions.agent), owner);
`;
const VELOCITY_SCOPE_INDEXES = `
CREATE INDEX IF NOT EXISTS actions_velocity_owner ON actions (owner, actuator, created_at);
CREATE INDEX IF NOT EXISTS actions_velocity_organisation ON actions (organisation, actuator, created_at);
CREATE INDEX IF NOT EXISTS actions_velocity_actuator ON actions (actuator, created_at);
`;

/** Run once the actions and principals tables exist; a no-op on a database that has the columns. */
export function migrateVelocityScopes(db: DatabaseSync): void {
  const columns = db.prepare('PRAGMA table_info(actions)').all() as { name: string }[];
  if (!columns.some((c) => c.name === 'owner')) db.exec(`BEGIN; ${VELOCITY_SCOPE_MIGRATION} COMMIT;`);
  db.exec(VELOCITY_SCOPE_INDEXES);
}

/** Answers velocity queries on the writer connection (inside the accepting transaction), one prepared statement per query shape. */
export class VelocityTotals {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  total(q: VelocityQuery): VelocityTotal {
    // Only the scope's fields narrow the count (core/policy/velocity.ts); every action counts towards
    // max_count, and only those in the query's currency towards the amount.
    const filters = (['agent', 'owner', 'organisation', 'target'] as const).filter((f) => q[f] !== undefined);
    const shape = `${q.operations.length}|${filters.join(',')}|${q.currency !== undefined}`;
    let st = this.#statements.get(shape);
    if (st === undefined) {
      const ops = q.operations.length > 0 ? ` AND operation IN (${q.operations.map(() => '?').join(', ')})` : '';
      const sum = q.currency !== undefined ? 'SUM(CASE WHEN currency = ? THEN amount END)' : 'SUM(amount)';
      st = this.#db.prepare(
        `SELECT COUNT(*) AS n, COALESCE(${sum}, 0) AS total FROM actions
         WHERE actuator = ? AND created_at >= ? AND status <> 'blocked'${ops}` + filters.map((f) => ` AND ${f} = ?`).join(''),
      );
      this.#statements.set(shape, st);
    }
    const args: (string | number)[] = [];
    if (q.currency !== undefined) args.push(q.currency);
    args.push(q.actuator, q.sinceMs, ...q.operations);
    for (const f of filters) args.push(q[f]!);
    const row = st.get(...args) as { n: number; total: number };
    return { ruleId: q.ruleId, count: Number(row.n), amount: Number(row.total) };
  }
}
