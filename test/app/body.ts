import { performance } from 'node:perf_hooks';
import type { CDPSession, Page } from 'playwright-core';
import type { SessionStreams } from '../../src/core/liveness/types.ts';
import type { GatewayMessage } from '../../src/core/signature/messages.ts';
import type { Modality, RevealEvent } from '../../src/core/stimulus/types.ts';
import { makePerson } from '../../clients/device/person.ts';
import { DeviceSession } from '../../clients/device/session.ts';

/**
 * The person in front of the browser: the reference device's simulated body
 * (clients/device/session.ts) answering the stimulus live, as the page shows it. The test sees
 * the reveals when the page does (the WebSocket frames the page receives) and acts through the
 * browser's own input paths: sensor readings through CDP Emulation, keys through page.keyboard.
 *
 * The body runs on its own clock from the moment it is created (it holds the phone before the
 * session starts); reveals are shifted onto that clock.
 */
export class SimulatedBody {
  readonly #dev: DeviceSession;
  readonly #born = performance.now();
  #offset: number | undefined;
  #until = 0;
  readonly revealed: RevealEvent[] = [];
  /** Every frame the page received from the gateway, parsed. */
  readonly received: GatewayMessage[] = [];
  /** Every frame the page sent, as text. */
  readonly sent: string[] = [];

  constructor(person: string, modalities: Modality[], seed: string) {
    this.#dev = new DeviceSession(makePerson(person), modalities, seed);
  }

  /** Watches the page's session socket (what the person sees appear on screen). */
  watch(page: Page): void {
    page.on('websocket', (ws) => {
      ws.on('framesent', (f) => void this.sent.push(String(f.payload)));
      ws.on('framereceived', (f) => {
        const m = JSON.parse(String(f.payload)) as GatewayMessage;
        this.received.push(m);
        if (m.type === 'start') this.#offset = performance.now() - this.#born;
        else if (m.type === 'reveal' && this.#offset !== undefined) {
          const o = this.#offset;
          // Every session time moves onto the body's clock, those inside a payload too (the breathing guide's start, the gaze path's).
          const p = m.payload;
          const payload = p.type === 'breathing-rate' ? { ...p, startMs: p.startMs + o } : p.type === 'target-path' ? { ...p, fromMs: p.fromMs + o } : p;
          this.revealed.push({ modality: m.modality, index: m.index, revealAt: m.revealAt + o, dueAt: m.dueAt + o, payload });
        }
      });
    });
  }

  get started(): boolean {
    return this.#offset !== undefined;
  }

  /** Samples the body produced that no feeder has taken yet, per modality and stream key. */
  readonly #pending = new Map<string, Map<string, { t: number }[]>>();

  /**
   * The body's samples of `modality` up to now (+ `aheadMs` of what it plans to do), on its own
   * clock, each once. Feeders of several modalities share the body (one person moves the phone and
   * types on it, or wears the strap): what the body did for the others waits for their feeder.
   */
  take<M extends Modality>(modality: M, aheadMs = 0): SessionStreams[M] | undefined {
    const until = performance.now() - this.#born + aheadMs;
    if (until > this.#until) {
      this.#until = until;
      for (const [m, stream] of Object.entries(this.#dev.advance(until, this.revealed))) {
        const per = this.#pending.get(m) ?? new Map<string, { t: number }[]>();
        this.#pending.set(m, per);
        for (const [k, arr] of Object.entries(stream as Record<string, { t: number }[]>)) per.set(k, [...(per.get(k) ?? []), ...arr]);
      }
    }
    const per = this.#pending.get(modality);
    if (per === undefined) return undefined;
    const out: Record<string, { t: number }[]> = {};
    for (const [k, arr] of per) {
      const n = arr.findIndex((x) => x.t > until);
      const cut = n < 0 ? arr.length : n;
      out[k] = arr.slice(0, cut);
      per.set(k, arr.slice(cut));
    }
    return out as unknown as SessionStreams[M];
  }

  /** A body-clock time as seconds since the epoch (CDP input timestamps). */
  epochSeconds(bodyMs: number): number {
    return (performance.timeOrigin + this.#born + bodyMs) / 1000;
  }

  /** The body's clock, ms. */
  now(): number {
    return performance.now() - this.#born;
  }
}

/** Feeds the body's accelerometer and gyroscope to the page at ~50 Hz through CDP sensor overrides (a getter: whichever body holds the phone now). */
/**
 * `leadMs`: each reading is the body's of that much later. Chromium times a reading when the
 * override arrives (and its sensor polls); under load the CDP command can be tens of milliseconds
 * late, which moves a tap's ~30 ms jolt out of the window around its key-down (typed with the
 * body's own timestamps) where the gateway's cross-modal check looks for it. A lead of about the
 * expected lateness keeps them together; it is far below anything a reaction-time check can see.
 */
export async function feedMotion(cdp: CDPSession, person: SimulatedBody | (() => SimulatedBody), o: { leadMs?: number } = {}): Promise<() => void> {
  const current = typeof person === 'function' ? person : () => person;
  const meta = { available: true, minimumFrequency: 1, maximumFrequency: 100 };
  await cdp.send('Emulation.setSensorOverrideEnabled', { enabled: true, type: 'accelerometer', metadata: meta });
  await cdp.send('Emulation.setSensorOverrideEnabled', { enabled: true, type: 'gyroscope', metadata: meta });
  let busy = false;
  let sent: { x: number; y: number; z: number } | undefined;
  // One reading per push, and pushes are ~20 ms apart (more when the machine is busy): the sample
  // that moved furthest from the last one sent stands for the interval, so a tap's ~30 ms jolt is not
  // skipped between two pushes, as a real accelerometer sampling at 50-100 Hz would not skip it.
  const salient = (acc: readonly { x: number; y: number; z: number }[]) =>
    sent === undefined || acc.length === 0 ? acc.at(-1) : acc.reduce((best, s) => (Math.hypot(s.x - sent!.x, s.y - sent!.y, s.z - sent!.z) > Math.hypot(best.x - sent!.x, best.y - sent!.y, best.z - sent!.z) ? s : best));
  const push = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      const m = current().take('motion', o.leadMs ?? 0);
      const a = m === undefined ? undefined : salient(m.acc);
      if (a) sent = a;
      const g = m?.gyro?.at(-1);
      if (a) await cdp.send('Emulation.setSensorOverrideReadings', { type: 'accelerometer', reading: { xyz: { x: a.x, y: a.y, z: a.z } } });
      if (g) await cdp.send('Emulation.setSensorOverrideReadings', { type: 'gyroscope', reading: { xyz: { x: g.x, y: g.y, z: g.z } } });
    } catch {
      // the page went away
    } finally {
      busy = false;
    }
  };
  await push();
  const timer = setInterval(() => void push(), 20);
  return () => clearInterval(timer);
}

/** CDP key fields for the characters the typing stream carries. */
function keyFields(key: string): { key: string; code: string; windowsVirtualKeyCode: number; text?: string } {
  if (key === 'Backspace') return { key, code: 'Backspace', windowsVirtualKeyCode: 8 };
  if (key === ' ') return { key, code: 'Space', windowsVirtualKeyCode: 32, text: ' ' };
  return { key, code: `Key${key.toUpperCase()}`, windowsVirtualKeyCode: key.toUpperCase().charCodeAt(0), text: key };
}

/**
 * Types the body's key events into the page as real keyboard input: CDP Input.dispatchKeyEvent,
 * the path page.keyboard takes, with each event's `timestamp` set to the moment the body pressed
 * or released the key (Chromium gives it to the page as event.timeStamp). So the timings the page
 * measures are the body's, not the test machine's dispatch jitter under load. The body plans
 * 300 ms ahead (it knows only the words revealed so far: a word arriving meanwhile is started up
 * to 300 ms later, a slower reader) and each event is sent at its own time, never before.
 */
export function typeLive(cdp: CDPSession, body: SimulatedBody): () => void {
  let chain: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const plan = setInterval(() => {
    for (const e of body.take('typing', 300)?.keys ?? []) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (stopped) return;
        const fields = keyFields(e.key);
        const type = e.type === 'down' ? (fields.text === undefined ? 'rawKeyDown' : 'keyDown') : 'keyUp';
        const { text, ...rest } = fields;
        const params = { type, ...rest, ...(e.type === 'down' && text !== undefined ? { text } : {}), timestamp: body.epochSeconds(e.t) } as const;
        chain = chain.then(() => cdp.send('Input.dispatchKeyEvent', params)).catch(() => undefined);
      }, Math.max(0, e.t - body.now()));
      timers.add(timer);
    }
  }, 50);
  return () => {
    stopped = true;
    clearInterval(plan);
    for (const t of timers) clearTimeout(t);
  };
}
