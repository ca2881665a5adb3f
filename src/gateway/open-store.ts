import { join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import type { Signer } from '../core/signer.ts';
import { SqliteStore } from '../adapters/store/sqlite-store.ts';
import { LogAppender } from './log/appender.ts';
import { openTransparencyLog } from './log/open-log.ts';
import type { TransparencyLog } from './log/transparency-log.ts';

/**
 * The gateway's store with the transparency log as its audit log: every transition and its log
 * entry commit in one SQLite transaction, and checkpoints are signed in the HSM.
 */
export async function openStore(o: { dataDir: string; signer: Signer; clock: Clock; origin: string; onError?: (e: unknown) => void }): Promise<{ store: SqliteStore; log: TransparencyLog }> {
  const appender = new LogAppender();
  const store = new SqliteStore({ path: join(o.dataDir, 'gateway.db'), audit: appender });
  try {
    const log = await openTransparencyLog({ store, appender, signer: o.signer, origin: o.origin, clock: o.clock, ...(o.onError ? { onError: o.onError } : {}) });
    return { store, log };
  } catch (e) {
    await store.close();
    throw e;
  }
}
