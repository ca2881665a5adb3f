/**
 * Liveness verification for biological signatures (docs/liveness.md). Pure functions: streams and
 * stimulus in, verdict with readable reasons out. The transport feeds `verifyLiveness` (and, while
 * streaming, `checkStreamTiming`); the gateway stores `result.fingerprint` and `buildProfile` output.
 */
export * from './types.ts';
export { verifyLiveness, type VerifyInput } from './verify.ts';
export { checkStreamTiming, DEFAULT_TIMING, type TimingConfig, type StreamTimingInput, type StreamTimingResult } from './timing.ts';
export { DEFAULT_CONFIG, resolveConfig, type LivenessConfig, type ConfigOverrides, type Range } from './config.ts';
export { fingerprintStreams, compareFingerprints } from './fingerprint.ts';
export { buildProfile } from './profile.ts';
export { checkCrossModal } from './cross-modal.ts';
export { verifyHrv } from './hrv.ts';
export { verifyMotion, analyseMotion } from './motion.ts';
export { verifyTyping } from './typing.ts';
export { verifyGaze, fitGaze } from './gaze.ts';
export { verifyVoice, speechBursts } from './voice.ts';
export { verifyEda, detectScrs } from './eda.ts';
export { permutationEntropy } from './dsp.ts';
