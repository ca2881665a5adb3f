import type { Modality } from '../policy/modality.ts';
import type { RevealEvent } from '../stimulus/types.ts';
import { fmtS } from './checks.ts';
import { round } from './dsp.ts';
import type { Check, ChunkArrival, StimulusResponse } from './types.ts';

export interface TimingConfig {
  /** A sample may claim a device time at most this much later than its arrival (clock drift over a session: ~50 ppm x 30 s = 1.5 ms, plus rounding). */
  aheadToleranceMs: number;
  /** Longest a sample may be held back before arriving (chunking 250 ms + network + one stall). */
  maxDelayMs: number;
  /** Longest pause between chunk arrivals. */
  maxArrivalGapMs: number;
  /** Longest gap between consecutive sample times, per modality (hrv: one RR at 30 bpm; typing: thinking pauses are allowed). */
  maxSampleGapMs: Record<Modality, number>;
  /** The stream must reach this close to the end (device time) and be received after the end. */
  endToleranceMs: Record<Modality, number>;
  /** Fastest human response to a newly revealed element, ms (simple reaction time >= ~100 ms; eda: the 1 s minimum SCR latency (Dawson et al. 2017) minus the onset-detection error, detected onsets precede true ones by up to ~0.4 s). */
  minReactionMs: Record<Modality, number>;
}

export const DEFAULT_TIMING: TimingConfig = {
  aheadToleranceMs: 50,
  maxDelayMs: 2500,
  maxArrivalGapMs: 3000,
  maxSampleGapMs: { hrv: 2500, motion: 300, typing: 10000, gaze: 1500, voice: 300, eda: 1000 },
  endToleranceMs: { hrv: 2500, motion: 500, typing: 10000, gaze: 800, voice: 500, eda: 1000 },
  minReactionMs: { hrv: 0, motion: 150, typing: 200, gaze: 70, voice: 200, eda: 600 },
};

export interface StreamTimingInput {
  modality: Modality;
  durationMs: number;
  /** Chunks as received: server time since session start, and the device times they carried. */
  chunks: readonly ChunkArrival[];
  /** Server times (ms since session start) at which each element was actually sent; defaults to the schedule. */
  reveal?: readonly RevealEvent[];
  /** Response onsets found by the modality verifier (ModalityResult.responses). */
  responses?: readonly StimulusResponse[];
  config?: Partial<TimingConfig>;
}

export interface StreamTimingResult {
  ok: boolean;
  checks: Check[];
  reasons: string[];
  stats: { maxAheadMs: number; maxDelayMs: number; maxSampleGapMs: number; maxArrivalGapMs: number; lastSampleT: number; lastArrival: number };
}

/**
 * Stream timing, as the transport saw it. Device time t and server arrival time a are related by
 * a >= t + one-way latencies, so:
 *  - a sample that arrives before its own device time (t > a + tolerance) claims to come from the
 *    future: the stream runs ahead of real time (pre-computed or batch-uploaded faster than live);
 *  - a sample that arrives long after its device time was held back (a - t > maxDelay): batch upload
 *    at the end, or time to synthesise an answer after seeing the stimulus;
 *  - a response to an element must start a human reaction time after that element was sent, and the
 *    chunk carrying it must arrive after the element was sent (a device cannot answer what it has not
 *    received, whatever times it claims);
 *  - the sample times may not leave gaps, and the stream must last the sustained duration.
 */
export function checkStreamTiming(input: StreamTimingInput): StreamTimingResult {
  const cfg: TimingConfig = { ...DEFAULT_TIMING, ...input.config };
  const m = input.modality;
  const checks: Check[] = [];
  const add = (id: string, passed: boolean, message: string): void => void checks.push({ id: `timing.${m}.${id}`, passed, message });
  let maxAhead = -Infinity, maxDelay = 0, worstAheadT = 0, worstDelayT = 0, lastArrival = -Infinity, maxArrivalGap = 0;
  const times: number[] = [];
  const arrivalOf: { t: number; a: number }[] = [];
  let prevA: number | null = null;
  for (const ch of input.chunks) {
    if (prevA !== null) maxArrivalGap = Math.max(maxArrivalGap, ch.receivedAt - prevA);
    prevA = ch.receivedAt;
    lastArrival = Math.max(lastArrival, ch.receivedAt);
    for (const t of ch.t) {
      times.push(t);
      arrivalOf.push({ t, a: ch.receivedAt });
      const ahead = t - ch.receivedAt;
      if (ahead > maxAhead) { maxAhead = ahead; worstAheadT = t; }
      const delay = ch.receivedAt - t;
      if (delay > maxDelay) { maxDelay = delay; worstDelayT = t; }
    }
  }
  add('ahead', maxAhead <= cfg.aheadToleranceMs, `timing: ${m} sample at device time ${fmtS(worstAheadT)} arrived ${round(maxAhead, 0)} ms before that time: the stream runs ahead of real time`);
  add('delay', maxDelay <= cfg.maxDelayMs, `timing: ${m} sample from ${fmtS(worstDelayT)} arrived ${round(maxDelay, 0)} ms late (limit ${cfg.maxDelayMs} ms): held back or uploaded in a batch`);
  add('arrival-gap', maxArrivalGap <= cfg.maxArrivalGapMs, `timing: ${m} stream paused ${round(maxArrivalGap, 0)} ms between chunks (limit ${cfg.maxArrivalGapMs} ms)`);
  const sorted = [...times].sort((a, b) => a - b);
  let gap = sorted.length ? sorted[0]! : Infinity;
  for (let i = 1; i < sorted.length; i++) gap = Math.max(gap, sorted[i]! - sorted[i - 1]!);
  add('sample-gap', gap <= cfg.maxSampleGapMs[m], `timing: ${m} stream has a ${round(gap, 0)} ms gap without samples (limit ${cfg.maxSampleGapMs[m]} ms)`);
  const lastT = sorted.length ? sorted[sorted.length - 1]! : -Infinity;
  add('duration', lastT >= input.durationMs - cfg.endToleranceMs[m] && lastArrival >= input.durationMs, `timing: ${m} stream ends at device time ${fmtS(lastT)} (received until ${fmtS(lastArrival)}), before the sustained ${fmtS(input.durationMs)}`);

  if (input.responses?.length) {
    const sent = new Map<number, number>();
    for (const e of input.reveal ?? []) if (e.modality === m) sent.set(e.index, e.revealAt);
    const early: string[] = [];
    for (const r of input.responses) {
      if (r.onset === null) continue;
      const s = sent.get(r.index) ?? r.revealAt;
      if (r.onset < s + cfg.minReactionMs[m]) early.push(`element ${r.index + 1} answered ${round(r.onset - s, 0)} ms after it was sent`);
      // The chunk carrying the onset sample must have arrived after the element was sent.
      const carrier = arrivalOf.find((x) => x.t >= r.onset!);
      if (carrier && carrier.a < s + cfg.minReactionMs[m]) early.push(`element ${r.index + 1} answered in a chunk received ${round(carrier.a - s, 0)} ms after it was sent`);
    }
    add('reaction', early.length === 0, `timing: ${m} answers came faster than a human can react (minimum ${cfg.minReactionMs[m]} ms): ${early.slice(0, 3).join('; ')}`);
  }
  return {
    ok: checks.every((c) => c.passed),
    checks,
    reasons: checks.filter((c) => !c.passed).map((c) => c.message),
    stats: { maxAheadMs: round(maxAhead, 1), maxDelayMs: round(maxDelay, 1), maxSampleGapMs: round(gap, 1), maxArrivalGapMs: round(maxArrivalGap, 1), lastSampleT: lastT, lastArrival },
  };
}
