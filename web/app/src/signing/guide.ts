import type { Gesture } from '../../../../src/core/stimulus/types.ts';
import type { Modality } from '../../../../src/core/policy/modality.ts';

/** Plain instructions for each gesture prompt (docs/liveness.md §motion: each tilt is "tilt and come back"). */
export const GESTURE_TEXT: Record<Gesture, string> = {
  'tilt-left': 'Tilt the phone to the left (left edge down), then back',
  'tilt-right': 'Tilt the phone to the right (right edge down), then back',
  'tilt-forward': 'Tip the top of the phone away from you, then back',
  'tilt-back': 'Tip the top of the phone towards you, then back',
  shake: 'Shake the phone side to side',
};

export const MODALITY_NAMES: Record<Modality, string> = {
  motion: 'Movement (the phone’s motion sensors)',
  typing: 'Typing the words shown',
  voice: 'Saying the words shown (only pitch and loudness leave the microphone’s processing, never audio)',
  hrv: 'Heart rhythm from a Bluetooth chest strap or watch, with a breathing guide',
  gaze: 'Eye movement',
  eda: 'Skin conductance',
};

/** Why a modality cannot be used in this browser (undefined when it can). */
export function unsupportedReason(m: Modality): string | undefined {
  const w = globalThis as unknown as Record<string, unknown>;
  switch (m) {
    case 'motion':
      return 'Accelerometer' in w || 'DeviceMotionEvent' in w ? undefined : 'This browser has no motion sensors.';
    case 'typing':
      return undefined;
    case 'voice':
      return typeof navigator.mediaDevices?.getUserMedia === 'function' && 'AudioWorkletNode' in w ? undefined : 'This browser cannot use the microphone.';
    case 'hrv':
      return 'bluetooth' in navigator ? undefined : 'This browser has no Web Bluetooth (use Chrome on Android or a desktop).';
    case 'gaze':
      return 'Needs the native app: a browser cannot track your eyes accurately enough.';
    case 'eda':
      return 'Needs the native app with a wearable’s SDK: browsers cannot read skin conductance.';
  }
}
