import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { PrincipalReads, PrincipalRecord, PrincipalsTx } from '../../gateway/ports/principals.ts';

/** Principals on SQLite: the record as a JSON document by id. */
export const PRINCIPALS_SCHEMA = `
CREATE TABLE IF NOT EXISTS principals (
  id TEXT PRIMARY KEY,
  doc TEXT NOT NULL
);
`;

const parse = (row: unknown): PrincipalRecord | undefined => (row === undefined ? undefined : (JSON.parse((row as { doc: string }).doc) as PrincipalRecord));

export class SqlitePrincipalsTx implements PrincipalsTx {
  readonly #get: StatementSync;
  readonly #put: StatementSync;

  constructor(db: DatabaseSync) {
    this.#get = db.prepare('SELECT doc FROM principals WHERE id = ?');
    this.#put = db.prepare('INSERT INTO principals (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc');
  }

  async get(id: string): Promise<PrincipalRecord | undefined> {
    return parse(this.#get.get(id));
  }

  async put(p: PrincipalRecord): Promise<void> {
    this.#put.run(p.id, JSON.stringify(p));
  }
}

export class SqlitePrincipalReads implements PrincipalReads {
  readonly #get: StatementSync;

  constructor(db: DatabaseSync) {
    this.#get = db.prepare('SELECT doc FROM principals WHERE id = ?');
  }

  async get(id: string): Promise<PrincipalRecord | undefined> {
    return parse(this.#get.get(id));
  }
}
