import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/liveness/config.ts';
import { scanChange } from '../../src/core/liveness/consistency.ts';
import { analyseMotion, motionSegmentFeatures } from '../../src/core/liveness/motion.ts';
import type { Vec3Sample } from '../../src/core/liveness/types.ts';
import { Rng } from '../../clients/device/rng.ts';

/**
 * The motion one-hand-throughout scan (issue #15 item 3: estimator biases). A hand at rest whose
 * tremor is a narrow band (a 0.3 Hz wide resonance, as some people's is) has a tremor level that
 * beats from second to second: over 15 s its estimate is far less certain than a broad-band
 * tremor's, and the scan must know that from the part's own blocks, not from one fixed scale.
 */
function restingHand(seed: string): Vec3Sample[] {
  const r = new Rng(seed);
  const comps = Array.from({ length: 6 }, () => ({ f: r.uniform(5.85, 6.15), ph: r.uniform(0, 2 * Math.PI), a: r.uniform(0.02, 0.06) }));
  const pitch = (40 * Math.PI) / 180;
  const out: Vec3Sample[] = [];
  for (let t = 0; t < 30_000; t += 10) {
    const s = t / 1000;
    const tr = comps.reduce((acc, c) => acc + c.a * Math.sin(2 * Math.PI * c.f * s + c.ph), 0);
    out.push({ t, x: tr + 0.004 * r.normal(), y: 9.81 * Math.sin(pitch) + 0.5 * tr + 0.004 * r.normal(), z: 9.81 * Math.cos(pitch) + 0.7 * tr + 0.004 * r.normal() });
  }
  return out;
}

describe('motion scan: a narrow-band tremor is one hand', () => {
  it('does not take the beating of a narrow-band tremor for a change of hand', () => {
    const cfg = DEFAULT_CONFIG.motion;
    const over = [0, 1, 2, 3, 4, 5, 6, 7].filter((k) => {
      const acc = restingHand('narrow/' + k);
      const a = analyseMotion({ acc }, cfg);
      return scanChange(0, 29_990, cfg.consistency!, motionSegmentFeatures(acc, a)).stat > cfg.consistency!.maxStat;
    }).length;
    expect(over).toBeLessThanOrEqual(1);
  });
});
