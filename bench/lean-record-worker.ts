/**
 * The stripped gateway's narrow record on a worker thread (`LEAN_STORE=worker`,
 * bench/low-tier-lean.ts): the thread owns the SQLite connection, the group commit, the
 * fdatasync and the log's frontier, so the statements, the RFC 8785 entries and their hashes run
 * beside the event loop instead of on it. It answers each acceptance twice, once committed (the
 * receipt is signed while the sync runs) and once durable, and each settlement once committed.
 * Requests and answers travel in batches, one message per turn of either loop.
 * An experiment for issue 17's second design (docs/architecture.md §The LOW path against its
 * required work), not a product.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { leanRecorder } from './records.ts';

export type WorkerRequest =
  | { op: 'accept'; seq: number; a: Parameters<ReturnType<typeof leanRecorder>['accept']>[0] }
  | { op: 'settle'; seq: number; a: { id: string; digest: string }; o: Parameters<ReturnType<typeof leanRecorder>['settle']>[2] }
  | { op: 'close'; seq: number };

export type WorkerAnswer = { seq: number; committed: { id: string; logIndex: number } } | { seq: number; done: true } | { seq: number; error: { code: string; message: string } };

const port = parentPort;
if (port !== null) {
  const recorder = leanRecorder((workerData as { dataDir: string }).dataDir);
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
        recorder.accept(m.a, (committed) => answer({ seq: m.seq, committed })).then(() => answer({ seq: m.seq, done: true }), failed(m.seq));
      } else if (m.op === 'settle') {
        recorder.settle(undefined, m.a, m.o).then(() => answer({ seq: m.seq, done: true }), failed(m.seq));
      } else {
        void recorder.close().then(() => {
          port.postMessage([...out.splice(0), { seq: m.seq, done: true }]);
          port.close();
        });
      }
    }
  });
}
