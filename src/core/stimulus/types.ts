import type { Modality } from '../policy/modality.ts';

export type { Modality };

/**
 * Stimulus types. A stimulus is what the human is asked to respond to; it is derived from the
 * challenge nonce (see drbg.ts) and revealed to the device progressively (see reveal.ts), one element
 * at a time, so no response can be prepared before its element is visible.
 *
 * Times are integer milliseconds relative to the session start (the moment the server reveals the
 * first element). Screen coordinates are normalised: x and y in [0, 1], origin top-left.
 */

/** One paced breath (the first may start mid-breath) at its own rate. The guide's phase is continuous across hops. */
export interface BreathingSegment {
  startMs: number;
  endMs: number;
  /** Breaths per minute, 6.0 to 15.0 in steps of 0.5. */
  rateBpm: number;
  /** Guide phase in cycles [0, 1) at startMs. Phase 0 = start of inhalation (lungs empty). */
  phaseAtStart: number;
}

export interface HrvStimulus {
  kind: 'paced-breathing';
  segments: BreathingSegment[];
}

export const GESTURES = ['tilt-left', 'tilt-right', 'tilt-forward', 'tilt-back', 'shake'] as const;
export type Gesture = (typeof GESTURES)[number];

export interface GesturePrompt {
  atMs: number;
  gesture: Gesture;
}

export interface MotionStimulus {
  kind: 'gestures';
  prompts: GesturePrompt[];
}

export interface WordPrompt {
  atMs: number;
  word: string;
}

export interface TypingStimulus {
  kind: 'typing';
  words: WordPrompt[];
}

export interface VoicePrompt extends WordPrompt {
  /** Syllable count from the embedded word list (the verifier compares energy peaks to it). */
  syllables: number;
}

export interface VoiceStimulus {
  kind: 'words-aloud';
  words: VoicePrompt[];
}

/** One sinusoidal component of the target path on one axis: amp * sin(2*pi*freqHz*t + phase). */
export interface SineComponent {
  freqHz: number;
  amp: number;
  phase: number;
}

export interface GazeStimulus {
  kind: 'pursuit';
  center: { x: number; y: number };
  x: SineComponent[];
  y: SineComponent[];
  /** The path is revealed in segments of this length... */
  segmentMs: number;
  /** ...each revealed this long before it is displayed (render buffer). */
  leadMs: number;
  /** Spacing of the target points sent in each reveal. */
  pointStepMs: number;
}

export const EDA_CUES = ['beep', 'flash'] as const;
export type EdaCue = (typeof EDA_CUES)[number];

export interface EdaStimulus {
  kind: 'cues';
  events: { atMs: number; cue: EdaCue }[];
}

export interface Stimulus {
  version: 1;
  durationMs: number;
  modalities: Modality[];
  hrv?: HrvStimulus;
  motion?: MotionStimulus;
  typing?: TypingStimulus;
  gaze?: GazeStimulus;
  voice?: VoiceStimulus;
  eda?: EdaStimulus;
}

/** What the device receives for each stimulus element, and nothing more. */
export type RevealPayload =
  | { type: 'breathing-rate'; startMs: number; rateBpm: number; phaseAtStart: number }
  | { type: 'gesture'; gesture: Gesture }
  | { type: 'word'; word: string }
  | { type: 'target-path'; fromMs: number; stepMs: number; points: [number, number][] }
  | { type: 'cue'; cue: EdaCue };

export interface RevealEvent {
  modality: Modality;
  /** Index of the element within its modality (segment, prompt, word, path segment, cue). */
  index: number;
  /** When the server sends the element to the device (ms since session start). */
  revealAt: number;
  /** When the element takes effect (the prompt is shown / the path segment is displayed). */
  dueAt: number;
  payload: RevealPayload;
}
