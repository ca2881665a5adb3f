import { revealSchedule } from '../../src/core/stimulus/stimulus.ts';
import type { Modality, RevealEvent, Stimulus } from '../../src/core/stimulus/types.ts';
import type { ChunkArrival, SessionStreams } from '../../src/core/liveness/types.ts';
import { SessionBody } from './body.ts';
import { EdaSimulator } from './eda.ts';
import { GazeSimulator } from './gaze.ts';
import { HrvSimulator } from './hrv.ts';
import { MotionSimulator } from './motion.ts';
import { sessionState, type SimPerson } from './person.ts';
import { Rng } from './rng.ts';
import { TypingSimulator } from './typing.ts';
import { VoiceSimulator } from './voice.ts';

/**
 * One simulated person answering live. Drive it chunk by chunk: `advance(untilMs, revealed)` returns
 * the samples of every modality with device time in [previous untilMs, untilMs), computed only from
 * `revealed` (the stimulus elements the device has received). A real-time CLI calls it every ~100 ms
 * with the reveals received so far; simulateSession() does the same in a loop.
 */
export class DeviceSession {
  readonly modalities: Modality[];
  readonly body = new SessionBody();
  readonly #sims: { m: Modality; sim: { advance(u: number, r: readonly RevealEvent[]): SessionStreams[Modality] } }[] = [];

  constructor(trait: SimPerson, modalities: readonly Modality[], seed: string) {
    const rng = new Rng('session/' + seed + '/' + trait.id);
    // The person as they are today: trait parameters with day-to-day variation (person.ts).
    const person = sessionState(trait, rng.fork('state'));
    this.modalities = [...modalities];
    // Order matters within a chunk: typing registers taps before the accelerometer samples them.
    const order: Modality[] = ['hrv', 'typing', 'motion', 'gaze', 'voice', 'eda'];
    for (const m of order) {
      if (!modalities.includes(m)) continue;
      const r = rng.fork(m);
      if (m === 'hrv') this.#sims.push({ m, sim: new HrvSimulator(person.hrv, r) });
      else if (m === 'typing') this.#sims.push({ m, sim: new TypingSimulator(person.typing, r, this.body) });
      else if (m === 'motion') this.#sims.push({ m, sim: new MotionSimulator(person.motion, r, this.body) });
      else if (m === 'gaze') this.#sims.push({ m, sim: new GazeSimulator(person.gaze, r, this.body) });
      else if (m === 'voice') this.#sims.push({ m, sim: new VoiceSimulator(person.voice, r) });
      else this.#sims.push({ m, sim: new EdaSimulator(person.eda, r) });
    }
  }

  advance(untilMs: number, revealed: readonly RevealEvent[]): SessionStreams {
    const out: SessionStreams = {};
    for (const { m, sim } of this.#sims) (out as Record<string, unknown>)[m] = sim.advance(untilMs, revealed);
    return out;
  }
}

export interface SimulateOptions {
  /** Session seed: the same seed, person and stimulus give the same transcript. */
  seed: string;
  /** Simulation step (how often the device looks at new reveals), ms. Default 100. */
  stepMs?: number;
  /** Transport chunk length, ms. Default 250. */
  chunkMs?: number;
}

export interface SimulatedSession {
  streams: SessionStreams;
  /** Per modality, when each transport chunk would reach the server (honest network model). */
  arrivals: Partial<Record<Modality, ChunkArrival[]>>;
}

/** Sample times of one modality's stream, whatever its shape. */
export function sampleTimes(streams: SessionStreams, m: Modality): number[] {
  const s = streams[m] as unknown as Record<string, { t: number }[] | undefined> | undefined;
  if (!s) return [];
  const key = m === 'hrv' ? 'rr' : m === 'motion' ? 'acc' : m === 'typing' ? 'keys' : m === 'gaze' ? 'pts' : m === 'voice' ? 'frames' : 'sc';
  return (s[key] ?? []).map((x) => x.t);
}

function concat(into: SessionStreams, chunk: SessionStreams): void {
  const a = into as Record<string, Record<string, unknown[]>>;
  for (const [m, v] of Object.entries(chunk as Record<string, Record<string, unknown[]>>)) {
    a[m] ??= {};
    for (const [k, arr] of Object.entries(v)) (a[m]![k] ??= []).push(...arr);
  }
}

/**
 * Honest arrivals: the device sends each chunk when it closes; it arrives after a one-way latency of
 * 20-150 ms (plus, rarely, a 0.4-1.2 s stall), in order (one TCP/WebSocket stream). Device time runs
 * behind server time by the downlink latency of the first reveal.
 */
export function honestArrivals(times: number[], durationMs: number, rng: Rng, chunkMs = 250): ChunkArrival[] {
  const down = rng.uniform(20, 150);
  const out: ChunkArrival[] = [];
  let last = 0;
  let i = 0;
  for (let k = 0; k * chunkMs < durationMs + chunkMs; k++) {
    const end = (k + 1) * chunkMs;
    const t: number[] = [];
    while (i < times.length && times[i]! < end) t.push(times[i++]!);
    let at = end + down + rng.uniform(20, 150) + (rng.chance(0.02) ? rng.uniform(400, 1200) : 0);
    at = Math.max(at, last);
    last = at;
    out.push({ receivedAt: Math.round(at), t });
  }
  return out;
}

/** Simulate a whole session: reveal elements on schedule, step the device, collect streams and arrivals. */
export function simulateSession(stimulus: Stimulus, person: SimPerson, modalities: readonly Modality[] = stimulus.modalities, options: SimulateOptions): SimulatedSession {
  const schedule = revealSchedule(stimulus);
  const dev = new DeviceSession(person, modalities, options.seed);
  const step = options.stepMs ?? 100;
  const streams: SessionStreams = {};
  let next = 0;
  const revealed: RevealEvent[] = [];
  for (let t = 0; t < stimulus.durationMs; t += step) {
    while (next < schedule.length && schedule[next]!.revealAt <= t) revealed.push(schedule[next++]!);
    concat(streams, dev.advance(Math.min(t + step, stimulus.durationMs), revealed));
  }
  const net = new Rng('net/' + options.seed + '/' + person.id);
  const arrivals: Partial<Record<Modality, ChunkArrival[]>> = {};
  for (const m of modalities) arrivals[m] = honestArrivals(sampleTimes(streams, m), stimulus.durationMs, net.fork(m), options.chunkMs);
  return { streams, arrivals };
}
