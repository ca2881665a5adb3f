import { FirewallError } from '../errors.ts';
import { MODALITIES, isModality, sortModalities } from '../policy/modality.ts';
import { StimulusDrbg } from './drbg.ts';
import { deriveEda, revealEda } from './eda.ts';
import { deriveGaze, revealGaze } from './gaze.ts';
import { deriveHrv, revealHrv } from './hrv.ts';
import { deriveMotion, revealMotion } from './motion.ts';
import { deriveTyping, revealTyping } from './typing.ts';
import type { Modality, RevealEvent, Stimulus } from './types.ts';
import { deriveVoice, revealVoice } from './voice.ts';

export const DEFAULT_DURATION_MS = 30_000;
export const MIN_DURATION_MS = 20_000;
export const MAX_DURATION_MS = 300_000;

export interface DeriveStimulusOptions {
  /** Sustained duration in ms (default 30 000; 20 000 to 300 000). */
  durationMs?: number;
  /** Modalities to derive (default: all six). Order does not matter. */
  modalities?: readonly Modality[];
}

/**
 * Derive the whole stimulus from the 32-byte challenge nonce. Deterministic: the server recomputes it
 * at verification time instead of storing it. Each modality draws from its own DRBG (HKDF label =
 * modality name), so adding or removing a modality never changes another modality's stimulus.
 */
export function deriveStimulus(seed: Uint8Array, options: DeriveStimulusOptions = {}): Stimulus {
  const durationMs = options.durationMs ?? DEFAULT_DURATION_MS;
  if (!Number.isSafeInteger(durationMs) || durationMs < MIN_DURATION_MS || durationMs > MAX_DURATION_MS) {
    throw new FirewallError('STIMULUS_DURATION_INVALID', `durationMs must be an integer from ${MIN_DURATION_MS} to ${MAX_DURATION_MS}`, { status: 400 });
  }
  const requested = options.modalities ?? MODALITIES;
  for (const m of requested) if (!isModality(m)) throw new FirewallError('STIMULUS_MODALITY_INVALID', `unknown modality ${String(m)}`, { status: 400 });
  const modalities = sortModalities(requested);
  if (modalities.length === 0) throw new FirewallError('STIMULUS_MODALITY_INVALID', 'at least one modality is required', { status: 400 });
  const s: Stimulus = { version: 1, durationMs, modalities };
  for (const m of modalities) {
    const rng = new StimulusDrbg(seed, m);
    if (m === 'hrv') s.hrv = deriveHrv(rng, durationMs);
    else if (m === 'motion') s.motion = deriveMotion(rng, durationMs);
    else if (m === 'typing') s.typing = deriveTyping(rng, durationMs);
    else if (m === 'gaze') s.gaze = deriveGaze(rng);
    else if (m === 'voice') s.voice = deriveVoice(rng, durationMs);
    else s.eda = deriveEda(rng, durationMs);
  }
  return s;
}

/**
 * Every element with the time the server sends it, sorted by revealAt (ties: modality vocabulary
 * order, then index). The transport sends event e at session start + e.revealAt and never earlier.
 */
export function revealSchedule(s: Stimulus): RevealEvent[] {
  const out: RevealEvent[] = [];
  if (s.hrv) out.push(...revealHrv(s.hrv));
  if (s.motion) out.push(...revealMotion(s.motion));
  if (s.typing) out.push(...revealTyping(s.typing));
  if (s.gaze) out.push(...revealGaze(s.gaze, s.durationMs));
  if (s.voice) out.push(...revealVoice(s.voice));
  if (s.eda) out.push(...revealEda(s.eda));
  const order = (m: Modality): number => MODALITIES.indexOf(m);
  return out.sort((a, b) => a.revealAt - b.revealAt || order(a.modality) - order(b.modality) || a.index - b.index);
}

/** The events visible at time t (revealAt <= t): what a device may know at that moment. */
export function revealedBy(schedule: readonly RevealEvent[], tMs: number): RevealEvent[] {
  return schedule.filter((e) => e.revealAt <= tMs);
}
