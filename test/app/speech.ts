import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Speech for Chromium's fake microphone (`--use-file-for-fake-audio-capture`): espeak-ng says each
 * word, and the words are laid into one 16-bit mono WAV at the times given, over a faint noise
 * floor (a quiet room, about −60 dBFS; digital silence is no room at all).
 */

interface Pcm {
  rate: number;
  samples: Int16Array;
}

/** The PCM of a 16-bit mono WAV (RIFF chunks walked; espeak-ng writes no other format). */
export function readWav(file: string): Pcm {
  const b = readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${file}: not a WAV file`);
  let rate = 0;
  for (let i = 12; i + 8 <= b.length; ) {
    const id = b.toString('ascii', i, i + 4);
    const size = b.readUInt32LE(i + 4);
    if (id === 'fmt ') {
      if (b.readUInt16LE(i + 8) !== 1 || b.readUInt16LE(i + 10) !== 1 || b.readUInt16LE(i + 22) !== 16) throw new Error(`${file}: not 16-bit mono PCM`);
      rate = b.readUInt32LE(i + 12);
    } else if (id === 'data') {
      const end = Math.min(b.length, i + 8 + size);
      const data = b.subarray(i + 8, end - ((end - i - 8) % 2));
      return { rate, samples: new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)) };
    }
    i += 8 + size + (size % 2);
  }
  throw new Error(`${file}: no data chunk`);
}

export function writeWav(file: string, pcm: Pcm): void {
  const data = Buffer.from(pcm.samples.buffer, pcm.samples.byteOffset, pcm.samples.byteLength);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(pcm.rate, 24);
  h.writeUInt32LE(pcm.rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  writeFileSync(file, Buffer.concat([h, data]));
}

/** A deterministic noise source (xorshift32), so the file is the same on every run. */
function noise(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000 - 0.5;
  };
}

/**
 * espeak-ng's voice for the words: 130 words a minute at pitch 90 (about 135 Hz). At its defaults
 * (150, pitch 50, about 82 Hz) some vowels never reach the on-page tracker's voicing clarity (pitchy
 * over a 43 ms window, clarity 0.9: the window holds three or four periods of a source that repeats
 * over four): of the 252 listed words 13 gave no voiced frame at all ("box", "hat" among them) and 27
 * fewer than three, so whether one more word was heard decided the test. At these settings every
 * listed word gives voiced frames (one gives fewer than three; median 26). Measured offline with the
 * worklet's detector on espeak-ng 1.51's output resampled to 48 kHz.
 */
export const ESPEAK_ARGS: readonly string[] = ['-s', '130', '-p', '90'];

/**
 * Writes `out`: `totalMs` of room noise with each word spoken starting at `startMs` (ms from the
 * file's start). `scratch` is a path for espeak-ng's per-word output.
 */
export function speechWav(out: string, scratch: string, words: { word: string; startMs: number }[], totalMs: number): void {
  let rate = 0;
  const spoken: { at: number; pcm: Int16Array }[] = [];
  for (const w of words) {
    execFileSync('espeak-ng', [...ESPEAK_ARGS, '-w', scratch, w.word]);
    const p = readWav(scratch);
    rate = p.rate;
    spoken.push({ at: w.startMs, pcm: p.samples });
  }
  rate ||= 22050;
  const samples = new Int16Array(Math.ceil((totalMs / 1000) * rate));
  const rnd = noise(0x5eed);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(rnd() * 64);
  for (const s of spoken) {
    const from = Math.round((s.at / 1000) * rate);
    for (let i = 0; i < s.pcm.length && from + i < samples.length; i++) samples[from + i] = Math.max(-32768, Math.min(32767, samples[from + i]! + s.pcm[i]!));
  }
  writeWav(out, { rate, samples });
}
