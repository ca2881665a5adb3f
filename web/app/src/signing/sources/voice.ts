import workletUrl from './voice-worklet.ts?worker&url';
import type { VoiceFrameMessage } from './voice-worklet.ts';
import { SampleQueue, type SampleSource, type SourceFailure } from './source.ts';

/**
 * Voice (docs/liveness.md §Stream formats): frames every 10 ms with f0 (Hz, null when unvoiced)
 * and energy (dBFS), computed on the device in an AudioWorklet (voice-worklet.ts). The audio never
 * leaves the device: not sent, not stored, not even handed to the page's main thread. Echo
 * cancellation, noise suppression and automatic gain are turned off: they distort energy and pitch.
 * A denied microphone, a track that ends or frames that stop for 1.5 s end the session.
 */

interface Frame { t: number; f0Hz: number | null; energyDb: number }

const STOPPED_MS = 1500;

export class VoiceSource implements SampleSource {
  readonly modality = 'voice' as const;
  readonly #q = new SampleQueue<Frame>();
  #ctx: AudioContext | undefined;
  #stream: MediaStream | undefined;
  #failure: SourceFailure | undefined;
  #lastFrameAt = 0;
  #last: Frame | undefined;
  #began = false;
  #timer: ReturnType<typeof setInterval> | undefined;

  async open(): Promise<void> {
    if (!navigator.mediaDevices?.getUserMedia || typeof AudioWorkletNode === 'undefined') {
      this.#failure = 'unavailable';
      throw new Error('unavailable');
    }
    try {
      this.#stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 } });
    } catch (e) {
      this.#failure = (e as DOMException).name === 'NotAllowedError' ? 'denied' : 'unavailable';
      throw e;
    }
    const track = this.#stream.getAudioTracks()[0];
    track?.addEventListener('ended', () => (this.#failure ??= 'stopped'));
    const ctx = (this.#ctx = new AudioContext());
    await ctx.audioWorklet.addModule(workletUrl);
    const node = new AudioWorkletNode(ctx, 'af-voice-features', { numberOfInputs: 1, numberOfOutputs: 0 });
    node.port.onmessage = (e: MessageEvent<VoiceFrameMessage>) => {
      this.#lastFrameAt = performance.now();
      // The frame ended at audio time `at`; map it onto the page's clock.
      const at = performance.now() - (ctx.currentTime - e.data.at) * 1000;
      const f = e.data;
      this.#q.push(Math.min(at, performance.now()), (t) => (this.#last = { t, f0Hz: f.f0Hz, energyDb: f.energyDb }));
    };
    ctx.createMediaStreamSource(this.#stream).connect(node);
    if (ctx.state === 'suspended') await ctx.resume();
    this.#lastFrameAt = performance.now();
    this.#timer = setInterval(() => {
      if (this.#began && performance.now() - this.#lastFrameAt > STOPPED_MS) this.#failure ??= 'stopped';
    }, 250);
  }

  begin(t0: number): void {
    this.#began = true;
    this.#lastFrameAt = Math.max(this.#lastFrameAt, t0);
    this.#q.begin(t0);
  }

  take(untilMs: number): { frames: Frame[] } {
    return { frames: this.#q.take(untilMs) };
  }

  failure(): SourceFailure | undefined {
    return this.#failure;
  }

  /** The latest pitch in Hz (0 while unvoiced). */
  plotValue(): number | undefined {
    return this.#last === undefined ? undefined : (this.#last.f0Hz ?? 0);
  }

  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    for (const t of this.#stream?.getTracks() ?? []) t.stop();
    void this.#ctx?.close();
  }
}
