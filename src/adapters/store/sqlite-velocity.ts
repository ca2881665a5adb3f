import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { VelocityScope } from '../../core/policy/types.ts';
import type { VelocityQuery, VelocityTotal } from '../../gateway/ports/actions.ts';

/**
 * Velocity scopes wider than one agent (owner, organisation, target, global) need the requester's
 * owner and organisation on each action row. A database from before they existed gets the columns,
 * filled from the principals as registered (the agent itself when it has no owner, its owner when
 * it has no organisation: velocityPrincipalOf).
 */
const VELOCITY_SCOPE_MIGRATION = `
ALTER TABLE actions ADD COLUMN owner TEXT;
ALTER TABLE actions ADD COLUMN organisation TEXT;
UPDATE actions SET owner = COALESCE((SELECT json_extract(p.doc, '$.owner') FROM principals p WHERE p.id = actions.agent), agent);
UPDATE actions SET organisation = COALESCE((SELECT json_extract(p.doc, '$.organisation') FROM principals p WHERE p.id = actions.agent), owner);
`;

/**
 * The index each scope's window reads (the query's equality columns, then the time range): agent
 * windows (with or without a target) by agent, target and global windows by actuator alone.
 */
const SCOPE_INDEX: Record<VelocityScope, string> = {
  agent: 'actions_velocity',
  agent_target: 'actions_velocity',
  owner: 'actions_velocity_owner',
  organisation: 'actions_velocity_organisation',
  target: 'actions_velocity_actuator',
  global: 'actions_velocity_actuator',
};
const INDEX_COLUMNS: Record<string, string> = {
  actions_velocity: '(agent, actuator, created_at)',
  actions_velocity_owner: '(owner, actuator, created_at)',
  actions_velocity_organisation: '(organisation, actuator, created_at)',
  actions_velocity_actuator: '(actuator, created_at)',
};

/** Run once the actions and principals tables exist; a no-op on a database that has the columns. */
export function migrateVelocityScopes(db: DatabaseSync): void {
  const columns = db.prepare('PRAGMA table_info(actions)').all() as { name: string }[];
  if (!columns.some((c) => c.name === 'owner')) db.exec(`BEGIN; ${VELOCITY_SCOPE_MIGRATION} COMMIT;`);
}

/**
 * The DDL that leaves exactly the indexes `scopes` read: each costs a B-tree insert on every
 * accepted action and a page in every group commit, so the windows a policy does not count get
 * none. (Dropped, not kept, when a policy stops counting them: a later policy that counts them
 * again builds the index at its activation.)
 */
export function velocityIndexDdl(scopes: readonly VelocityScope[]): string {
  const wanted = new Set(scopes.map((s) => SCOPE_INDEX[s]));
  return Object.entries(INDEX_COLUMNS)
    .map(([name, cols]) => (wanted.has(name) ? `CREATE INDEX IF NOT EXISTS ${name} ON actions ${cols};` : `DROP INDEX IF EXISTS ${name};`))
    .join('\n');
}

const FILTERS = ['agent', 'owner', 'organisation', 'target'] as const;

/**
 * The statement that counts one window. Only the scope's fields narrow the count
 * (core/policy/velocity.ts); every action counts towards max_count, and only those in the query's
 * currency towards the amount. Its parameters are `velocityArgs(q)`.
 */
export function velocityWindowSql(q: VelocityQuery): string {
  const ops = q.operations.length > 0 ? ` AND operation IN (${q.operations.map(() => '?').join(', ')})` : '';
  const sum = q.currency !== undefined ? 'SUM(CASE WHEN currency = ? THEN amount END)' : 'SUM(amount)';
  return (
    `SELECT COUNT(*) AS n, COALESCE(${sum}, 0) AS total FROM actions
     WHERE actuator = ? AND created_at >= ? AND status <> 'blocked'${ops}` + FILTERS.filter((f) => q[f] !== undefined).map((f) => ` AND ${f} = ?`).join('')
  );
}

export function velocityArgs(q: VelocityQuery): (string | number)[] {
  const args: (string | number)[] = [];
  if (q.currency !== undefined) args.push(q.currency);
  args.push(q.actuator, q.sinceMs, ...q.operations);
  for (const f of FILTERS) if (q[f] !== undefined) args.push(q[f]);
  return args;
}

/** Answers velocity queries on the writer connection (inside the accepting transaction), one prepared statement per query shape. */
export class VelocityTotals {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  total(q: VelocityQuery): VelocityTotal {
    const shape = `${q.operations.length}|${FILTERS.filter((f) => q[f] !== undefined).join(',')}|${q.currency !== undefined}`;
    let st = this.#statements.get(shape);
    if (st === undefined) {
      st = this.#db.prepare(velocityWindowSql(q));
      this.#statements.set(shape, st);
    }
    const row = st.get(...velocityArgs(q)) as { n: number; total: number };
    return { ruleId: q.ruleId, count: Number(row.n), amount: Number(row.total) };
  }
}
