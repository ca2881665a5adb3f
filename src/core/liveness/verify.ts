import { MODALITIES } from '../policy/modality.ts';
import { revealSchedule } from '../stimulus/stimulus.ts';
import type { RevealEvent, Stimulus } from '../stimulus/types.ts';
import { unusable } from './checks.ts';
import { resolveConfig, type ConfigOverrides, type LivenessConfig } from './config.ts';
import { checkCrossModal } from './cross-modal.ts';
import { verifyEda } from './eda.ts';
import { checkElementReuse, elementFeatures } from './elements.ts';
import { compareFingerprints, fingerprintStreams } from './fingerprint.ts';
import { verifyGaze } from './gaze.ts';
import { verifyHrv } from './hrv.ts';
import { analyseMotion, verifyMotion, type MotionAnalysis } from './motion.ts';
import { checkStreamTiming, type TimingConfig } from './timing.ts';
import { decideAcceptance, WEAK_RESPONSE_CHECKS } from './fusion.ts';
import type { Check, ChunkArrival, Fingerprint, LivenessResult, Modality, ModalityResult, PersonProfile, SessionStreams } from './types.ts';
import { verifyTyping } from './typing.ts';
import { verifyVoice } from './voice.ts';

export interface VerifyInput {
  /** The stimulus, recomputed by the server from the challenge nonce (deriveStimulus). */
  stimulus: Stimulus;
  /** The streams the device sent (untrusted: every field is checked). */
  streams: SessionStreams;
  /** Fingerprints of this person's (or everyone's) earlier accepted responses. */
  history?: readonly Fingerprint[];
  /** The claimed person's enrolled profile (buildProfile). */
  profile?: PersonProfile;
  /** How the streams arrived, per modality; when given, stream timing is checked too. */
  arrivals?: Partial<Record<Modality, readonly ChunkArrival[]>>;
  /** Actual send times of the reveal events (defaults to the schedule). */
  reveal?: readonly RevealEvent[];
  config?: ConfigOverrides | LivenessConfig;
  timing?: Partial<TimingConfig>;
  /** Which modalities must pass (default: every modality of the stimulus). */
  acceptance?: AcceptancePolicy;
}

/**
 * Decision rule for sessions with several modalities (docs/liveness.md §Acceptance, fusion.ts).
 * Modalities listed as `supporting` may fail for lack of response (their `WEAK_RESPONSE_CHECKS`)
 * without rejecting the session, and never carry it. With two or more primary (not supporting)
 * modalities the soft checks are fused (fusion.ts) unless `fusion` is false; hard checks (any failure
 * that is evidence of an attack or an impossibility, and every cross-modal, duplicate, reuse and
 * timing check) reject alone under every rule. With one primary every check but the supporting
 * modalities' weak-response checks must pass.
 */
export interface AcceptancePolicy {
  supporting?: readonly Modality[];
  /** Score-level fusion of soft checks for two or more primaries (default true). */
  fusion?: boolean;
}

/** Session checks whose failure means the response, or pieces of it, were used before: a replay. */
export const REPLAY_CHECKS: readonly string[] = ['duplicate', 'reuse'];

export { WEAK_RESPONSE_CHECKS };

/**
 * Verify a biological-signature transcript against the challenge's stimulus. Pure: no clock, no I/O,
 * no randomness; the same input always gives the same result. Accepts only if the acceptance rule
 * (fusion.ts: every check, or fused soft evidence for two or more primaries) accepts the modalities, cross-modal checks pass, no
 * earlier fingerprint is a near-duplicate, no response element repeats an earlier one (re-assembly), and (when arrivals are given) every stream arrived in real
 * time.
 */
export function verifyLiveness(input: VerifyInput): LivenessResult {
  const cfg = resolveConfig(input.config as ConfigOverrides | undefined);
  const { stimulus: stim, streams } = input;
  // Multiple testing: every modality runs its own one-person-throughout scan, so a session with k of
  // them would reject a genuine person k times as often. Each threshold is raised by
  // 1 + 0.15 log2(k) (x1.15 for two, x1.39 for six modalities; the tail of the bona fide scan
  // statistic on the tuning corpus), keeping the session-wide false alarm near one modality's.
  const k = stim.modalities.length;
  if (k > 1) {
    const f = 1 + 0.15 * Math.log2(k);
    for (const m of stim.modalities) {
      const sec = cfg[m] as { consistency?: { maxStat: number } };
      if (sec.consistency) sec.consistency = { ...sec.consistency, maxStat: sec.consistency.maxStat * f };
    }
  }
  const D = stim.durationMs;
  const results: Partial<Record<Modality, ModalityResult>> = {};
  const prof = input.profile;
  for (const m of stim.modalities) {
    const s = streams ?? {};
    let r: ModalityResult;
    if (m === 'hrv') r = stim.hrv ? verifyHrv(s.hrv, stim.hrv, D, cfg.hrv, prof?.hrv) : unusable(m, 'hrv: stimulus missing');
    else if (m === 'motion') r = stim.motion ? verifyMotion(s.motion, stim.motion, D, cfg.motion, prof?.motion) : unusable(m, 'motion: stimulus missing');
    else if (m === 'typing') {
      // When gestures are prompted too, the typing hand is busy for a while after each prompt.
      const busy = (stim.motion?.prompts ?? []).map((p): [number, number] => [p.atMs, p.atMs + cfg.motion.windowMs]);
      r = stim.typing ? verifyTyping(s.typing, stim.typing, D, cfg.typing, prof?.typing, busy) : unusable(m, 'typing: stimulus missing');
    }
    else if (m === 'gaze') r = stim.gaze ? verifyGaze(s.gaze, stim.gaze, D, cfg.gaze, prof?.gaze) : unusable(m, 'gaze: stimulus missing');
    else if (m === 'voice') r = stim.voice ? verifyVoice(s.voice, stim.voice, D, cfg.voice, prof?.voice) : unusable(m, 'voice: stimulus missing');
    else r = stim.eda ? verifyEda(s.eda, stim.eda, D, cfg.eda, prof?.eda) : unusable(m, 'eda: stimulus missing');
    results[m] = r;
  }
  const checks: Check[] = [];
  const usable = new Set(stim.modalities.filter((m) => !results[m]!.checks.some((c) => c.id.endsWith('.format'))));
  // One analysis of the motion stream for the cross-modal checks and the element descriptors.
  let motionAnalysis: MotionAnalysis | undefined;
  const motion = (): MotionAnalysis => (motionAnalysis ??= analyseMotion(streams.motion!, cfg.motion));
  checks.push(...checkCrossModal(streams ?? {}, stim, cfg, usable, motion));

  const fingerprint: Fingerprint = fingerprintStreams(streams ?? {}, [...usable], cfg.fingerprint.hashes);
  let worst = 0, worstAt = -1, worstM = '';
  (input.history ?? []).forEach((h, i) => {
    for (const [m, sim] of Object.entries(compareFingerprints(fingerprint, h))) {
      if (sim > worst) {
        worst = sim;
        worstAt = i;
        worstM = m;
      }
    }
  });
  if (input.history?.length) checks.push({ id: 'duplicate', passed: worst < cfg.fingerprint.duplicateSimilarity, message: `duplicate: the ${worstM} response is a near-copy of earlier response #${worstAt + 1} (similarity ${Math.round(worst * 100)} %, limit ${cfg.fingerprint.duplicateSimilarity * 100} %): a replay` });
  // Element by element (elements.ts): a response re-assembled from pieces of earlier sessions.
  fingerprint.elements = elementFeatures(stim, streams ?? {}, results, usable, cfg, motion);
  if (input.history?.some((h) => h.elements?.length)) checks.push(checkElementReuse(fingerprint.elements, input.history, cfg.elements.maxDistance, cfg.elements.maxReused).check);

  if (input.arrivals) {
    const reveal = input.reveal ?? revealSchedule(stim);
    for (const m of stim.modalities) {
      const chunks = input.arrivals[m];
      if (!chunks) {
        checks.push({ id: `timing.${m}.missing`, passed: false, message: `timing: no arrival record for ${m}` });
        continue;
      }
      checks.push(...checkStreamTiming({ modality: m, durationMs: D, chunks, reveal, responses: results[m]!.responses, config: input.timing }).checks);
    }
  }

  const modalityReasons = MODALITIES.flatMap((m) => results[m]?.reasons ?? []);
  const reasons = [...modalityReasons, ...checks.filter((c) => !c.passed).map((c) => c.message)];
  const supporting = new Set((input.acceptance?.supporting ?? []).filter((m) => stim.modalities.includes(m)));
  const decision = decideAcceptance({ modalities: stim.modalities, results, checks, supporting, fusion: input.acceptance?.fusion === false ? false : cfg.fusion });
  const { accepted } = decision;
  const required = stim.modalities.filter((m) => !supporting.has(m));
  const decisive = required.length > 0 ? required : stim.modalities;
  const scores = decisive.map((m) => results[m]!.score);
  // A modality carried by fusion scores below 0.5 on its own; the session's score is then 0.5.
  const score = accepted ? Math.max(0.5, Math.min(...scores)) : Math.min(0.49, Math.min(...stim.modalities.map((m) => results[m]!.score)));
  const { accepted: _, ...rule } = decision;
  return { accepted, score: Math.round(score * 1000) / 1000, modalities: results, reasons, checks, fingerprint, decision: rule };
}
