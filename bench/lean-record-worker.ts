/**
 * The stripped gateway's record on a worker thread (bench/low-tier-lean.ts, `LEAN_STORE=worker`:
 * the narrow record; `LEAN_STORE=gateway-worker`: the gateway's store and services, with an
 * in-memory checkpoint signer of its own): the thread owns the SQLite connection, the group commit,
 * the fdatasync and the log's frontier, so the statements, the RFC 8785 entries and their hashes
 * run beside the event loop instead of on it. It answers each acceptance twice, once committed (the
 * receipt is signed while the sync runs) and once durable, and each settlement once committed.
 * Requests and answers travel in batches, one message per turn of either loop.
 * An experiment for issue 17's second design (docs/architecture.md §The LOW path against its
 * required work), not a product.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parsePolicy } from '../src/core/policy/parse.ts';
import { policyPort } from '../src/gateway/policy-port.ts';
import { MemorySigner } from '../test/helpers/memory-signer.ts';
import { benchPolicy } from './gateway-setup.ts';
import { gatewayRecorder, leanRecorder } from './records.ts';

/** What the worker records with: the narrow record, or the gateway's (its policy for the upstream given). */
export interface WorkerSetup {
  dataDir: string;
  record: 'lean' | 'gateway';
  upstream: string;
}

export type WorkerRequest =
  | { op: 'accept'; seq: number; a: Parameters<ReturnType<typeof leanRecorder>['accept']>[0] }
  | { op: 'settle'; seq: number; a: { id: string; digest: string }; o: Parameters<ReturnType<typeof leanRecorder>['settle']>[2] }
  | { op: 'close'; seq: number };

export type WorkerAnswer = { seq: number; committed: { id: string; logIndex: number } } | { seq: number; done: true } | { seq: number; error: { code: string; message: string } };

const port = parentPort;
if (port !== null) {
  const setup = workerData as WorkerSetup;
  const recorder = setup.record === 'gateway' ? await gatewayRecorder(setup.dataDir, new MemorySigner(), policyPort(parsePolicy(benchPolicy(setup.upstream), 'bench.yaml'))) : leanRecorder(setup.dataDir);
  /** What each acceptance returned, for its settlement, by the id it was recorded under. */
  const accepted = new Map<string, unknown>();
  // Answers go back in one message per turn of this thread's loop: a message costs the event loop
  // a wake-up and a dispatch, which per answer would cost it about what the record saves it.
  const out: WorkerAnswer[] = [];
  const answer = (m: WorkerAnswer) => {
    if (out.length === 0) setImmediate(() => port.postMessage(out.splice(0)));
    out.push(m);
  };
  const failed = (seq: number) => (e: unknown) => answer({ seq, error: { code: (e as { code?: string }).code ?? 'LEAN_FAILED', message: e instanceof Error ? e.message : String(e) } });
  port.on('message', (batch: WorkerRequest[]) => {
    for (const m of batch) {
      if (m.op === 'accept') {
        let id = m.a.id;
        recorder
          .accept(m.a, (committed) => {
            id = committed.id;
            answer({ seq: m.seq, committed });
          })
          .then((record) => {
            accepted.set(id, record);
            answer({ seq: m.seq, done: true });
          }, failed(m.seq));
      } else if (m.op === 'settle') {
        const record = accepted.get(m.a.id);
        accepted.delete(m.a.id);
        recorder.settle(record, m.a, m.o).then(() => answer({ seq: m.seq, done: true }), failed(m.seq));
      } else {
        void recorder.close().then(() => {
          port.postMessage([...out.splice(0), { seq: m.seq, done: true }]);
          port.close();
        });
      }
    }
  });
  port.postMessage([]);
}
