import { describe, expect, it } from 'vitest';
import { verifyLiveness } from '../../src/core/liveness/verify.ts';
import { compareFingerprints, fingerprintStreams } from '../../src/core/liveness/fingerprint.ts';
import { permutationEntropy } from '../../src/core/liveness/dsp.ts';
import { resolveConfig, DEFAULT_CONFIG } from '../../src/core/liveness/config.ts';
import type { SessionStreams } from '../../src/core/liveness/types.ts';
import { genuine, stimulusFor } from './helpers.ts';

function reasonsFor(label: string, m: 'hrv' | 'motion' | 'typing' | 'gaze' | 'voice' | 'eda', mutate: (s: SessionStreams) => void): string {
  const { stimulus, session } = genuine(label, [m]);
  const streams = structuredClone(session.streams);
  mutate(streams);
  const r = verifyLiveness({ stimulus, streams });
  expect(r.accepted).toBe(false);
  return r.reasons.join('\n');
}

describe('plausibility failures give readable reasons', () => {
  it('hrv: an RR interval of 250 ms', () => {
    expect(reasonsFor('pl-hrv', 'hrv', (s) => void (s.hrv!.rr[10]!.ms = 250))).toMatch(/hrv: 1 RR interval\(s\) outside 300-2000 ms \(heart rate 30-200 bpm\); first 250 ms at \d+\.\d s/);
  });
  it('motion: a 10 g spike', () => {
    expect(reasonsFor('pl-motion', 'motion', (s) => void (s.motion!.acc[500]!.x = 98))).toMatch(/motion: 1 sample\(s\) exceed 60 m\/s\^2/);
  });
  it('typing: a 3 ms key hold', () => {
    const msg = reasonsFor('pl-typing', 'typing', (s) => {
      const keys = s.typing!.keys;
      for (let n = 0, i = 0; i < keys.length && n < 3; i++) {
        const d = keys[i]!;
        if (d.type !== 'down') continue;
        const up = keys.find((k) => k.type === 'up' && k.key === d.key && k.t >= d.t)!;
        up.t = d.t + 3;
        n++;
      }
      keys.sort((a, b) => a.t - b.t);
    });
    expect(msg).toMatch(/typing: 3 key hold\(s\) outside 15-1500 ms/);
  });
  it('gaze: points far off the screen', () => {
    expect(reasonsFor('pl-gaze', 'gaze', (s) => { for (const i of [100, 300, 500]) s.gaze!.pts[i]!.x = 3; })).toMatch(/gaze: 3 point\(s\) far off the screen/);
  });
  it('voice: a 900 Hz "voice"', () => {
    expect(reasonsFor('pl-voice', 'voice', (s) => { for (const f of s.voice!.frames) if (f.f0Hz !== null) f.f0Hz = 900; })).toMatch(/voiced frames have f0 outside 50-500 Hz/);
  });
  it('eda: conductance that jumps by 10 uS', () => {
    expect(reasonsFor('pl-eda', 'eda', (s) => { for (let i = 100; i < 104; i++) s.eda!.sc[i]!.uS += 10; })).toMatch(/eda: conductance changes faster than sweat glands allow/);
  });
  it('malformed streams are rejected, not thrown on', () => {
    const stim = stimulusFor('pl-malformed', ['hrv', 'motion', 'voice']);
    const r = verifyLiveness({
      stimulus: stim,
      streams: { hrv: { rr: [{ t: 5, ms: 800 }, { t: 2, ms: 800 }] }, motion: 'nope' as never, voice: { frames: [] } },
    });
    expect(r.accepted).toBe(false);
    expect(r.reasons.join('\n')).toMatch(/hrv: sample 1 goes back in time/);
    expect(r.reasons.join('\n')).toMatch(/motion: no accelerometer stream/);
    expect(r.reasons.join('\n')).toMatch(/voice: no voice frames/);
  });
  it('a missing modality stream is a reason, not an exception', () => {
    const r = verifyLiveness({ stimulus: stimulusFor('pl-missing', ['eda']), streams: {} });
    expect(r.reasons).toContain('eda: no skin-conductance stream (need at least 20 samples)');
  });
});

describe('fingerprints', () => {
  it('a verbatim copy matches; independent sessions do not', () => {
    const a = genuine('fp-a', ['motion', 'hrv', 'typing']);
    const b = genuine('fp-b', ['motion', 'hrv', 'typing'], 'test-person-fp-a');
    const fa = fingerprintStreams(a.session.streams, ['motion', 'hrv', 'typing']);
    expect(compareFingerprints(fa, fingerprintStreams(structuredClone(a.session.streams), ['motion', 'hrv', 'typing']))).toEqual({ motion: 1, hrv: 1, typing: 1 });
    const cross = compareFingerprints(fa, fingerprintStreams(b.session.streams, ['motion', 'hrv', 'typing']));
    for (const v of Object.values(cross)) expect(v).toBeLessThan(DEFAULT_CONFIG.fingerprint.duplicateSimilarity);
    expect(JSON.stringify(fa)).not.toMatch(/\./); // 32-bit integers only: no sample values
  });
});

describe('configuration and helpers', () => {
  it('overrides thresholds without touching the defaults', () => {
    const c = resolveConfig({ gaze: { minCorrelation: 0.99 } });
    expect(c.gaze.minCorrelation).toBe(0.99);
    expect(DEFAULT_CONFIG.gaze.minCorrelation).toBe(0.7);
    const { stimulus, session } = genuine('cfg-gaze', ['gaze']);
    expect(verifyLiveness({ stimulus, streams: session.streams }).accepted).toBe(true);
    expect(verifyLiveness({ stimulus, streams: session.streams, config: c }).reasons.join('\n')).toMatch(/need 0.99/);
  });
  it('permutation entropy: 0 for a monotone series, ~1 for noise', () => {
    expect(permutationEntropy([1, 2, 3, 4, 5, 6, 7, 8, 9])).toBe(0);
    let x = 12345;
    const noise = Array.from({ length: 2000 }, () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31));
    expect(permutationEntropy(noise)).toBeGreaterThan(0.98);
  });
});
