/**
 * The device's own audit log: JSON Lines, append-only, hash-chained (audit/entry.ts).
 * Appends are buffered and written with one write(2) per flush; the server flushes before it sends
 * any answer, so no operation is acknowledged before its entry reaches the file. Whole lines only,
 * so a killed process leaves whole lines; a torn tail (power loss) is cut off on open and noted.
 * Lines are made durable by a batched fdatasync, and at once for entries that matter for integrity
 * (store commits, tamper).
 */
import { closeSync, existsSync, fdatasyncSync, openSync, readSync, renameSync, writeSync, ftruncateSync, readFileSync } from 'node:fs';
import type { Clock } from '../../src/core/clock.ts';
import { sha256Hex } from '../../src/core/canonical.ts';
import { GENESIS_HASH, entryHash, type AuditEntry, type AuditFields } from './entry.ts';

export interface AuditHead {
  /** Index of the last entry; -1 when the log is empty. */
  index: number;
  hash: string;
}

export type AuditOpenVerdict = { ok: true } | { ok: false; index: number; reason: string };

export interface AuditLogView {
  readonly length: number;
  hashAt(index: number): string | undefined;
  /** Generation of the last `store.commit` entry, 0 when none. */
  readonly lastCommitGeneration: number;
  /** One past the highest counter value any entry consumed. */
  readonly counterEnd: number;
  readonly verdict: AuditOpenVerdict;
}

const SYNC_DELAY_MS = 50;

export class AuditLog implements AuditLogView {
  readonly #path: string;
  readonly #clock: Clock;
  #fd: number;
  #offsets: number[] = [];
  #hashes: string[] = [];
  #size = 0;
  #lastCommitGeneration = 0;
  #counterEnd = 0;
  #verdict: AuditOpenVerdict = { ok: true };
  #syncTimer: NodeJS.Timeout | undefined;
  #pending: Buffer[] = [];
  #flushScheduled = false;
  /** Bytes of a torn final line removed on open (0 normally). */
  readonly repairedBytes: number;

  private constructor(path: string, clock: Clock) {
    this.#path = path;
    this.#clock = clock;
    this.repairedBytes = this.#load();
    this.#fd = openSync(path, 'a', 0o600);
  }

  static open(path: string, clock: Clock): AuditLog {
    return new AuditLog(path, clock);
  }

  get length(): number {
    return this.#hashes.length;
  }
  get lastCommitGeneration(): number {
    return this.#lastCommitGeneration;
  }
  get counterEnd(): number {
    return this.#counterEnd;
  }
  get verdict(): AuditOpenVerdict {
    return this.#verdict;
  }
  hashAt(index: number): string | undefined {
    return this.#hashes[index];
  }
  head(): AuditHead {
    const index = this.#hashes.length - 1;
    return { index, hash: index < 0 ? GENESIS_HASH : this.#hashes[index]! };
  }

  #load(): number {
    if (!existsSync(this.#path)) return 0;
    let text = readFileSync(this.#path, 'utf8');
    let repaired = 0;
    const lastNl = text.lastIndexOf('\n');
    if (lastNl !== text.length - 1) {
      // A torn final line: never acknowledged as durable, so dropping it loses nothing we promised.
      repaired = Buffer.byteLength(text.slice(lastNl + 1));
      text = text.slice(0, lastNl + 1);
      const fd = openSync(this.#path, 'r+');
      ftruncateSync(fd, Buffer.byteLength(text));
      closeSync(fd);
    }
    let offset = 0;
    let prev = GENESIS_HASH;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const at = this.#hashes.length;
      let e: AuditEntry;
      try {
        e = JSON.parse(line) as AuditEntry;
      } catch {
        this.#fail(at, 'line is not valid JSON');
        break;
      }
      if (e === null || typeof e !== 'object' || e.index !== at || e.prevHash !== prev || typeof e.hash !== 'string') {
        this.#fail(at, e?.index !== at ? 'entry index out of sequence' : 'prevHash does not match the previous entry');
        break;
      }
      const { hash, ...rest } = e;
      if (entryHash(rest) !== hash) {
        this.#fail(at, 'entry hash does not match its contents');
        break;
      }
      this.#offsets.push(offset);
      this.#hashes.push(hash);
      if (e.op === 'store.commit' && typeof e.detail?.generation === 'number') this.#lastCommitGeneration = e.detail.generation;
      if (typeof e.counter === 'number' && typeof e.count === 'number') this.#counterEnd = Math.max(this.#counterEnd, e.counter + e.count);
      prev = hash;
      offset += Buffer.byteLength(line) + 1;
    }
    this.#size = offset;
    return repaired;
  }

  #fail(index: number, reason: string): void {
    this.#verdict = { ok: false, index, reason };
  }

  /**
   * Move a broken log aside and start a new chain whose first entry names the old file and its
   * SHA-256, so the evidence is kept and the new chain is verifiable on its own.
   */
  rotateBroken(): { movedTo: string; sha256: string } {
    this.#pending = [];
    closeSync(this.#fd);
    const movedTo = `${this.#path}.broken-${this.#clock.now()}`;
    const sha256 = sha256Hex(readFileSync(this.#path));
    renameSync(this.#path, movedTo);
    this.#offsets = [];
    this.#hashes = [];
    this.#size = 0;
    this.#lastCommitGeneration = 0;
    this.#verdict = { ok: true };
    this.#fd = openSync(this.#path, 'a', 0o600);
    return { movedTo, sha256 };
  }

  append(fields: AuditFields, options: { sync?: boolean } = {}): AuditEntry {
    const head = this.head();
    const body: Omit<AuditEntry, 'hash'> = {
      v: 1,
      index: head.index + 1,
      time: new Date(this.#clock.now()).toISOString(),
      prevHash: head.hash,
      ...fields,
    };
    const entry: AuditEntry = { ...body, hash: entryHash(body) };
    const line = Buffer.from(JSON.stringify(entry) + '\n', 'utf8');
    this.#pending.push(line);
    this.#offsets.push(this.#size);
    this.#hashes.push(entry.hash);
    this.#size += line.length;
    if (entry.op === 'store.commit' && typeof entry.detail?.generation === 'number') this.#lastCommitGeneration = entry.detail.generation;
    if (entry.counter !== undefined) this.#counterEnd = Math.max(this.#counterEnd, entry.counter + entry.count);
    if (options.sync === true) this.sync();
    else {
      // Belt and braces: whoever appended, the line reaches the file within this turn of the loop.
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.flush());
      }
      this.#scheduleSync();
    }
    return entry;
  }

  /** Write buffered lines to the file (page cache). Called before any answer leaves the device. */
  flush(): void {
    this.#flushScheduled = false;
    if (this.#pending.length === 0) return;
    const buf = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    this.#pending = [];
    let off = 0;
    while (off < buf.length) off += writeSync(this.#fd, buf, off, buf.length - off);
  }

  #scheduleSync(): void {
    if (this.#syncTimer !== undefined) return;
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined;
      this.sync();
    }, SYNC_DELAY_MS);
    this.#syncTimer.unref();
  }

  sync(): void {
    this.flush();
    if (this.#syncTimer !== undefined) {
      clearTimeout(this.#syncTimer);
      this.#syncTimer = undefined;
    }
    fdatasyncSync(this.#fd);
  }

  /** Entries [from, from + limit), read back from disk. */
  read(from: number, limit: number): AuditEntry[] {
    this.flush();
    const end = Math.min(this.#hashes.length, from + limit);
    if (from >= end) return [];
    const start = this.#offsets[from]!;
    const stop = end < this.#offsets.length ? this.#offsets[end]! : this.#size;
    const buf = Buffer.allocUnsafe(stop - start);
    const fd = openSync(this.#path, 'r');
    try {
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, start + got);
        if (n === 0) break;
        got += n;
      }
    } finally {
      closeSync(fd);
    }
    return buf
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as AuditEntry);
  }

  close(): void {
    this.sync();
    closeSync(this.#fd);
  }
}
