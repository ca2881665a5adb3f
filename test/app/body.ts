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
          this.revealed.push({ modality: m.modality, index: m.index, revealAt: m.revealAt + o, dueAt: m.dueAt + o, payload: m.payload });
        }
      });
    });
  }

  get started(): boolean {
    return this.#offset !== undefined;
  }

  /** The body's samples up to now (its own clock). */
  advance(): SessionStreams {
    return this.#dev.advance(performance.now() - this.#born, this.revealed);
  }

  /** Session time (ms since start) of a body-clock time. */
  sessionTime(bodyMs: number): number {
    return bodyMs - (this.#offset ?? 0);
  }
}

/** Feeds the body's accelerometer and gyroscope to the page at ~50 Hz through CDP sensor overrides. */
export async function feedMotion(cdp: CDPSession, body: SimulatedBody): Promise<() => void> {
  const meta = { available: true, minimumFrequency: 1, maximumFrequency: 100 };
  await cdp.send('Emulation.setSensorOverrideEnabled', { enabled: true, type: 'accelerometer', metadata: meta });
  await cdp.send('Emulation.setSensorOverrideEnabled', { enabled: true, type: 'gyroscope', metadata: meta });
  let busy = false;
  const push = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      const m = body.advance().motion;
      const a = m?.acc.at(-1);
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

/** Types the body's key events through the browser's keyboard (real keydown/keyup), at their times. */
export function typeLive(page: Page, body: SimulatedBody): () => void {
  const queue: { t: number; key: string; type: 'down' | 'up' }[] = [];
  let busy = false;
  const timer = setInterval(() => {
    const k = body.advance().typing?.keys ?? [];
    queue.push(...k);
    if (busy) return;
    busy = true;
    void (async () => {
      try {
        while (queue.length) {
          const e = queue.shift()!;
          const key = e.key === ' ' ? 'Space' : e.key;
          if (e.type === 'down') await page.keyboard.down(key);
          else await page.keyboard.up(key);
        }
      } catch {
        // the page went away
      } finally {
        busy = false;
      }
    })();
  }, 5);
  return () => clearInterval(timer);
}
