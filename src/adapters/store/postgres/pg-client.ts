import { createHash } from 'node:crypto';
import pg from 'pg';
import { FirewallError } from '../../../core/errors.ts';

/**
 * What every aggregate's statements run on: a pooled connection for committed reads, or the
 * store's writer connection inside its batch transaction (pg-store.ts).
 */
export interface Sql {
  query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

export type Row = Record<string, unknown>;

/**
 * BIGINT (timestamps in ms, log indexes, node ids < 2^53) as numbers rather than pg's default
 * strings; every other type as pg parses it (bytea as Buffer, float8 as number).
 */
const INT8_OID = 20;
export const PG_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * Errors of the statement itself (bad data, a violated constraint, bad SQL: SQLSTATE classes 22,
 * 23, 42) are the caller's, as SQLite's would be; anything else (connection lost, server shutting
 * down, out of resources) means the store cannot answer now: STORE_UNAVAILABLE, 503.
 */
export function storeError(e: unknown): unknown {
  if (e instanceof FirewallError) return e;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && /^(22|23|42)/.test(code)) return e;
  return new FirewallError('STORE_UNAVAILABLE', 'the PostgreSQL store cannot be reached', { status: 503, cause: e });
}

const names = new Map<string, string>();

/**
 * Statements whose rows are `*` are never prepared: a column added by a newer gateway's migration
 * while this one runs (a rolling upgrade) would make PostgreSQL refuse the prepared statement
 * ("cached plan must not change result type") on every connection that holds it. `INSERT … SELECT *
 * FROM unnest(…)` returns no rows and is safe.
 */
const ROWS_OF_STAR = /\bRETURNING \*|\bSELECT \* FROM (?!unnest\()/i;

/**
 * A parameterised statement as a named prepared statement: each connection parses and plans it
 * once, then only binds and executes (node-postgres prepares a name on a connection's first use).
 * The name is a hash of the text, so two texts never share one. Statements without parameters
 * stay on the simple protocol (it allows several statements in one round trip); those returning
 * `*` stay unnamed (ROWS_OF_STAR).
 */
export function prepared(text: string, params: readonly unknown[] | undefined): pg.QueryConfig {
  if (params === undefined || params.length === 0 || ROWS_OF_STAR.test(text)) return { text, ...(params === undefined ? {} : { values: params as unknown[] }) };
  let name = names.get(text);
  if (name === undefined) {
    name = `af_${createHash('sha256').update(text).digest('base64url').slice(0, 22)}`;
    names.set(text, name);
  }
  return { name, text, values: params as unknown[] };
}

/** `sql` with its errors classified by storeError. */
export function classified(sql: Sql): Sql {
  return {
    async query<R extends Row>(text: string, params?: readonly unknown[]) {
      try {
        return await sql.query<R>(text, params);
      } catch (e) {
        throw storeError(e);
      }
    },
  };
}

/** The first row, or undefined. */
export const first = <R>(rows: R[]): R | undefined => rows[0];
