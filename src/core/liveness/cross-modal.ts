import type { Stimulus } from '../stimulus/types.ts';
import { fmtS } from './checks.ts';
import type { LivenessConfig } from './config.ts';
import { median, round } from './dsp.ts';
import { fitGaze } from './gaze.ts';
import { analyseMotion, type MotionAnalysis } from './motion.ts';
import type { Check, Modality, SessionStreams } from './types.ts';

function span(streams: SessionStreams, m: Modality): [number, number] | null {
  const s = streams as Record<string, Record<string, { t: number }[]> | undefined>;
  const key = m === 'hrv' ? 'rr' : m === 'motion' ? 'acc' : m === 'typing' ? 'keys' : m === 'gaze' ? 'pts' : m === 'voice' ? 'frames' : 'sc';
  const arr = s[m]?.[key];
  if (!Array.isArray(arr) || arr.length === 0) return null;
  return [arr[0]!.t, arr[arr.length - 1]!.t];
}

/**
 * Checks that need two modalities at once: the streams of one session describe one body on one
 * time base.
 *  - time base: all streams start and end together (typing and heartbeats are sparse, so they are
 *    judged only against the session bounds by their own verifiers);
 *  - typing + motion: every screen tap jolts the phone; a key-down with no accelerometer transient
 *    within 20 ms before to 60 ms after it was not typed on this phone (TapLogger, Xu et al. 2012);
 *  - motion + gaze: a front-camera eye tracker cannot track eyes while the phone is shaken; a gaze
 *    trace that stays as clean during a shake as at rest did not come from this phone's camera.
 * Only pairs that are present are checked; the checks only run when both streams are well-formed.
 */
export function checkCrossModal(streams: SessionStreams, stim: Stimulus, cfg: LivenessConfig, usable: ReadonlySet<Modality>, motion?: () => MotionAnalysis): Check[] {
  const checks: Check[] = [];
  const dense = (['motion', 'gaze', 'voice', 'eda'] as Modality[]).filter((m) => usable.has(m));
  const spans = dense.map((m) => [m, span(streams, m)] as const).filter((x): x is readonly [Modality, [number, number]] => x[1] !== null);
  if (spans.length >= 2) {
    const starts = spans.map((s) => s[1][0]), ends = spans.map((s) => s[1][1]);
    const skew = Math.max(Math.max(...starts) - Math.min(...starts), Math.max(...ends) - Math.min(...ends));
    checks.push({ id: 'cross.time-base', passed: skew <= cfg.crossModal.maxEdgeSkewMs, message: `cross-modal: streams do not share one time base (${spans.map(([m, [a, b]]) => `${m} ${fmtS(a)}-${fmtS(b)}`).join(', ')})` });
  }

  if (usable.has('typing') && usable.has('motion') && streams.typing && streams.motion) {
    const acc = streams.motion.acc;
    const rate = ((acc.length - 1) * 1000) / Math.max(1, acc[acc.length - 1]!.t - acc[0]!.t);
    const downs = streams.typing.keys.filter((k) => k.type === 'down').map((k) => k.t);
    // A ~30 ms tap needs >= 40 Hz sampling to be seen at all.
    if (rate >= 40 && downs.length >= 5) {
      const ts = acc.map((s) => s.t);
      const lower = (t: number): number => {
        let lo = 0, hi = ts.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (ts[mid]! < t) lo = mid + 1;
          else hi = mid;
        }
        return lo;
      };
      // Paired test: the jolt right at a key-down versus the jolt in an equal window midway between
      // that key-down and the previous one. Taps on this phone make the first larger most of the time;
      // keys from elsewhere do so only by chance (half the time).
      const jolt = (from: number, to: number): number => {
        const w0 = lower(from), w1 = lower(to), b0 = lower(from - 150), b1 = lower(to + 150);
        if (w1 - w0 < 2 || b1 - b0 < 8) return NaN;
        const mu = median(acc.slice(b0, b1).map((s) => s.z));
        let j = 0;
        for (let i = w0; i < w1; i++) j = Math.max(j, Math.abs(acc[i]!.z - mu));
        return j;
      };
      let felt = 0, judged = 0;
      for (let k = 1; k < downs.length; k++) {
        const t = downs[k]!, prev = downs[k - 1]!;
        if (t - prev < 200) continue;
        const mid = (t + prev) / 2;
        const on = jolt(t - 20, t + 60), off = jolt(mid - 20, mid + 60);
        if (!Number.isFinite(on) || !Number.isFinite(off)) continue;
        judged++;
        if (on > off) felt++;
      }
      if (judged >= 8) {
        const share = felt / judged;
        checks.push({ id: 'cross.taps', passed: share >= cfg.crossModal.minTapCoupling, message: `cross-modal: only ${Math.round(share * 100)} % of key presses jolt the accelerometer more than the moments between them (need ${cfg.crossModal.minTapCoupling * 100} %): the keys were not typed on the phone that recorded the motion` });
      }
    }
  }

  if (usable.has('motion') && usable.has('gaze') && streams.motion && streams.gaze && stim.gaze) {
    // Shakes: full-energy shake episodes, or a weaker one answering a shake prompt (the motion check
    // tolerates one weak gesture; this test needs the movement, not its size).
    const shakePrompts = (stim.motion?.prompts ?? []).filter((p) => p.gesture === 'shake');
    // Only movements that answer a shake prompt: a quick tilt about the elbow also carries energy above
    // 2 Hz and may read as a shake episode, but the camera keeps the face through it (simulator family B).
    const answersShake = (e: { start: number }): boolean => shakePrompts.some((p) => e.start >= p.atMs && e.start < p.atMs + cfg.motion.windowMs);
    const shakes = (motion ? motion() : analyseMotion(streams.motion, cfg.motion)).episodes.filter((e) => e.end - e.start >= 300 && answersShake(e) && (e.kind === 'shake' || e.peak >= cfg.motion.shakeMinRms / 2));
    if (shakes.length === 0 && shakePrompts.length > 0) {
      // Without the shake this session has no test that ties the gaze stream to this phone.
      checks.push({ id: 'cross.shake-gaze', passed: false, message: 'cross-modal: the phone was not shaken when prompted, so nothing ties the gaze stream to this phone\'s camera' });
    } else if (shakes.length > 0) {
      const pts = streams.gaze.pts;
      const fit = fitGaze(pts, stim.gaze, stim.durationMs);
      const inShake: number[] = [], rest: number[] = [];
      let expected = 0;
      pts.forEach((p, i) => (shakes.some((e) => p.t >= e.start && p.t <= e.end) ? inShake : rest).push(fit.residuals[i]!));
      for (const e of shakes) expected += e.end - e.start;
      const rate = pts.length / Math.max(1, pts[pts.length - 1]!.t - pts[0]!.t);
      const dropout = inShake.length < 0.5 * expected * rate;
      const ratio = inShake.length ? median(inShake) / Math.max(1e-6, median(rest)) : Infinity;
      checks.push({ id: 'cross.shake-gaze', passed: dropout || ratio >= cfg.crossModal.minShakeGazeRatio, message: `cross-modal: gaze stayed as precise while the phone was shaken as at rest (error ratio ${round(ratio, 2)}, expected >= ${cfg.crossModal.minShakeGazeRatio} or tracking loss): the gaze did not come from this phone's camera` });
    }
  }
  return checks;
}
