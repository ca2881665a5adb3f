import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveStimulus } from '../../src/core/stimulus/stimulus.ts';
import { verifyLiveness } from '../../src/core/liveness/verify.ts';
import { MODALITIES } from '../../src/core/policy/modality.ts';
import { makePersonB, simulateSessionB } from '../../clients/device/family-b/index.ts';
import { FAMILY_B } from '../../clients/device/family.ts';
import { attack } from '../../clients/device/attacks.ts';

const stim = (label: string, modalities = [...MODALITIES]) => deriveStimulus(createHash('sha256').update('family-b-test/' + label).digest(), { modalities });

describe('simulator family B (clients/device/family-b)', () => {
  it('is deterministic per person and seed, and people differ', () => {
    const s = stim('det');
    const a = simulateSessionB(s, makePersonB('p1'), s.modalities, { seed: 'x' });
    const b = simulateSessionB(s, makePersonB('p1'), s.modalities, { seed: 'x' });
    expect(JSON.stringify(a.streams)).toBe(JSON.stringify(b.streams));
    expect(JSON.stringify(makePersonB('p1'))).not.toBe(JSON.stringify(makePersonB('p2')));
  });

  it('writes every modality in the stream format, samples in order inside the session', () => {
    const s = stim('format');
    const { streams, arrivals } = simulateSessionB(s, makePersonB('fmt'), s.modalities, { seed: 'fmt' });
    const series = { hrv: streams.hrv!.rr, motion: streams.motion!.acc, typing: streams.typing!.keys, gaze: streams.gaze!.pts, voice: streams.voice!.frames, eda: streams.eda!.sc };
    for (const [m, xs] of Object.entries(series)) {
      expect(xs.length, m).toBeGreaterThan(20);
      for (let i = 1; i < xs.length; i++) expect(xs[i]!.t, m).toBeGreaterThanOrEqual(xs[i - 1]!.t);
      expect(xs[0]!.t).toBeGreaterThanOrEqual(0);
      expect(xs[xs.length - 1]!.t).toBeLessThan(s.durationMs);
      expect(arrivals[m as keyof typeof arrivals]!.length).toBeGreaterThan(0);
    }
  });

  it('never answers an element before it was revealed (ground truth onsets after a human reaction time)', () => {
    for (let i = 0; i < 6; i++) {
      const s = stim('causal' + i);
      const { truth } = simulateSessionB(s, makePersonB('c' + i), s.modalities, { seed: 'c' + i });
      truth.motion!.forEach((t, k) => expect(t - s.motion!.prompts[k]!.atMs).toBeGreaterThanOrEqual(180));
      truth.typing!.forEach((t, k) => expect(t - s.typing!.words[k]!.atMs).toBeGreaterThanOrEqual(180));
      truth.voice!.forEach((t, k) => expect(t - s.voice!.words[k]!.atMs).toBeGreaterThanOrEqual(220));
      truth.eda!.forEach((t, k) => Number.isFinite(t) && expect(t - s.eda!.events[k]!.atMs).toBeGreaterThanOrEqual(900));
    }
  });

  it('answers the challenge: most family-B people pass the primary modalities at the shipped config', () => {
    for (const m of ['motion', 'typing', 'gaze', 'voice'] as const) {
      let ok = 0;
      for (let i = 0; i < 8; i++) {
        const s = stim(`bf/${m}/${i}`, [m]);
        const r = simulateSessionB(s, makePersonB('bf' + i), [m], { seed: `bf/${m}/${i}` });
        if (verifyLiveness({ stimulus: s, streams: r.streams, arrivals: r.arrivals }).accepted) ok++;
      }
      expect(ok, m).toBeGreaterThanOrEqual(5);
    }
  });

  it('drives the attack classes: a family-B recording for another challenge fails coupling', () => {
    const s = stim('attack', ['motion']);
    const a = attack('recording', { stimulus: s, victim: FAMILY_B.makePerson('victim'), modality: 'motion', seed: 'rec', family: FAMILY_B });
    const r = verifyLiveness({ stimulus: a.stimulus, streams: a.streams, arrivals: a.arrivals });
    expect(r.accepted).toBe(false);
    expect(r.reasons.join(' ')).toMatch(/prompted gestures|coupling|not performed/);
  });
});
