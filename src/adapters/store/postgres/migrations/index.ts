import * as m0001 from './0001-initial.ts';
import * as m0002 from './0002-ceremony-payload.ts';
import * as m0003 from './0003-gateway-alive.ts';

/**
 * Every schema migration of the PostgreSQL store, in order: `version` is the position, never
 * reused; a released migration is never edited (docs/operations.md §Database and migrations).
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  { version: 1, ...m0001 },
  { version: 2, ...m0002 },
  { version: 3, ...m0003 },
];
