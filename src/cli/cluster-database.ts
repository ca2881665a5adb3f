import pg from 'pg';
import { FirewallError } from '../core/errors.ts';

/**
 * Creates the database DATABASE_URL names when it does not exist yet (connecting to the server's
 * `postgres` database to do it), so `npm run cluster` needs nothing prepared. The gateway's own
 * migrations then run at each replica's start, under their advisory lock.
 */
export async function ensureDatabase(url: string): Promise<'created' | 'exists'> {
  let target: URL;
  try {
    target = new URL(url);
  } catch (cause) {
    throw new FirewallError('CONFIG_INVALID', 'environment variable DATABASE_URL: not a URL', { cause, detail: { variable: 'DATABASE_URL' } });
  }
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (name === '') throw new FirewallError('CONFIG_INVALID', 'environment variable DATABASE_URL: names no database (postgres://host:port/NAME)', { detail: { variable: 'DATABASE_URL' } });
  const admin = new URL(target);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (cause) {
    throw new FirewallError('STORE_UNAVAILABLE', `environment variable DATABASE_URL: cannot reach PostgreSQL at ${target.host}: ${(cause as Error).message}`, { cause, detail: { variable: 'DATABASE_URL' } });
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount !== 0) return 'exists';
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    return 'created';
  } finally {
    await client.end();
  }
}
