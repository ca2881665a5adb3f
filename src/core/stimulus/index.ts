/** Stimulus derivation and progressive reveal (docs/liveness.md §Stimulus). */
export * from './types.ts';
export { StimulusDrbg, STIMULUS_SALT, SEED_BYTES } from './drbg.ts';
export { WORDS, type ListedWord } from './words.ts';
export { deriveStimulus, revealSchedule, revealedBy, DEFAULT_DURATION_MS, MIN_DURATION_MS, MAX_DURATION_MS, type DeriveStimulusOptions } from './stimulus.ts';
export { breathingGuide, breathingGuideFromReveals } from './hrv.ts';
export { gazeTarget, gazeTargetFromReveals } from './gaze.ts';
