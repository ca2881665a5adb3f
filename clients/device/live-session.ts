import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { SessionStreams } from '../../src/core/liveness/types.ts';
import type { Modality } from '../../src/core/policy/modality.ts';
import { appendStreams, DeviceProtocol, streamsEmpty } from '../../src/core/signature/device-protocol.ts';
import type { AuthenticationResponse, ChunkMessage, GatewayMessage, ResultMessage, SignMessage } from '../../src/core/signature/messages.ts';
import type { RevealEvent } from '../../src/core/stimulus/types.ts';
import { getAssertion, type StoredCredential } from './authenticator/software-authenticator.ts';
import type { PersonClient } from './gateway-client.ts';
import type { SimPerson } from './person.ts';
import { DeviceSession } from './session.ts';

/** Where a device's samples come from: [fromMs, untilMs) in device time, given what was revealed so far. */
export interface SampleSource {
  next(fromMs: number, untilMs: number, revealed: readonly RevealEvent[]): SessionStreams;
}

/** The honest source: a simulated person answering live (clients/device/session.ts). */
export function simulatorSource(person: SimPerson, modalities: readonly Modality[], seed: string): SampleSource {
  const dev = new DeviceSession(person, modalities, seed);
  return { next: (_from, until, revealed) => dev.advance(until, revealed) };
}

/** Replays recorded streams: every sample at its own device time (a recording played live). */
export function recordedSource(streams: SessionStreams): SampleSource {
  return {
    next(from, until) {
      const out: Record<string, Record<string, unknown[]>> = {};
      for (const [m, s] of Object.entries(streams as Record<string, Record<string, { t: number }[]>>)) {
        for (const [k, arr] of Object.entries(s)) {
          const part = arr.filter((x) => x.t >= from && x.t < until);
          if (part.length) (out[m] ??= {})[k] = part;
        }
      }
      return out as SessionStreams;
    },
  };
}

/** Hooks for tests and attacks: everything an adversarial device could do differently. */
export interface SessionHooks {
  /** Replace or corrupt an outgoing chunk: return a string to send raw text, null to drop it. */
  chunk?(msg: ChunkMessage): ChunkMessage | string | null;
  /** After `start`: a raw sender for extra frames. */
  started?(send: (text: string) => void): void;
  /** Close the connection at this device time (ms). */
  closeAtMs?: number;
  /** Send `finish` at this device time instead of at the end of the sustained duration. */
  finishAtMs?: number;
  /** Keep every chunk until this device time, then send them all at once (batch upload). */
  holdUntilMs?: number;
  /** Produce the assertion differently (another credential, another digest, ...). */
  assertion?(a: { challenge: string; nonce: Uint8Array; transcriptHash: string; digest: string }): AuthenticationResponse;
}

export interface LiveSessionOptions {
  client: PersonClient;
  challengeId: string;
  credential: StoredCredential;
  modalities: Modality[];
  /** The digest the device shows and signs (checked against the descriptor by the caller). */
  digest: string;
  source: SampleSource;
  /** WebAuthn origin written into clientDataJSON (default: the gateway's public URL, `client.audience`). */
  origin?: string;
  /** Client assertion in the upgrade's Authorization header (default) or in hello.authorization. */
  authVia?: 'header' | 'hello';
  /**
   * Produce each sample this long after its device time (default 0: at once). A device that answers
   * revealed prompts from something prepared (a re-assembled recording) holds back this much so a
   * reveal delayed in transit still arrives before the samples it shapes.
   */
  lagMs?: number;
  /** Persist the credential's counter after it signed. */
  onCounter?(c: StoredCredential): void;
  onProgress?(elapsedMs: number, durationMs: number, revealed: number): void;
  hooks?: SessionHooks;
  /** Device step, ms (how often new samples are produced). Default 100. */
  stepMs?: number;
}

export interface LiveSessionResult {
  result: ResultMessage | undefined;
  closeCode: number;
  /** The exact chunk frames sent, with their device send time (a recorder's view, for replay tests). */
  sent: { atMs: number; text: string }[];
  revealed: RevealEvent[];
  transcriptHash?: string;
  /** Set when the device itself refused to sign (the gateway's data did not add up). */
  deviceRefusal?: string;
  /** Everything the device produced, in memory (for a replay attack). */
  streams: SessionStreams;
  /** Every message the gateway sent, in order. */
  messages: GatewayMessage[];
}

/**
 * Runs one biological-signature session over the gateway's WebSocket (docs/protocol.md): hello,
 * then live chunks while stimulus elements arrive, finish, a check that the stimulus really came
 * from the revealed nonce and that the transcript hash matches, and the passkey assertion.
 */
export async function runLiveSession(o: LiveSessionOptions): Promise<LiveSessionResult> {
  const path = `/v1/challenges/${encodeURIComponent(o.challengeId)}/session`;
  const wsUrl = o.client.gateway.replace(/^http/, 'ws') + path;
  const authorization = await o.client.authorization('GET', path);
  const authVia = o.authVia ?? 'header';
  const ws = new WebSocket(wsUrl, { headers: authVia === 'header' ? { authorization } : {}, perMessageDeflate: false });
  const hooks = o.hooks ?? {};
  const step = o.stepMs ?? 100;
  const out: LiveSessionResult = { result: undefined, closeCode: 0, sent: [], revealed: [], streams: {}, messages: [] };
  let t0 = 0;
  let D = 0;
  const proto = new DeviceProtocol({ challengeId: o.challengeId, person: o.client.person, credentialId: o.credential.id, digest: o.digest, modalities: o.modalities });
  let produced = 0;
  let pending: SessionStreams = {};
  let lastChunkAt = 0;
  let finished = false;
  let held: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const elapsed = (): number => performance.now() - t0;
  const send = (text: string): void => {
    if (ws.readyState === WebSocket.OPEN) ws.send(text);
  };

  const flushChunk = (at: number): void => {
    const msg: ChunkMessage = proto.chunk(pending, at);
    pending = {};
    const shaped = hooks.chunk ? hooks.chunk(msg) : msg;
    if (shaped === null) return;
    const text = typeof shaped === 'string' ? shaped : JSON.stringify(shaped);
    out.sent.push({ atMs: at, text });
    proto.recordSent(text);
    if (hooks.holdUntilMs !== undefined && at < hooks.holdUntilMs) held.push(text);
    else {
      for (const h of held) send(h);
      held = [];
      send(text);
    }
  };

  const finish = (at: number): void => {
    finished = true;
    for (const h of held) send(h);
    held = [];
    send(JSON.stringify(proto.finish(at)));
  };

  const tick = (): void => {
    if (finished || ws.readyState !== WebSocket.OPEN) return;
    const now = elapsed();
    if (hooks.closeAtMs !== undefined && now >= hooks.closeAtMs) {
      ws.close(1000);
      return;
    }
    const end = hooks.finishAtMs ?? D;
    const until = Math.min(Math.floor(Math.max(0, now - (o.lagMs ?? 0)) / step) * step, D);
    if (until > produced) {
      const s = o.source.next(produced, until, out.revealed);
      appendStreams(pending, s);
      appendStreams(out.streams, s);
      produced = until;
    }
    o.onProgress?.(Math.min(now, D), D, out.revealed.length);
    if (now >= end && (produced >= D || hooks.finishAtMs !== undefined)) {
      if (!streamsEmpty(pending) || proto.seq === 0) flushChunk(now);
      finish(now);
      return;
    }
    if (now - lastChunkAt >= 250) {
      flushChunk(now);
      lastChunkAt = now;
    }
    timer = setTimeout(afterInput, Math.max(5, step - (elapsed() % step)));
  };

  // A timer that fires late (a busy event loop) runs after the messages that arrived meanwhile are
  // read, so a reveal already received shapes the samples produced for its time, as on a device
  // whose sensor loop and socket do not share one thread.
  const afterInput = (): void => void setImmediate(tick);

  const onSign = (m: SignMessage): void => {
    const check = proto.checkSign(m);
    if (!check.ok) {
      out.deviceRefusal =
        check.refusal === 'stimulus' ? 'the revealed stimulus is not the one the nonce derives' : `the gateway's transcript hash or digest differs from the device's (${m.transcriptHash})`;
      ws.close(1000);
      return;
    }
    const { challenge, transcriptHash: th } = check;
    out.transcriptHash = th;
    const nonce = new Uint8Array(Buffer.from(m.nonce, 'base64url'));
    const credential = hooks.assertion
      ? hooks.assertion({ challenge, nonce, transcriptHash: th, digest: o.digest })
      : getAssertion(o.credential, { challenge, origin: o.origin ?? o.client.audience });
    if (!hooks.assertion) o.onCounter?.(o.credential);
    send(JSON.stringify({ v: 1, type: 'assertion', challengeId: o.challengeId, credential }));
  };

  return new Promise<LiveSessionResult>((resolve, reject) => {
    ws.on('open', () => {
      const hello = proto.hello({
        device: { kind: o.credential.kind, software: 'analog-firewall device simulator' },
        ...(authVia === 'hello' ? { authorization } : {}),
      });
      ws.send(JSON.stringify(hello));
    });
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as GatewayMessage;
      out.messages.push(m);
      if (m.type === 'start') {
        t0 = performance.now();
        D = m.durationMs;
        proto.onStart(m);
        hooks.started?.(send);
        timer = setTimeout(afterInput, step);
      } else if (m.type === 'reveal') {
        out.revealed.push(proto.onReveal(m));
      } else if (m.type === 'sign') {
        onSign(m);
      } else if (m.type === 'result') {
        out.result = m;
      }
    });
    ws.on('close', (code) => {
      if (timer !== undefined) clearTimeout(timer);
      out.closeCode = code;
      resolve(out);
    });
    ws.on('unexpected-response', (req, res) => {
      out.closeCode = res.statusCode ?? 0;
      res.resume();
      req.destroy();
      resolve(out);
    });
    ws.on('error', (e) => {
      if (out.closeCode === 0 && ws.readyState !== WebSocket.CLOSED) reject(e);
    });
  });
}
