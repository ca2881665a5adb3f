import type { Modality } from '../policy/modality.ts';

export type { Modality };

/**
 * Stream formats (docs/liveness.md §Stream formats). Every sample carries `t`: device time in ms
 * relative to the session start as the device saw it (the moment it received the first reveal).
 * Samples are in non-decreasing `t` order. Features only: no audio, no images, no raw PPG/ECG.
 */

/** One heartbeat: `t` = time of the beat that ends the interval, `ms` = the RR interval it ends. */
export interface RrSample { t: number; ms: number }
export interface HrvStream { rr: RrSample[] }

/** Accelerometer: specific force in the device frame, m/s^2 (gravity included; x right, y up the screen, z out of the screen). */
export interface Vec3Sample { t: number; x: number; y: number; z: number }
/** Gyroscope (optional): angular velocity in the device frame, rad/s. */
export interface MotionStream { acc: Vec3Sample[]; gyro?: Vec3Sample[] }

/** `key` is the character produced (lower-case a-z, ' ' for space) or 'Backspace'. */
export interface KeyEvent { t: number; key: string; type: 'down' | 'up' }
export interface TypingStream { keys: KeyEvent[] }

/** Gaze point in normalised screen coordinates (x, y in [0, 1], origin top-left). Missing samples (blinks, tracking loss) are omitted. */
export interface GazePoint { t: number; x: number; y: number }
export interface GazeStream { pts: GazePoint[] }

/** One analysis frame (10-20 ms hop): fundamental frequency (null when unvoiced) and frame energy in dBFS. */
export interface VoiceFrame { t: number; f0Hz: number | null; energyDb: number }
export interface VoiceStream { frames: VoiceFrame[] }

/** Skin conductance, microsiemens. */
export interface ScSample { t: number; uS: number }
export interface EdaStream { sc: ScSample[] }

export interface SessionStreams {
  hrv?: HrvStream;
  motion?: MotionStream;
  typing?: TypingStream;
  gaze?: GazeStream;
  voice?: VoiceStream;
  eda?: EdaStream;
}

/** One named check with a verdict and a sentence a person can read. */
export interface Check {
  /** Stable id, e.g. 'hrv.coupling'. Branch on this, never on `message`. */
  id: string;
  passed: boolean;
  message: string;
  /**
   * Soft (statistical) checks only: how far inside (+) or outside (-) the threshold the measured value
   * lies, in units of that threshold's uncertainty (margins.ts). Absent on hard checks (evidence of an
   * attack or an impossibility), which no other evidence can outweigh (fusion.ts).
   */
  margin?: number;
}

/** A stimulus element and when the response to it began (device time), for the stream-timing check. */
export interface StimulusResponse {
  index: number;
  revealAt: number;
  /** Response onset in device ms, or null when no response was found. */
  onset: number | null;
}

export type FeatureValue = number | string | boolean | null | number[];

export interface ModalityResult {
  accepted: boolean;
  /** 0 (certainly not live) .. 1 (strong, human-typical response to this challenge). */
  score: number;
  /** Readable reasons for every failed check (empty when accepted). */
  reasons: string[];
  /** Summary features (no raw samples): what a profile or an audit may keep. */
  features: Record<string, FeatureValue>;
  checks: Check[];
  /** Onsets of responses to discrete stimulus elements (empty for continuous modalities). */
  responses: StimulusResponse[];
}

/**
 * One response element's descriptor (elements.ts): the modality, the kind of element it answered
 * (gesture, word, cue kind, breath rate) and a few numbers describing the response relative to its
 * own onset. No samples.
 */
export interface ElementFeature { m: Modality; key: string; v: number[] }

/**
 * Near-duplicate fingerprint: per modality, MinHash signatures of symbolised features, and (added,
 * optional) the per-element response descriptors that catch re-assembled recordings. Store it; it
 * holds no samples. Elements are kept only for accepted sessions (the gateway drops them otherwise).
 */
export interface Fingerprint {
  v: 1;
  modalities: Partial<Record<Modality, number[]>>;
  elements?: ElementFeature[];
}

export interface LivenessResult {
  accepted: boolean;
  score: number;
  modalities: Partial<Record<Modality, ModalityResult>>;
  /** Every reason, prefixed with its modality (or 'cross-modal', 'duplicate', 'timing'). */
  reasons: string[];
  /** Checks that span modalities, duplicates and stream timing. */
  checks: Check[];
  fingerprint: Fingerprint;
  /** Which acceptance rule decided, and (fusion) the per-modality margins it fused (fusion.ts). */
  decision: AcceptanceDecision;
}

/** The acceptance rule that decided a session (docs/liveness.md §Acceptance). */
export type AcceptanceRule = 'all' | 'supporting' | 'fusion';

export interface AcceptanceDecision {
  rule: AcceptanceRule;
  /** Ids of failed hard checks (any one rejects under every rule). */
  hardFailures: string[];
  /** fusion: each modality's soft-check margin (margins.ts), the fused sum and the limits applied. */
  margins?: Partial<Record<Modality, number>>;
  fused?: number;
  minFused?: number;
  floor?: number;
  cap?: number;
}

/** Per-person reference ranges, built from enrolment sessions (profile.ts). All optional. */
export interface PersonProfile {
  /** lagMs: the heart-rate-to-guide lag window (ms) searched for this person (added; older profiles without it search the full window). */
  hrv?: { meanHrBpm: [number, number]; rsaBpm?: [number, number]; lagMs?: [number, number] };
  motion?: { reactionMs?: [number, number] };
  /** keyboard: the person's pattern (log-interval slope for same-thumb pairs and for log2(1 + key distance)) and the z a session of theirs reaches against it (keyboard.ts; added, optional). */
  typing?: { ikiMs: [number, number]; holdMs: [number, number]; keyboard?: { pattern: [number, number]; expectedZ: number } };
  gaze?: { lagMs: [number, number] };
  voice?: { f0MedianHz: [number, number]; namingMs?: [number, number] };
  eda?: { sclUs: [number, number]; latencyS?: [number, number] };
}

/** Arrival of one transport chunk: server time (ms since session start) and the device times it carried. */
export interface ChunkArrival {
  receivedAt: number;
  t: number[];
}
