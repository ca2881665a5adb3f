/**
 * Liveness verification for biological signatures (docs/liveness.md). Pure functions: streams and
 * stimulus in, verdict with readable reasons out. The transport feeds `verifyLiveness` (and, while
 * streaming, `checkStreamTiming`); the gateway stores `result.fingerprint` and `buildProfile` output.
 */
export * from './types.ts';
export { verifyLiveness, WEAK_RESPONSE_CHECKS, REPLAY_CHECKS, type VerifyInput, type AcceptancePolicy } from './verify.ts';
export { decideAcceptance, modalityMargin, isSoft, SOFT_CHECKS, type DecisionInput } from './fusion.ts';
export { SOFT_SCALES } from './margins.ts';
export { recordedDecisionProblem } from './decision-record.ts';
export { checkStreamTiming, DEFAULT_TIMING, type TimingConfig, type StreamTimingInput, type StreamTimingResult } from './timing.ts';
export { DEFAULT_CONFIG, resolveConfig, type LivenessConfig, type ConfigOverrides, type Range, type FusionConfig } from './config.ts';
export { fingerprintStreams, compareFingerprints, withoutElements } from './fingerprint.ts';
export { elementFeatures, checkElementReuse, elementDistance, ELEMENT_SCALES } from './elements.ts';
export { buildProfile } from './profile.ts';
export { checkCrossModal } from './cross-modal.ts';
export { verifyHrv, classifyRr, type RrKind } from './hrv.ts';
export { verifyMotion, analyseMotion } from './motion.ts';
export { verifyTyping } from './typing.ts';
export { verifyGaze, fitGaze } from './gaze.ts';
export { verifyVoice, speechBursts } from './voice.ts';
export { verifyEda, detectScrs, edaSteps } from './eda.ts';
export { scanChange, type ChangeScan, type ConsistencyConfig, type SegmentFeatures } from './consistency.ts';
export { permutationEntropy } from './dsp.ts';
