import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StimulusDrbg } from '../../src/core/stimulus/drbg.ts';
import { deriveStimulus, revealSchedule, revealedBy } from '../../src/core/stimulus/stimulus.ts';
import { breathingGuide, breathingGuideFromReveals } from '../../src/core/stimulus/hrv.ts';
import { gazeTarget, gazeTargetFromReveals } from '../../src/core/stimulus/gaze.ts';
import { isFirewallError } from '../../src/core/errors.ts';
import { MODALITIES } from '../../src/core/policy/modality.ts';

const SEQ = Uint8Array.from({ length: 32 }, (_, i) => i);

describe('stimulus DRBG (HKDF-SHA-256 + HMAC counter mode)', () => {
  it('matches the known-answer values in docs/liveness.md', () => {
    const d = new StimulusDrbg(SEQ, 'hrv');
    expect(Buffer.from(d.bytes(8)).toString('hex')).toBe('aefd4adaa3f8db7d');
    expect(d.uint32()).toBe(962968733);
    expect(d.float()).toBe(0.035429681316829664);
    expect(d.int(19)).toBe(16);
  });

  it('rejects seeds that are not 32 bytes', () => {
    expect(() => new StimulusDrbg(new Uint8Array(31), 'hrv')).toThrow();
    let caught: unknown = null;
    try {
      deriveStimulus(new Uint8Array(16));
    } catch (e) {
      caught = e;
    }
    expect(isFirewallError(caught, 'STIMULUS_SEED_INVALID')).toBe(true);
  });

  it('int(n) stays in range and float() in [0, 1)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: 1000 }), (seed, n) => {
      const d = new StimulusDrbg(seed, 'x');
      for (let i = 0; i < 20; i++) {
        const v = d.int(n);
        const f = d.float();
        if (v < 0 || v >= n || !Number.isInteger(v) || f < 0 || f >= 1) return false;
      }
      return true;
    }), { numRuns: 50 });
  });
});

describe('deriveStimulus', () => {
  it('is deterministic: the server can recompute it from the nonce', () => {
    expect(deriveStimulus(SEQ)).toEqual(deriveStimulus(Uint8Array.from(SEQ)));
    const s = deriveStimulus(SEQ);
    expect(s.hrv!.segments[0]).toEqual({ startMs: 0, endMs: 3230, rateBpm: 12, phaseAtStart: 0.354 });
    expect(s.motion!.prompts[1]).toEqual({ atMs: 6174, gesture: 'shake' });
    expect(s.typing!.words.slice(0, 3).map((w) => w.word)).toEqual(['tree', 'wood', 'paper']);
  });

  it('is unpredictable: different nonces give different schedules in every modality', () => {
    const seen = new Map<string, Set<string>>();
    for (let i = 0; i < 30; i++) {
      const seed = Uint8Array.from(SEQ);
      seed[31] = i;
      const s = deriveStimulus(seed);
      for (const m of MODALITIES) {
        const set = seen.get(m) ?? new Set<string>();
        set.add(JSON.stringify(s[m]));
        seen.set(m, set);
      }
    }
    for (const m of MODALITIES) expect(seen.get(m)!.size, m).toBe(30);
  });

  it('derives each modality independently of which others are requested', () => {
    const all = deriveStimulus(SEQ);
    const one = deriveStimulus(SEQ, { modalities: ['voice'] });
    expect(one.voice).toEqual(all.voice);
    expect(one.modalities).toEqual(['voice']);
    expect(one.hrv).toBeUndefined();
  });

  it('respects the physiological design constraints', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
      const s = deriveStimulus(seed);
      const segs = s.hrv!.segments;
      const rates = segs.every((g) => g.rateBpm >= 6 && g.rateBpm <= 15);
      const hops = segs.slice(1).every((g, i) => Math.abs(g.rateBpm - segs[i]!.rateBpm) >= 3);
      const contiguous = segs.slice(1).every((g, i) => g.startMs === segs[i]!.endMs) && segs[segs.length - 1]!.endMs === 30000;
      const p = s.motion!.prompts;
      const gestures = p.slice(1).every((g, i) => g.gesture !== p[i]!.gesture) && p.some((g) => g.gesture === 'shake');
      const cues = s.eda!.events.slice(1).every((e, i) => e.atMs - s.eda!.events[i]!.atMs >= 3000);
      let inside = true;
      for (let t = 0; t < 30000; t += 250) {
        const g = gazeTarget(s.gaze!, t);
        if (g.x < 0.14 || g.x > 0.86 || g.y < 0.14 || g.y > 0.86) inside = false;
      }
      return rates && hops && contiguous && gestures && cues && inside;
    }), { numRuns: 40 });
  });

  it('rejects invalid durations and modalities', () => {
    expect(() => deriveStimulus(SEQ, { durationMs: 5000 })).toThrow(/durationMs/);
    expect(() => deriveStimulus(SEQ, { modalities: ['face' as never] })).toThrow(/unknown modality/);
  });
});

describe('progressive reveal', () => {
  const s = deriveStimulus(SEQ);
  const schedule = revealSchedule(s);

  it('is sorted and reveals nothing ahead of its time', () => {
    for (let i = 1; i < schedule.length; i++) expect(schedule[i]!.revealAt).toBeGreaterThanOrEqual(schedule[i - 1]!.revealAt);
    const at10 = revealedBy(schedule, 10_000);
    expect(at10.every((e) => e.revealAt <= 10_000)).toBe(true);
    expect(at10.some((e) => e.modality === 'typing' && e.payload.type === 'word' && e.payload.word === s.typing!.words[4]!.word)).toBe(false);
  });

  it('reveals the gaze path at most 1.2 s ahead and the device can render it', () => {
    for (const e of schedule.filter((x) => x.modality === 'gaze')) expect(e.dueAt - e.revealAt).toBeLessThanOrEqual(200);
    const revealed = revealedBy(schedule, 5000);
    expect(gazeTargetFromReveals(revealed, 6300)).toBeNull();
    const p = gazeTargetFromReveals(revealed, 4321)!;
    const q = gazeTarget(s.gaze!, 4321);
    expect(Math.hypot(p.x - q.x, p.y - q.y)).toBeLessThan(0.002);
  });

  it('lets the device follow the breathing guide from reveals alone', () => {
    const revealed = revealedBy(schedule, 20_000);
    for (const t of [100, 5000, 12_345, 19_999]) {
      expect(breathingGuideFromReveals(revealed, t)!.volume).toBeCloseTo(breathingGuide(s.hrv!, t).volume, 9);
    }
    expect(breathingGuideFromReveals(revealedBy(schedule, 0).filter((e) => e.modality === 'hrv').slice(0, 0), 10)).toBeNull();
  });
});
