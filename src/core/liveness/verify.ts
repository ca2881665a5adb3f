import { MODALITIES } from '../policy/modality.ts';
import { revealSchedule } from '../stimulus/stimulus.ts';
import type { RevealEvent, Stimulus } from '../stimulus/types.ts';
import { unusable } from './checks.ts';
import { resolveConfig, type ConfigOverrides, type LivenessConfig } from './config.ts';
import { checkCrossModal } from './cross-modal.ts';
import { verifyEda } from './eda.ts';
import { compareFingerprints, fingerprintStreams } from './fingerprint.ts';
import { verifyGaze } from './gaze.ts';
import { verifyHrv } from './hrv.ts';
import { verifyMotion } from './motion.ts';
import { checkStreamTiming, type TimingConfig } from './timing.ts';
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
}

/**
 * Verify a biological-signature transcript against the challenge's stimulus. Pure: no clock, no I/O,
 * no randomness; the same input always gives the same result. Accepts only if every required modality
 * passes, cross-modal checks pass, no earlier fingerprint is a near-duplicate, and (when arrivals are
 * given) every stream arrived in real time.
 */
export function verifyLiveness(input: VerifyInput): LivenessResult {
  const cfg = resolveConfig(input.config as ConfigOverrides | undefined);
  const { stimulus: stim, streams } = input;
  const D = stim.durationMs;
  const results: Partial<Record<Modality, ModalityResult>> = {};
  const prof = input.profile;
  for (const m of stim.modalities) {
    const s = streams ?? {};
    let r: ModalityResult;
    if (m === 'hrv') r = stim.hrv ? verifyHrv(s.hrv, stim.hrv, D, cfg.hrv, prof?.hrv) : unusable(m, 'hrv: stimulus missing');
    else if (m === 'motion') r = stim.motion ? verifyMotion(s.motion, stim.motion, D, cfg.motion, prof?.motion) : unusable(m, 'motion: stimulus missing');
    else if (m === 'typing') r = stim.typing ? verifyTyping(s.typing, stim.typing, D, cfg.typing, prof?.typing) : unusable(m, 'typing: stimulus missing');
    else if (m === 'gaze') r = stim.gaze ? verifyGaze(s.gaze, stim.gaze, D, cfg.gaze, prof?.gaze) : unusable(m, 'gaze: stimulus missing');
    else if (m === 'voice') r = stim.voice ? verifyVoice(s.voice, stim.voice, D, cfg.voice, prof?.voice) : unusable(m, 'voice: stimulus missing');
    else r = stim.eda ? verifyEda(s.eda, stim.eda, D, cfg.eda, prof?.eda) : unusable(m, 'eda: stimulus missing');
    results[m] = r;
  }
  const checks: Check[] = [];
  const usable = new Set(stim.modalities.filter((m) => !results[m]!.checks.some((c) => c.id.endsWith('.format'))));
  checks.push(...checkCrossModal(streams ?? {}, stim, cfg, usable));

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
  const accepted = stim.modalities.every((m) => results[m]!.accepted) && checks.every((c) => c.passed);
  const scores = stim.modalities.map((m) => results[m]!.score);
  const score = accepted ? Math.min(...scores) : Math.min(0.49, Math.min(...scores));
  return { accepted, score: Math.round(score * 1000) / 1000, modalities: results, reasons, checks, fingerprint };
}
