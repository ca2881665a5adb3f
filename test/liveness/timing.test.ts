import { describe, expect, it } from 'vitest';
import { checkStreamTiming } from '../../src/core/liveness/timing.ts';
import { revealSchedule } from '../../src/core/stimulus/stimulus.ts';
import type { ChunkArrival } from '../../src/core/liveness/types.ts';
import { sampleTimes } from '../../clients/device/session.ts';
import { genuine } from './helpers.ts';

const D = 30_000;
/** 100 Hz samples over the session, sent in 250 ms chunks arriving `latency` ms after each chunk closes. */
function chunks(latency = 80, until = D, times = Array.from({ length: until / 10 }, (_, i) => i * 10)): ChunkArrival[] {
  const out: ChunkArrival[] = [];
  for (let k = 0; k * 250 < until; k++) out.push({ receivedAt: (k + 1) * 250 + latency, t: times.filter((t) => t >= k * 250 && t < (k + 1) * 250) });
  return out;
}

describe('checkStreamTiming', () => {
  it('accepts a stream delivered live', () => {
    const r = checkStreamTiming({ modality: 'motion', durationMs: D, chunks: chunks() });
    expect(r.ok, r.reasons.join('\n')).toBe(true);
    expect(r.stats.maxDelayMs).toBeLessThanOrEqual(330);
  });

  it('accepts the honest arrivals of a simulated session, with its responses', () => {
    const { session, result, stimulus } = genuine('timing-honest', ['motion', 'voice']);
    for (const m of ['motion', 'voice'] as const) {
      const r = checkStreamTiming({ modality: m, durationMs: D, chunks: session.arrivals[m]!, reveal: revealSchedule(stimulus), responses: result.modalities[m]!.responses });
      expect(r.ok, r.reasons.join('\n')).toBe(true);
    }
    expect(sampleTimes(session.streams, 'motion').length).toBeGreaterThan(1000);
  });

  it('rejects a stream that runs ahead of real time (fast-forwarded upload)', () => {
    const fast = chunks().map((c) => ({ ...c, receivedAt: Math.round(c.receivedAt / 2) }));
    const r = checkStreamTiming({ modality: 'motion', durationMs: D, chunks: fast });
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.id === 'timing.motion.ahead')!.passed).toBe(false);
    expect(r.reasons.join('\n')).toMatch(/runs ahead of real time/);
  });

  it('rejects a batch uploaded after the end (held back)', () => {
    const all = [{ receivedAt: D + 300, t: chunks().flatMap((c) => c.t) }];
    const r = checkStreamTiming({ modality: 'gaze', durationMs: D, chunks: all });
    expect(r.checks.find((c) => c.id === 'timing.gaze.delay')!.passed).toBe(false);
    expect(r.reasons.join('\n')).toMatch(/held back or uploaded in a batch/);
  });

  it('rejects gaps in the samples and pauses in delivery', () => {
    const times = Array.from({ length: 3000 }, (_, i) => i * 10).filter((t) => t < 12_000 || t > 13_500);
    const r = checkStreamTiming({ modality: 'voice', durationMs: D, chunks: chunks(80, D, times) });
    expect(r.checks.find((c) => c.id === 'timing.voice.sample-gap')!.passed).toBe(false);
    const stalled = chunks().map((c) => (c.receivedAt > 10_000 ? { ...c, receivedAt: Math.max(c.receivedAt, 14_500) } : c));
    const s = checkStreamTiming({ modality: 'voice', durationMs: D, chunks: stalled });
    expect(s.checks.find((c) => c.id === 'timing.voice.arrival-gap')!.passed).toBe(false);
  });

  it('rejects a stream that ends before the sustained duration', () => {
    const r = checkStreamTiming({ modality: 'eda', durationMs: D, chunks: chunks(80, 20_000) });
    expect(r.checks.find((c) => c.id === 'timing.eda.duration')!.passed).toBe(false);
    expect(r.reasons.join('\n')).toMatch(/before the sustained 30.0 s/);
  });

  it('rejects answers faster than a human reaction, or received before the element was sent', () => {
    const reveal = [{ modality: 'motion' as const, index: 0, revealAt: 5000, dueAt: 5000, payload: { type: 'gesture' as const, gesture: 'shake' as const } }];
    const early = checkStreamTiming({ modality: 'motion', durationMs: D, chunks: chunks(), reveal, responses: [{ index: 0, revealAt: 5000, onset: 5040 }] });
    expect(early.checks.find((c) => c.id === 'timing.motion.reaction')!.passed).toBe(false);
    // The device claims a plausible onset, but the chunk carrying it reached the server before the
    // element was even sent: it answered something it could not have seen.
    const sentLate = [{ ...reveal[0]!, revealAt: 9000 }];
    const prescient = checkStreamTiming({ modality: 'motion', durationMs: D, chunks: chunks(), reveal: sentLate, responses: [{ index: 0, revealAt: 5000, onset: 5400 }] });
    expect(prescient.ok).toBe(false);
    expect(prescient.reasons.join('\n')).toMatch(/faster than a human can react/);
    const fine = checkStreamTiming({ modality: 'motion', durationMs: D, chunks: chunks(), reveal, responses: [{ index: 0, revealAt: 5000, onset: 5450 }] });
    expect(fine.ok, fine.reasons.join('\n')).toBe(true);
  });

  it('is wired into verifyLiveness when arrivals are given', () => {
    const { result } = genuine('timing-wired', ['typing']);
    expect(result.checks.filter((c) => c.id.startsWith('timing.typing.')).length).toBeGreaterThanOrEqual(5);
  });
});
