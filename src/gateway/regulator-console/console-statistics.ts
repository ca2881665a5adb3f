import type { LogEntry } from '../../core/log/types.ts';
import { FirewallError } from '../../core/errors.ts';
import { scan, type ConsoleLog } from './console-log.ts';

export const TIERS = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
type Tier = (typeof TIERS)[number];

export interface StatisticsRequest {
  /** ms, inclusive. */
  since: number;
  /** ms, exclusive. */
  until: number;
  /** Time buckets for the series (1..200). */
  buckets: number;
}

export interface RefusalCount {
  kind: 'vetoed' | 'blocked' | 'expired' | 'signature_refused';
  /** What the entry gives as the reason: a person's veto reason (their text), a rule id, a state, a refusal code. */
  reason: string;
  count: number;
}

export interface LogStatistics {
  since: number;
  until: number;
  bucketMs: number;
  /** Start (ms) of each bucket. */
  buckets: number[];
  /** Actions classified per tier and bucket (action.classified, and action.passed for LOW). */
  actionsPerTier: Record<Tier, number[]>;
  /**
   * How long each action waited for people, per tier, in ms, ascending (a distribution: every
   * value, at most `latencyCap` per tier): from action.cooling / awaiting_signature /
   * awaiting_quorum to action.authorised, for authorisations in range.
   */
  approvalLatencyMs: Record<Exclude<Tier, 'LOW'>, number[]>;
  latencyCap: number;
  /** Vetoes, blocks, expiries and refused signatures, grouped by reason, most frequent first. */
  refusals: RefusalCount[];
  /** Cooling actions at the end of each bucket, and the most at any moment within it. */
  coolingDepth: { end: number[]; max: number[] };
  /** signature.verified by modality; `witness`: the institutional fallback; `nonBiological`: a comparator's passkey alone. */
  signatures: { modalities: Record<string, number>; witness: number; nonBiological: number; refused: number };
  /** Log entries read to compute this. */
  scanned: number;
}

/** Waits (cooling, signatures, quorums) that began this long before `since` still count if they end in range. */
const LOOKBACK_MS = 7 * 24 * 3600_000;
const MAX_SCANNED = 2_000_000;
const LATENCY_CAP = 20_000;
const MAX_REFUSAL_GROUPS = 40;
const MAX_REASON = 200;

const WAIT_STARTS: Record<string, Exclude<Tier, 'LOW'>> = { 'action.cooling': 'MEDIUM', 'action.awaiting_signature': 'HIGH', 'action.awaiting_quorum': 'CRITICAL' };
const COOLING_ENDS = ['action.authorised', 'action.vetoed', 'action.expired'];

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const isTier = (v: unknown): v is Tier => typeof v === 'string' && (TIERS as readonly string[]).includes(v);

/**
 * The console's pictures of the log (docs/regulator.md §7), computed from the entries
 * themselves, so they say what the log says. Reads only the entry types each figure needs.
 */
export async function logStatistics(log: ConsoleLog, r: StatisticsRequest): Promise<LogStatistics> {
  if (!Number.isSafeInteger(r.since) || !Number.isSafeInteger(r.until) || r.since < 0 || r.until <= r.since) {
    throw new FirewallError('STATISTICS_RANGE_INVALID', 'since and until must be times in ms with since < until', { status: 400 });
  }
  if (!Number.isSafeInteger(r.buckets) || r.buckets < 1 || r.buckets > 200) throw new FirewallError('STATISTICS_RANGE_INVALID', 'buckets must be 1..200', { status: 400 });
  const bucketMs = Math.max(1, Math.ceil((r.until - r.since) / r.buckets));
  const buckets = Array.from({ length: r.buckets }, (_, i) => r.since + i * bucketMs);
  const bucketOf = (ts: number) => Math.min(r.buckets - 1, Math.floor((ts - r.since) / bucketMs));
  let scanned = 0;
  const read = (type: string, since = r.since): AsyncGenerator<LogEntry> => {
    const it = scan(log, { type, since, until: r.until }, MAX_SCANNED - scanned);
    return (async function* () {
      for await (const e of it) {
        scanned++;
        yield e;
      }
      if (scanned >= MAX_SCANNED) throw new FirewallError('STATISTICS_RANGE_TOO_LARGE', `more than ${MAX_SCANNED} entries: choose a shorter range`, { status: 413 });
    })();
  };
  const inRange = (e: LogEntry): e is LogEntry & { ts: number } => e.ts !== null && e.ts >= r.since && e.ts < r.until;

  const actionsPerTier = Object.fromEntries(TIERS.map((t) => [t, buckets.map(() => 0)])) as Record<Tier, number[]>;
  for (const type of ['action.classified', 'action.passed']) {
    for await (const e of read(type)) if (inRange(e) && isTier(e.entry['tier'])) actionsPerTier[e.entry['tier']][bucketOf(e.ts)]!++;
  }

  // Waits: when each action started waiting for people, and on what.
  const waits = new Map<string, { tier: Exclude<Tier, 'LOW'>; ts: number }>();
  const coolingEvents: { ts: number; d: 1 | -1 }[] = [];
  for (const [type, tier] of Object.entries(WAIT_STARTS)) {
    for await (const e of read(type, Math.max(0, r.since - LOOKBACK_MS))) {
      if (e.actionId === null || e.ts === null) continue;
      waits.set(e.actionId, { tier, ts: e.ts });
      if (type === 'action.cooling') coolingEvents.push({ ts: e.ts, d: 1 });
    }
  }
  const approvalLatencyMs = { MEDIUM: [] as number[], HIGH: [] as number[], CRITICAL: [] as number[] };
  for (const type of COOLING_ENDS) {
    for await (const e of read(type, Math.max(0, r.since - LOOKBACK_MS))) {
      const w = e.actionId === null ? undefined : waits.get(e.actionId);
      if (w === undefined || e.ts === null) continue;
      if (w.tier === 'MEDIUM') coolingEvents.push({ ts: e.ts, d: -1 });
      const list = approvalLatencyMs[w.tier];
      if (type === 'action.authorised' && inRange(e) && list.length < LATENCY_CAP) list.push(Math.max(0, e.ts - w.ts));
    }
  }
  for (const l of Object.values(approvalLatencyMs)) l.sort((a, b) => a - b);

  // Cooling queue depth: a step function, sampled per bucket.
  coolingEvents.sort((a, b) => a.ts - b.ts || a.d - b.d);
  const end = buckets.map(() => 0);
  const max = buckets.map(() => 0);
  let depth = 0;
  let i = 0;
  for (; i < coolingEvents.length && coolingEvents[i]!.ts < r.since; i++) depth += coolingEvents[i]!.d;
  for (let b = 0; b < r.buckets; b++) {
    const bucketEnd = b === r.buckets - 1 ? r.until : buckets[b]! + bucketMs;
    let peak = depth;
    for (; i < coolingEvents.length && coolingEvents[i]!.ts < bucketEnd; i++) {
      depth += coolingEvents[i]!.d;
      peak = Math.max(peak, depth);
    }
    end[b] = depth;
    max[b] = peak;
  }

  // Refusals by reason.
  const groups = new Map<string, RefusalCount>();
  const count = (kind: RefusalCount['kind'], reason: string) => {
    const key = `${kind}\u0000${reason}`;
    const g = groups.get(key) ?? { kind, reason, count: 0 };
    g.count++;
    groups.set(key, g);
  };
  for await (const e of read('action.vetoed')) if (inRange(e)) count('vetoed', (str(e.entry['reason']) ?? '(no reason given)').slice(0, MAX_REASON));
  for await (const e of read('action.blocked')) if (inRange(e)) count('blocked', (str(e.entry['rule']) ?? '(no rule named)').slice(0, MAX_REASON));
  for await (const e of read('action.expired')) if (inRange(e)) count('expired', `no decision while ${str(e.entry['from']) ?? 'waiting'}`.slice(0, MAX_REASON));
  const signatures = { modalities: {} as Record<string, number>, witness: 0, nonBiological: 0, refused: 0 };
  for await (const e of read('signature.refused')) {
    if (!inRange(e)) continue;
    count('signature_refused', (str(e.entry['code']) ?? '(no code)').slice(0, MAX_REASON));
    signatures.refused++;
  }
  const refusals = [...groups.values()].sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind) || a.reason.localeCompare(b.reason)).slice(0, MAX_REFUSAL_GROUPS);

  // Signatures per modality and the fallback.
  for await (const e of read('signature.verified')) {
    if (!inRange(e)) continue;
    const v = e.entry;
    if (v['mode'] === 'witness' || v['role'] === 'witness') {
      signatures.witness++;
      continue;
    }
    const liveness = v['liveness'];
    const named = liveness !== null && typeof liveness === 'object' ? (liveness as Record<string, unknown>) : undefined;
    const list = Array.isArray(named?.['modalities']) ? (named['modalities'] as unknown[]) : (str(named?.['modality'])?.split('+') ?? []);
    const modalities = [...new Set(list.filter((m): m is string => typeof m === 'string' && /^[a-z]{1,20}$/.test(m)))];
    if (modalities.length === 0) signatures.nonBiological++;
    for (const m of modalities) signatures.modalities[m] = (signatures.modalities[m] ?? 0) + 1;
  }

  return { since: r.since, until: r.until, bucketMs, buckets, actionsPerTier, approvalLatencyMs, latencyCap: LATENCY_CAP, refusals, coolingDepth: { end, max }, signatures, scanned };
}
