import { failure, verifyCheckpointConsistency, type VerifiedCheckpoint } from './verifier.ts';

/**
 * Checkpoints this browser has seen, per log origin (public data only: sizes, root hashes, signed
 * notes), so that a history rewritten since shows at once: every new checkpoint must be
 * consistent with the latest one seen before it (RFC 9162 consistency proof, checked here), or
 * have the same root at the same size. A conflict is kept, with both signed notes (evidence of
 * what the log signed), until the regulator chooses to forget what this browser saw.
 */
const KEY = 'af.regulator.checkpoints.v1';
const MAX_SEEN = 100;

export interface SeenCheckpoint extends VerifiedCheckpoint {
  note: string;
  seenAt: number;
}

export interface Conflict {
  kind: 'fork' | 'inconsistent';
  earlier: SeenCheckpoint;
  later: SeenCheckpoint;
  message: string;
  detectedAt: number;
}

interface LogHistory {
  seen: SeenCheckpoint[];
  conflict?: Conflict;
}

export type Observation =
  | { state: 'first' }
  | { state: 'same'; against: SeenCheckpoint }
  | { state: 'consistent'; against: SeenCheckpoint }
  | { state: 'stale'; against: SeenCheckpoint }
  | { state: 'conflict'; conflict: Conflict }
  | { state: 'unchecked'; against: SeenCheckpoint; message: string };

function readAll(): Record<string, LogHistory> {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '{}') as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, LogHistory>) : {};
  } catch {
    return {};
  }
}

function write(origin: string, h: LogHistory): void {
  const all = readAll();
  all[origin] = h;
  localStorage.setItem(KEY, JSON.stringify(all));
  dispatchEvent(new Event(HISTORY_CHANGED));
}

/** Dispatched on the window whenever the history changes (a conflict found or dismissed). */
export const HISTORY_CHANGED = 'af-regulator-history';

export function historyOf(origin: string): LogHistory {
  const h = readAll()[origin];
  return { seen: Array.isArray(h?.seen) ? h.seen : [], ...(h?.conflict === undefined ? {} : { conflict: h.conflict }) };
}

/** Forgets everything seen for this log (after a conflict was investigated). */
export function forgetLog(origin: string): void {
  write(origin, { seen: [] });
}

/**
 * Records a verified checkpoint after checking it against what was seen before. `proof(from, to)`
 * fetches a consistency proof (the gateway's answer is never trusted: it is verified here).
 */
export async function observe(cp: VerifiedCheckpoint, note: string, proof: (from: number, to: number) => Promise<string[]>): Promise<Observation> {
  const h = historyOf(cp.origin);
  if (h.conflict !== undefined) return { state: 'conflict', conflict: h.conflict };
  const now = Date.now();
  const mine: SeenCheckpoint = { ...cp, note, seenAt: now };
  const sorted = [...h.seen].sort((a, b) => a.size - b.size);
  const latest = sorted[sorted.length - 1];
  const keep = (seen: SeenCheckpoint[]) => {
    const s = seen.sort((a, b) => a.size - b.size);
    // Bounded: the first checkpoint ever seen stays (the oldest claim), then the most recent ones.
    write(cp.origin, { seen: s.length > MAX_SEEN ? [s[0]!, ...s.slice(s.length - MAX_SEEN + 1)] : s });
  };
  const conflict = (kind: Conflict['kind'], earlier: SeenCheckpoint, later: SeenCheckpoint, message: string): Observation => {
    const c: Conflict = { kind, earlier, later, message, detectedAt: now };
    write(cp.origin, { seen: h.seen, conflict: c });
    return { state: 'conflict', conflict: c };
  };
  if (latest === undefined) {
    keep([mine]);
    return { state: 'first' };
  }
  const same = sorted.find((s) => s.size === cp.size);
  if (same !== undefined) {
    if (same.rootHash === cp.rootHash) return { state: 'same', against: same };
    return conflict('fork', same, mine, `two different trees of size ${cp.size} were signed: the log showed this browser another history before`);
  }
  // Check against the nearest checkpoint on the other side: the latest seen below, or (a stale answer) the one above.
  const below = [...sorted].reverse().find((s) => s.size < cp.size);
  const [earlier, later] = below !== undefined && below === latest ? [below, mine] : [mine, sorted.find((s) => s.size > cp.size)!];
  let hashes: string[];
  try {
    hashes = await proof(earlier.size, later.size);
  } catch (e) {
    return { state: 'unchecked', against: earlier === mine ? later : earlier, message: failure(e).message };
  }
  try {
    verifyCheckpointConsistency(earlier, later, hashes);
  } catch (e) {
    const { code, message } = failure(e);
    return conflict('inconsistent', earlier, later, `the log's tree of size ${later.size} does not extend its tree of size ${earlier.size}: its history was rewritten (${code}: ${message})`);
  }
  if (later === mine) {
    keep([...h.seen, mine]);
    return { state: 'consistent', against: earlier };
  }
  return { state: 'stale', against: later };
}
