import { describe, expect, it } from 'vitest';
import { MODALITIES, type Modality } from '../../src/core/policy/modality.ts';
import { verifyLiveness } from '../../src/core/liveness/verify.ts';
import type { LivenessResult } from '../../src/core/liveness/types.ts';
import { makePerson } from '../../clients/device/person.ts';
import { attack, type AttackKind } from '../../clients/device/attacks.ts';
import { stimulusFor } from './helpers.ts';

function attempt(kind: AttackKind, m: Modality, k: number, victimId = `atk-victim-${m}-${k}`): LivenessResult {
  const victim = makePerson(victimId);
  const stimulus = stimulusFor(`atk-${kind}-${m}-${k}`, [m]);
  const a = attack(kind, { stimulus, victim, modality: m, seed: `test/${kind}/${m}/${k}` });
  return verifyLiveness({ stimulus: a.stimulus, streams: a.streams, arrivals: a.arrivals, history: a.history });
}

function expectRejected(r: LivenessResult, idPattern: RegExp): void {
  expect(r.accepted).toBe(false);
  const failed = [...Object.values(r.modalities).flatMap((x) => x!.checks), ...r.checks].filter((c) => !c.passed).map((c) => c.id);
  expect(failed.some((id) => idPattern.test(id)), `failed: ${failed.join(', ')}`).toBe(true);
  expect(r.reasons.length).toBeGreaterThan(0);
}

const STRONG: Modality[] = ['motion', 'typing', 'gaze', 'voice'];

describe('every attack class is rejected', () => {
  it('verbatim replay of an answer to another challenge (fingerprint held): duplicate and coupling', () => {
    for (const m of MODALITIES) {
      const r = attempt('replay', m, 0);
      expectRejected(r, /^duplicate$/);
      expect(r.reasons.join('\n')).toMatch(/near-copy of earlier response/);
    }
  });

  it('re-timed / time-warped replay', () => {
    for (const m of STRONG) for (let k = 0; k < 2; k++) expectRejected(attempt('replay-warped', m, k), /coupling|text|reveal-latency|lag/);
  });

  it('unsubmitted recording answering another challenge: coupling to THIS challenge fails', () => {
    for (const m of STRONG) for (let k = 0; k < 2; k++) expectRejected(attempt('recording', m, k), /coupling|text|reveal-latency|lag|unprompted/);
  });

  it('synthetic periodic signals (clean, stimulus-following)', () => {
    const expected: Record<Modality, RegExp> = {
      hrv: /too-perfect|beat-noise/, motion: /rest-noise|gyro|gravity/, typing: /rhythm/, gaze: /residual/, voice: /jitter|intonation/, eda: /sensor-noise|too-regular/,
    };
    for (const m of MODALITIES) expectRejected(attempt('synthetic-periodic', m, 0), expected[m]);
  });

  it('white noise and 1/f noise', () => {
    for (const kind of ['white-noise', 'pink-noise'] as const) for (const m of MODALITIES) expectRejected(attempt(kind, m, 0), /./);
  });

  it('physiologically impossible values, with readable reasons', () => {
    const expected: Record<Modality, RegExp> = {
      hrv: /hrv\.(range|beat-to-beat)/, motion: /motion\.(acceleration|jerk)/, typing: /typing\.hold-range/, gaze: /gaze\.(coordinates|velocity)/, voice: /voice\.(f0-range|f0-continuity)/, eda: /eda\.(range|slope)/,
    };
    for (const m of MODALITIES) for (let k = 0; k < 2; k++) expectRejected(attempt('impossible', m, k), expected[m]);
  });

  it('spliced streams from two people: a heart-rate level jump', () => {
    // Choose a victim and a splice partner whose resting heart rates differ clearly.
    let n = 0;
    for (let k = 0; n < 3 && k < 60; k++) {
      const victimId = `splice-victim-${k}`;
      const other = makePerson('splice-other/' + `test/splice/hrv/${k}`);
      if (Math.abs(makePerson(victimId).hrv.hrBpm - other.hrv.hrBpm) < 12) continue;
      n++;
      expectRejected(attempt('splice', 'hrv', k, victimId), /hrv\.(stationarity|beat-to-beat)/);
    }
    expect(n).toBe(3);
  });

  it('modalities that contradict each other (not recorded on one device by one body)', () => {
    for (let k = 0; k < 4; k++) expectRejected(attempt('contradict', 'typing', k), /cross\.taps/);
    for (let k = 0; k < 4; k++) expectRejected(attempt('contradict', 'gaze', k), /cross\.shake-gaze/);
  });

  it('batch upload faster than real time, or answers ahead of their reveal', () => {
    for (const m of STRONG) for (let k = 0; k < 3; k++) expectRejected(attempt('batch-upload', m, k), /timing\.|lag|reveal-latency|coupling/);
  });

  it('truncation before the sustained duration', () => {
    for (const m of MODALITIES) expectRejected(attempt('truncation', m, 0), /coverage|timing\..*duration|text/);
  });

  it('documents the limit: a live physiological synthesiser is not stopped by signal checks alone', () => {
    let accepted = 0;
    for (let k = 0; k < 4; k++) if (attempt('live-synthesis', 'gaze', k).accepted) accepted++;
    expect(accepted).toBeGreaterThan(0);
  });
});
