/**
 * One device per data directory. Two processes committing to the same store would each see the
 * other's writes as a rollback and zeroize; the lock file (holding the owner's pid) prevents it.
 * A lock whose owner is dead (the device was killed) is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the lock. A live owner is waited for up to `waitMs` (a device whose parent just died is
 * still shutting down when the restarted parent starts a new one), then refused.
 */
export async function lockDataDir(path: string, waitMs = 0): Promise<() => void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = Number.NaN;
    try {
      owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    } catch {
      continue; // removed between our open and read: try again
    }
    if (!Number.isSafeInteger(owner) || owner === process.pid || !alive(owner)) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() >= deadline) throw new Error(`the data directory is in use by process ${owner}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
