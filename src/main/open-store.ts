import { join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import type { Signer } from '../core/signer.ts';
import { PgStore } from '../adapters/store/postgres/pg-store.ts';
import { SqliteStore } from '../adapters/store/sqlite-store.ts';
import { LogAppender } from '../gateway/log/appender.ts';
import type { CheckpointerOptions } from '../gateway/log/checkpointer.ts';
import { openTransparencyLog } from '../gateway/log/open-log.ts';
import type { TransparencyLog } from '../gateway/log/transparency-log.ts';
import type { Store } from '../gateway/ports/store.ts';

/**
 * The store the configuration names, with the transparency log's appender behind `tx.audit`:
 * PostgreSQL when DATABASE_URL is set (migrated to this version first), else the SQLite database
 * `gateway.db` in the data directory. The one place that names a store.
 */
export async function openStoreOnly(o: { dataDir: string; database?: { url: string } | undefined }): Promise<{ store: Store; appender: LogAppender }> {
  const appender = new LogAppender();
  const store = o.database !== undefined ? await PgStore.open({ url: o.database.url, audit: appender }) : new SqliteStore({ path: join(o.dataDir, 'gateway.db'), audit: appender });
  return { store, appender };
}

/**
 * The gateway's store with the transparency log as its audit log: every transition and its log
 * entry commit in one transaction, and checkpoints are signed in the HSM.
 */
export async function openStore(o: {
  dataDir: string;
  database?: { url: string } | undefined;
  signer: Signer;
  clock: Clock;
  origin: string;
  onError?: (e: unknown) => void;
  integrator?: CheckpointerOptions['integrator'];
}): Promise<{ store: Store; log: TransparencyLog }> {
  const { store, appender } = await openStoreOnly(o);
  try {
    const log = await openTransparencyLog({ store, appender, signer: o.signer, origin: o.origin, clock: o.clock, ...(o.onError ? { onError: o.onError } : {}), ...(o.integrator ? { integrator: o.integrator } : {}) });
    return { store, log };
  } catch (e) {
    await store.close();
    throw e;
  }
}
