/**
 * The two records bench/low-tier-lean.ts and bench/low-tier-record.ts compare: the narrow record
 * a LOW action needs at the least (its own tables), and the gateway's own (acceptAction and
 * settleAttempt on the store and log the gateway opens).
 */
import { closeSync, fdatasync, openSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import type { ActionDescriptor } from '../src/core/action/descriptor.ts';
import { canonicalJson } from '../src/core/canonical.ts';
import { systemClock } from '../src/core/clock.ts';
import { Frontier } from '../src/core/merkle/frontier.ts';
import { leafHash } from '../src/core/merkle/hash.ts';
import type { Signer } from '../src/core/signer.ts';
import { nodeId } from '../src/adapters/store/sqlite-log-schema.ts';
import { acceptAction } from '../src/gateway/accept-action.ts';
import type { ActionRecord, ClassificationSummary, ForwardRequest } from '../src/gateway/action-record.ts';
import type { PolicyPort } from '../src/gateway/ports/policy.ts';
import { settleAttempt } from '../src/gateway/settle-attempt.ts';
import { openStore } from '../src/main/open-store.ts';
import type { WorkerAnswer, WorkerRequest, WorkerSetup } from './lean-record-worker.ts';

/** How an action and its outcome are recorded: durable acceptance (calling `committed` before the sync), then the outcome. */
export interface Recorder {
  close(): Promise<void>;
  accept(a: { id: string; idempotencyKey: string; descriptor: ActionDescriptor; digest: string; c: ClassificationSummary; forward: ForwardRequest }, committed: (recorded: { id: string; logIndex: number }) => void): Promise<unknown>;
  settle(accepted: unknown, a: { id: string; digest: string }, outcome: { status: number; bodyB64: string; responseSha256: string; receipt: { jws: string; jti: string } }): Promise<void>;
}

export function leanRecorder(dataDir: string): Recorder {
  const db = new DatabaseSync(join(dataDir, 'lean.db'));
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;
  CREATE TABLE actions (id TEXT PRIMARY KEY, agent TEXT NOT NULL, idempotency_key TEXT NOT NULL, digest TEXT NOT NULL,
    status TEXT NOT NULL, log_index INTEGER NOT NULL, forward TEXT NOT NULL, UNIQUE (agent, idempotency_key)) WITHOUT ROWID;
  CREATE TABLE log (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL, body TEXT NOT NULL);
  CREATE TABLE nodes (id INTEGER PRIMARY KEY, hash BLOB NOT NULL);`);
  const walFd = openSync(join(dataDir, 'lean.db-wal'), 'r+');
  const sql = {
    byKey: db.prepare('SELECT id FROM actions WHERE agent = ? AND idempotency_key = ?'),
    insert: db.prepare('INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?, ?)'),
    settle: db.prepare("UPDATE actions SET status = ? WHERE id = ? AND status = 'executing'"),
    entry: db.prepare('INSERT INTO log VALUES (?, ?, ?)'),
    node: db.prepare('INSERT INTO nodes VALUES (?, ?)'),
  };

  // The frontier advances as entries are inserted and is not rolled back with a failed item: here
  // an item can only fail before its first append (a reused idempotency key), so it stays in step.
  const frontier = Frontier.empty();
  /** Appends a canonical entry to the log within the open transaction; returns its index. */
  function append(entry: Record<string, unknown>): number {
    const body = canonicalJson(entry);
    const leaf = leafHash(body);
    const idx = frontier.size;
    sql.entry.run(idx, leaf, body);
    frontier.append(leaf, (level, index, hash) => sql.node.run(nodeId(level, index), hash));
    return idx;
  }

  /** Group commit: everything queued in one turn of the event loop commits together; one fdatasync at a time. */
  type Work = { run: () => void; durable: boolean; committed?: () => void; done: (e?: unknown) => void };
  let queue: Work[] = [];
  let waitingSync: Work[] = [];
  let syncing = false;
  function commit(run: () => void, durable: boolean, committed?: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ run, durable, ...(committed === undefined ? {} : { committed }), done: (e) => (e === undefined ? resolve() : reject(e)) });
    });
  }
  function flush(): void {
    const batch = queue;
    queue = [];
    db.exec('BEGIN');
    const ran: Work[] = [];
    for (const w of batch) {
      db.exec('SAVEPOINT w');
      try {
        w.run();
        db.exec('RELEASE w');
        ran.push(w);
      } catch (e) {
        db.exec('ROLLBACK TO w');
        db.exec('RELEASE w');
        w.done(e);
      }
    }
    db.exec('COMMIT');
    for (const w of ran) {
      w.committed?.();
      if (w.durable) waitingSync.push(w);
      else w.done();
    }
    sync();
  }
  function sync(): void {
    if (syncing || waitingSync.length === 0) return;
    syncing = true;
    const batch = waitingSync;
    waitingSync = [];
    fdatasync(walFd, (err) => {
      syncing = false;
      for (const w of batch) w.done(err ?? undefined);
      sync();
    });
  }

  return {
    async close() {
      while (syncing || queue.length > 0 || waitingSync.length > 0) await new Promise((r) => setTimeout(r, 5));
      closeSync(walFd);
      db.close();
    },
    async accept(a, committed) {
      let logIndex = -1;
      await commit(() => {
        if (sql.byKey.get('bench', a.idempotencyKey) !== undefined) throw new Error('IDEMPOTENCY_KEY_REUSED');
        const { c } = a;
        logIndex = append({
          v: 1, type: 'action.passed', ts: Date.now(), actionId: a.id, digest: a.digest, agent: 'bench', idempotencyKey: a.idempotencyKey, descriptor: a.descriptor,
          tier: c.tier, decision: c.decision, rule: c.rule, reasons: c.reasons, matchedRules: c.matchedRules,
          policyHash: c.policyHash, requirements: c.requirements, event: 'pass', approvals: [], attempt: 1,
        });
        sql.insert.run(a.id, 'bench', a.idempotencyKey, a.digest, 'executing', logIndex, JSON.stringify(a.forward));
      }, true, () => committed({ id: a.id, logIndex }));
    },
    async settle(_accepted, a, o) {
      await commit(() => {
        if (sql.settle.run('executed', a.id).changes === 1) {
          append({ v: 1, type: 'action.executed', ts: Date.now(), actionId: a.id, digest: a.digest, event: 'upstream_answered', attempt: 1, upstreamStatus: o.status, responseSha256: o.responseSha256, receiptJti: o.receipt.jti, receipt: o.receipt.jws });
        }
      }, false);
    },
  };
}

/** The gateway's own store, log and services, as the real gateway calls them for a LOW action. */
export async function gatewayRecorder(dataDir: string, signer: Signer, policy: PolicyPort): Promise<Recorder> {
  const { store, log } = await openStore({ dataDir, signer, clock: systemClock, origin: 'lean.bench/log' });
  const deps = { store, policy: () => policy, clock: systemClock, dispatchLeaseMs: 30_000 };
  const settleDeps = { store, clock: systemClock, dispatchLeaseMs: 30_000, maxAttempts: 5, log: { warn: () => {} } };
  const principal = { owner: 'bench-owner', organisation: 'bench-owner' };
  return {
    async close() {
      await log.close();
      await store.close();
    },
    async accept(a, committed) {
      const out = await acceptAction(deps, {
        descriptor: a.descriptor, idempotencyKey: a.idempotencyKey, principal, forward: a.forward,
        provisional: { policyHash: policy.hash, classification: a.c },
        onCommitted: (r) => committed({ id: r.id, logIndex: r.authorisationLogIndex ?? -1 }),
      });
      if (!out.created) throw new Error('IDEMPOTENCY_KEY_REUSED');
      return out.record;
    },
    async settle(accepted, _a, o) {
      await settleAttempt(settleDeps, accepted as ActionRecord, { outcome: 'executed', result: { status: o.status, headers: {}, bodyB64: o.bodyB64 }, receipt: o.receipt });
    },
  };
}


/** A record run on a worker thread (bench/lean-record-worker.ts): the narrow one or the gateway's. */
export async function workerRecorder(setup: WorkerSetup): Promise<Recorder> {
  const worker = new Worker(new URL('./lean-record-worker.ts', import.meta.url), { workerData: setup });
  // The worker says it is ready (its store open) with an empty batch.
  await new Promise<void>((ok, fail) => {
    worker.once('message', () => ok());
    worker.once('error', fail);
  });
  type Waiting = { committed?: (r: { id: string; logIndex: number }) => void; resolve: () => void; reject: (e: Error) => void };
  const waiting = new Map<number, Waiting>();
  let seq = 0;
  worker.on('message', (answers: WorkerAnswer[]) => {
    for (const m of answers) {
      const w = waiting.get(m.seq);
      if (w === undefined) continue;
      if ('committed' in m) {
        w.committed?.(m.committed);
        continue;
      }
      waiting.delete(m.seq);
      if ('done' in m) w.resolve();
      else w.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
    }
  });
  // A worker that dies, by an error or by exiting, fails whatever still waits on it.
  const fail = (e: Error) => {
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the record's worker exited (${code})`)));
  // Requests go in one message per turn of the event loop (see bench/lean-record-worker.ts).
  const queued: WorkerRequest[] = [];
  const ask = (m: DistributiveOmit<WorkerRequest, 'seq'>, committed?: Waiting['committed']): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = ++seq;
      waiting.set(s, { resolve, reject, ...(committed === undefined ? {} : { committed }) });
      if (queued.length === 0) setImmediate(() => worker.postMessage(queued.splice(0)));
      queued.push({ ...m, seq: s } as WorkerRequest);
    });
  return {
    async close() {
      await ask({ op: 'close' });
      await worker.terminate();
    },
    accept: (a, committed) => ask({ op: 'accept', a }, committed),
    settle: (_accepted, a, o) => ask({ op: 'settle', a: { id: a.id, digest: a.digest }, o }),
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
