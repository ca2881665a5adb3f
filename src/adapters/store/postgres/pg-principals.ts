import type { PrincipalReads, PrincipalRecord, PrincipalsTx } from '../../../gateway/ports/principals.ts';
import { first, type Sql } from './pg-client.ts';

/** Principals on PostgreSQL: the record as a JSON document by id. */
async function get(db: Sql, id: string): Promise<PrincipalRecord | undefined> {
  const row = first((await db.query<{ doc: string }>('SELECT doc FROM principals WHERE id = $1', [id])).rows);
  return row === undefined ? undefined : (JSON.parse(row.doc) as PrincipalRecord);
}

export class PgPrincipalsTx implements PrincipalsTx {
  readonly #db: Sql;

  constructor(db: Sql) {
    this.#db = db;
  }

  get(id: string): Promise<PrincipalRecord | undefined> {
    return get(this.#db, id);
  }

  async put(p: PrincipalRecord): Promise<void> {
    await this.#db.query('INSERT INTO principals (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc', [p.id, JSON.stringify(p)]);
  }
}

export class PgPrincipalReads implements PrincipalReads {
  readonly #db: Sql;

  constructor(db: Sql) {
    this.#db = db;
  }

  get(id: string): Promise<PrincipalRecord | undefined> {
    return get(this.#db, id);
  }
}
