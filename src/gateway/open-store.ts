import { join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import type { Signer } from '../core/signer.ts';
import { SqliteStore } from '../adapters/store/sqlite-store.ts';
import { TransparencyLog } from '../adapters/log/transparency-log.ts';

/**
 * The gateway's store with the transparency log as its audit sink: every transition and its log
 * entry commit in one SQLite transaction, and checkpoints are signed in the HSM.
 */
export function openStore(o: { dataDir: string; signer: Signer; clock: Clock; origin: string; onError?: (e: unknown) => void }): { store: SqliteStore; log: TransparencyLog } {
  let log: TransparencyLog | undefined;
  const store = new SqliteStore({
    path: join(o.dataDir, 'gateway.db'),
    audit: (db, { transact }) => (log = new TransparencyLog({ db, transact, signer: o.signer, origin: o.origin, clock: o.clock, ...(o.onError ? { onError: o.onError } : {}) })),
  });
  return { store, log: log! };
}
