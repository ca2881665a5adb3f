/**
 * Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over
 * the target, fsync the directory. A reader (or a restarted device) sees the old file or the new
 * one, never a mixture, whatever instant the process dies at.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface AtomicWriteHooks {
  /** Called after the temp file is durable and before the rename (crash-injection point). */
  afterTempWritten?: () => void;
  /** Called after the rename is durable. */
  afterRename?: () => void;
}

const TEMP_MARK = '.tmp-';

export function writeFileAtomic(path: string, data: string | Buffer, hooks: AtomicWriteHooks = {}): void {
  const temp = `${path}${TEMP_MARK}${process.pid}-${randomBytes(6).toString('hex')}`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw e;
  }
  closeSync(fd);
  hooks.afterTempWritten?.();
  renameSync(temp, path);
  fsyncDir(dirname(path));
  hooks.afterRename?.();
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Remove temp files a crash left behind; they were never renamed, so they were never committed. */
export function removeStaleTemps(path: string): number {
  const dir = dirname(path);
  const prefix = basename(path) + TEMP_MARK;
  let removed = 0;
  for (const name of readdirSync(dir)) {
    if (name.startsWith(prefix)) {
      rmSync(join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}
