/**
 * Worker thread: checkpoints the store's WAL on its own connection, so the copy into the database
 * file and its fsyncs never stall the event loop (the write connection runs with
 * wal_autocheckpoint = 0). PASSIVE: it never blocks the writer; whatever it cannot copy now it
 * copies next round. It tells the store only of a failed round ({ type: 'error', code }).
 */
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

const { path, intervalMs } = workerData as { path: string; intervalMs: number };
const db = new DatabaseSync(path);
// FULL: the WAL is synced before frames are copied and the database file after (what SQLite's own
// checkpoint under synchronous=NORMAL does too).
db.exec('PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL;');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');

let stopped = false;
function round(): void {
  if (stopped) return;
  try {
    checkpoint.get();
  } catch (e) {
    parentPort!.postMessage({ type: 'error', code: (e as { code?: string }).code ?? 'ERR_CHECKPOINT' });
  }
  setTimeout(round, intervalMs);
}
parentPort!.on('message', (m: { type: string }) => {
  if (m.type === 'stop') {
    stopped = true;
    db.close();
    parentPort!.postMessage({ type: 'stopped' });
  }
});
setTimeout(round, intervalMs);
