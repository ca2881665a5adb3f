import type { Clock } from '../../core/clock.ts';
import type { ConsistencyProof, EntryQuery, InclusionProof, LogEntry, SignedCheckpoint } from '../../core/log/types.ts';
import type { Store } from '../ports/store.ts';
import type { ConsoleAccess } from './console-sessions.ts';

/** What the console's services read of the transparency log (TransparencyLog provides it). */
export interface ConsoleLog {
  query(q: EntryQuery): Promise<LogEntry[]>;
  latestCheckpoint(): Promise<SignedCheckpoint | null>;
  /** Signs a checkpoint of everything committed (or returns the latest when nothing is new). */
  checkpoint(): Promise<SignedCheckpoint>;
  inclusionProof(index: number, size: number): Promise<InclusionProof>;
  consistencyProof(from: number, to: number): Promise<ConsistencyProof>;
}

/** What a console read was for: the entry names it, with its (bounded) parameters. */
export type ConsoleResource = 'entries' | 'trail' | 'statistics' | 'consistency';

/**
 * Every console read is in the log before its answer leaves (docs/regulator.md §7):
 * `regulator.read` names the regulator, the session's token id, what was read and how. The
 * parameters are what the regulator typed (bounded by the entrance), never a token.
 */
export async function recordRead(deps: { store: Store; clock: Clock }, access: ConsoleAccess, resource: ConsoleResource, query: Record<string, unknown>): Promise<number> {
  return deps.store.tx(async (tx) =>
    tx.audit([{ v: 1, type: 'regulator.read', ts: deps.clock.now(), by: access.principal.id, via: 'console', tokenJti: access.session.jti, resource, query }]),
  );
}

/** Pages through every entry matching `q` (index order), up to `cap` entries. */
export async function* scan(log: ConsoleLog, q: Omit<EntryQuery, 'afterIndex' | 'limit'>, cap = Number.MAX_SAFE_INTEGER): AsyncGenerator<LogEntry> {
  const PAGE = 10_000;
  let after: number | undefined;
  let n = 0;
  for (;;) {
    const page = await log.query({ ...q, limit: PAGE, ...(after === undefined ? {} : { afterIndex: after }) });
    for (const e of page) {
      if (n++ >= cap) return;
      yield e;
    }
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.index;
  }
}
