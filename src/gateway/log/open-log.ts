import type { Clock } from '../../core/clock.ts';
import { FirewallError } from '../../core/errors.ts';
import { isValidKeyName } from '../../core/checkpoint/verifier-key.ts';
import type { Signer } from '../../core/signer.ts';
import type { Store } from '../ports/store.ts';
import type { LogAppender } from './appender.ts';
import { Checkpointer, type CheckpointerOptions } from './checkpointer.ts';
import { TransparencyLog } from './transparency-log.ts';

/**
 * Opens the transparency log on a store whose `tx.audit` appends through `appender`: the
 * database's log must belong to `origin` (LOG_ORIGIN_MISMATCH), and the stored tree must extend
 * the latest signed checkpoint (LOG_INCONSISTENT: a restore from the wrong backup, or tampering,
 * stops the gateway rather than let it sign a fork).
 */
export async function openTransparencyLog(o: {
  store: Store;
  appender: LogAppender;
  signer: Signer;
  origin: string;
  clock: Clock;
  checkpointEvery?: CheckpointerOptions['checkpointEvery'];
  onError?: (error: unknown) => void;
  integrator?: CheckpointerOptions['integrator'];
}): Promise<TransparencyLog> {
  if (!isValidKeyName(o.origin)) {
    throw new FirewallError('LOG_ORIGIN_INVALID', 'log origin must be non-empty with no spaces or "+" (it is also the key name)', { status: 500 });
  }
  const stored = await o.store.tx(async (tx) => tx.log.claimOrigin(o.origin));
  if (stored !== o.origin) {
    throw new FirewallError('LOG_ORIGIN_MISMATCH', `database holds the log ${JSON.stringify(stored)}, not ${JSON.stringify(o.origin)}`, { status: 500 });
  }
  const latest = await o.store.log.latestCheckpoint();
  const checkpointer = new Checkpointer(
    {
      store: o.store,
      signer: o.signer,
      origin: o.origin,
      clock: o.clock,
      ...(o.checkpointEvery === undefined ? {} : { checkpointEvery: o.checkpointEvery }),
      ...(o.onError === undefined ? {} : { onError: o.onError }),
      ...(o.integrator === undefined ? {} : { integrator: o.integrator }),
    },
    latest?.size ?? 0,
  );
  try {
    if (latest) await checkpointer.assertExtends(latest, await o.store.log.size());
  } catch (e) {
    await checkpointer.close();
    throw e;
  }
  o.appender.observe((size) => checkpointer.appended(size));
  return new TransparencyLog({ reads: o.store.log, checkpointer });
}
