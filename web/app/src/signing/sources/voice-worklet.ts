/// <reference lib="webworker" />
import { PitchDetector } from 'pitchy';

/**
 * AudioWorklet processor (its own bundled file: it loads under a CSP without inline script).
 * It reduces the microphone on the audio thread to one frame every 10 ms: pitch (McLeod Pitch
 * Method, the pitchy library) over the last 40 ms and energy in dBFS over the last 20 ms. Only
 * these numbers are posted to the page; the audio itself never leaves this processor.
 */

declare const sampleRate: number;
declare const currentFrame: number;
declare function registerProcessor(name: string, ctor: unknown): void;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}

const HOP_S = 0.01;
const WINDOW_S = 0.04;
const ENERGY_S = 0.02;
/** Below this clarity (0..1) a frame is unvoiced. */
const MIN_CLARITY = 0.9;
const MIN_F0 = 50;
const MAX_F0 = 500;

export interface VoiceFrameMessage {
  /** Audio-context time (s) at the end of the frame. */
  at: number;
  f0Hz: number | null;
  energyDb: number;
}

class VoiceFeatures extends AudioWorkletProcessor {
  readonly #hop = Math.round(sampleRate * HOP_S);
  readonly #size = 2 ** Math.ceil(Math.log2(sampleRate * WINDOW_S));
  readonly #energyN = Math.round(sampleRate * ENERGY_S);
  readonly #ring = new Float32Array(this.#size);
  readonly #window = new Float32Array(this.#size);
  readonly #detector = PitchDetector.forFloat32Array(this.#size);
  #pos = 0;
  #sinceHop = 0;

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i++) {
      this.#ring[this.#pos] = channel[i]!;
      this.#pos = (this.#pos + 1) % this.#size;
      if (++this.#sinceHop === this.#hop) {
        this.#sinceHop = 0;
        this.#frame((currentFrame + i + 1) / sampleRate);
      }
    }
    return true;
  }

  #frame(at: number): void {
    // Unroll the ring, oldest sample first.
    this.#window.set(this.#ring.subarray(this.#pos), 0);
    this.#window.set(this.#ring.subarray(0, this.#pos), this.#size - this.#pos);
    let sum = 0;
    for (let i = this.#size - this.#energyN; i < this.#size; i++) sum += this.#window[i]! * this.#window[i]!;
    const energyDb = Math.max(-120, 10 * Math.log10(sum / this.#energyN + 1e-12));
    const [pitch, clarity] = this.#detector.findPitch(this.#window, sampleRate);
    const voiced = clarity >= MIN_CLARITY && pitch >= MIN_F0 && pitch <= MAX_F0 && energyDb > -70;
    const msg: VoiceFrameMessage = { at, f0Hz: voiced ? Math.round(pitch * 10) / 10 : null, energyDb: Math.round(energyDb * 10) / 10 };
    this.port.postMessage(msg);
  }
}

registerProcessor('af-voice-features', VoiceFeatures);
