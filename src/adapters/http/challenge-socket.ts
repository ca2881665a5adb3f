import type { RawData, WebSocket } from 'ws';
import { isFirewallError } from '../../core/errors.ts';
import { DEFAULT_TIMING, type ChunkArrival, type SessionStreams } from '../../core/liveness/index.ts';
import type { Modality } from '../../core/policy/modality.ts';
import { LIMITS } from '../../core/signature/schemas.ts';
import { parseDeviceMessage, type AssertionMessage, type ChunkMessage, type DeviceMessage, type FinishMessage, type GatewayMessage, type HelloMessage } from '../../core/signature/messages.ts';
import { assertionChallenge, transcriptHash, type Transcript, type TranscriptChunk, type TranscriptReveal } from '../../core/signature/transcript.ts';
import type { RevealEvent } from '../../core/stimulus/types.ts';
import type { GatewayContext } from '../../gateway/context.ts';
import type { SignatureService } from '../../gateway/signatures/service.ts';
import { DEVICE_REASONS, SessionRefused, type DeviceReason, type SessionPlan } from '../../gateway/signatures/session-types.ts';
import type { PrincipalRecord } from '../../gateway/ports/principals.ts';
import { authRefusal } from './auth-refusal.ts';

/** The WebSocket path of a challenge's live session (docs/protocol.md). */
export const SESSION_PATH = /^\/v1\/challenges\/([A-Za-z0-9_-]{1,200})\/session$/;

/** WebSocket close codes (docs/protocol.md §Framing). */
export const CLOSE = { done: 1000, refused: 4400, unauthenticated: 4401, forbidden: 4403, unavailable: 4409, timeout: 4408, locked: 4423 } as const;

export const HUMAN_ROLES = new Set(['authorizer', 'comparator']);

/** Where each modality's samples carry their time (the array the stream-timing check reads). */
const PRIMARY: Record<Modality, string> = { hrv: 'rr', motion: 'acc', typing: 'keys', gaze: 'pts', voice: 'frames', eda: 'sc' };

export interface SocketDeps {
  ctx: GatewayContext;
  service: SignatureService;
  challengeId: string;
  path: string;
  address: string;
  principal: PrincipalRecord | undefined;
  monotonic: () => number;
}

type Phase = 'hello' | 'streaming' | 'signing' | 'closing';

/**
 * One live session (docs/protocol.md §3), created by the upgrade (challenge-upgrade.ts). Messages
 * are handled strictly in order; each chunk's arrival time is taken the moment its frame arrives,
 * before any queueing. Raw samples live in this object only and are dropped when it ends.
 */
export class ChallengeSocket {
  readonly #ws: WebSocket;
  readonly #d: SocketDeps;
  #phase: Phase = 'hello';
  #queue: Promise<void> = Promise.resolve();
  #plan: SessionPlan | undefined;
  #t0 = 0;
  #timers: NodeJS.Timeout[] = [];
  #revealed: { event: RevealEvent; sentAt: number }[] = [];
  #nextSeq = 0;
  #lastArrival = 0;
  #samples = 0;
  #streams: SessionStreams = {};
  #lastT = new Map<string, number>();
  #arrivals: Partial<Record<Modality, ChunkArrival[]>> = {};
  #chunks: TranscriptChunk[] = [];
  #transcriptHash = '';
  #unregister: (() => void) | undefined;
  /** The service has recorded this session's outcome (success or refusal). */
  #settled = false;

  constructor(ws: WebSocket, d: SocketDeps) {
    this.#ws = ws;
    this.#d = d;
    this.#timers.push(setTimeout(() => this.#enqueue(() => this.#protocolEnd('HELLO_TIMEOUT', 'no hello in time', 'unavailable', CLOSE.timeout)), d.service.config.helloTimeoutMs));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const at = this.#plan === undefined ? 0 : this.#d.monotonic() - this.#t0;
      const text = isBinary ? null : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8');
      this.#enqueue(() => this.#onFrame(text, at));
    });
    ws.on('close', () => this.#enqueue(() => this.#onClose()));
    ws.on('error', () => undefined);
  }

  terminate(): void {
    this.#phase = 'closing';
    this.#clearTimers();
    this.#ws.terminate();
  }

  #enqueue(fn: () => Promise<void> | void): void {
    this.#queue = this.#queue.then(fn).catch(async (e: unknown) => {
      this.#d.ctx.log.error({ challengeId: this.#d.challengeId, err: (e as Error).message }, 'signature session failed internally');
      // Fail closed: a started session that hit an internal error still consumes its challenge.
      const plan = this.#plan;
      this.#plan = undefined;
      if (plan !== undefined && !this.#settled) {
        this.#settled = true;
        await this.#d.service.failSession(plan, 'INTERNAL_ERROR', 'the gateway could not complete the session').catch(() => undefined);
      }
      this.#send({ v: 1, type: 'result', challengeId: this.#d.challengeId, outcome: 'refused', reason: DEVICE_REASONS.refused });
      this.#close(CLOSE.refused);
    });
  }

  #send(m: GatewayMessage): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(JSON.stringify(m));
  }

  #close(code: number): void {
    this.#phase = 'closing';
    this.#clearTimers();
    this.#unregister?.();
    this.#streams = {};
    this.#chunks = [];
    if (this.#ws.readyState === this.#ws.OPEN || this.#ws.readyState === this.#ws.CONNECTING) this.#ws.close(code);
  }

  #clearTimers(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
  }

  /** Before a session started: nothing was consumed (or the service already logged why). */
  #protocolEnd(code: string, message: string, reason: DeviceReason, closeCode: number, next?: string): void {
    if (this.#phase === 'closing') return;
    this.#d.ctx.log.info({ challengeId: this.#d.challengeId, code, message }, 'signature session refused');
    this.#send({ v: 1, type: 'result', challengeId: this.#d.challengeId, outcome: 'refused', reason: DEVICE_REASONS[reason], ...(next === undefined ? {} : { next: { challengeId: next } }) });
    this.#close(closeCode);
  }

  /** A started session fails: logged and counted by the service; the device hears only a generic reason. */
  async #fail(code: string, message: string, extra: Record<string, unknown> = {}): Promise<void> {
    if (this.#phase === 'closing' || this.#plan === undefined) return;
    this.#phase = 'closing';
    this.#clearTimers();
    const r = await this.#d.service.failSession(this.#plan, code, message, { revealed: this.#revealed.length, chunks: this.#chunks.length, ...extra });
    this.#settled = true;
    // Cut short by a lock, or this failure locked the person: the device says so (as at hello),
    // which reveals no check, only the lock.
    const locked = code === 'PERSON_LOCKED' || r.locked === true;
    this.#send({ v: 1, type: 'result', challengeId: this.#plan.challenge.id, outcome: 'refused', reason: DEVICE_REASONS[locked ? 'locked' : 'refused'], ...(r.next === undefined ? {} : { next: { challengeId: r.next } }) });
    this.#close(locked ? CLOSE.locked : CLOSE.refused);
  }

  async #onClose(): Promise<void> {
    this.#clearTimers();
    if (this.#phase === 'streaming' || this.#phase === 'signing') await this.#fail('SESSION_ABORTED', 'the device closed the connection before the session ended');
    this.#phase = 'closing';
    this.#unregister?.();
    this.#streams = {};
  }

  async #onFrame(text: string | null, at: number): Promise<void> {
    if (this.#phase === 'closing') return;
    let msg: DeviceMessage;
    try {
      if (text === null) throw new Error('binary frames are not part of the protocol');
      msg = parseDeviceMessage(text);
    } catch (e) {
      const message = (e as Error).message;
      if (this.#phase === 'hello') return this.#protocolEnd('HELLO_MALFORMED', message, 'refused', CLOSE.refused);
      return this.#fail(this.#phase === 'streaming' ? 'CHUNK_MALFORMED' : 'MESSAGE_MALFORMED', message);
    }
    if (this.#phase === 'hello') {
      if (msg.type !== 'hello') return this.#protocolEnd('PROTOCOL_VIOLATION', `expected hello, got ${msg.type}`, 'refused', CLOSE.refused);
      return this.#onHello(msg);
    }
    if (this.#plan !== undefined && msg.challengeId !== this.#plan.challenge.id) {
      return this.#fail('STREAM_FOR_ANOTHER_CHALLENGE', `a ${msg.type} for challenge ${msg.challengeId.slice(0, 100)} arrived on this session`);
    }
    if (this.#phase === 'streaming') {
      if (msg.type === 'chunk') return this.#onChunk(msg, at);
      if (msg.type === 'finish') return this.#onFinish(msg, at);
      return this.#fail('PROTOCOL_VIOLATION', `unexpected ${msg.type} while streaming`);
    }
    if (this.#phase === 'signing' && msg.type === 'assertion') return this.#onAssertion(msg);
    return this.#fail('PROTOCOL_VIOLATION', `unexpected ${msg.type} while waiting for the assertion`);
  }

  async #onHello(hello: HelloMessage): Promise<void> {
    const { ctx, service } = this.#d;
    let principal = this.#d.principal;
    if (principal === undefined) {
      try {
        if (hello.authorization === undefined) throw new Error('no client assertion');
        principal = await ctx.auth.verify(hello.authorization, 'GET', this.#d.path);
      } catch (e) {
        const r = await authRefusal(ctx, this.#d.address, e);
        return r.status === 503 ? this.#protocolEnd(r.code, r.message, 'unavailable', CLOSE.unavailable) : this.#protocolEnd(r.code, r.message, 'unauthenticated', CLOSE.unauthenticated);
      }
      if (!principal.roles.some((r) => HUMAN_ROLES.has(r))) return this.#protocolEnd('ROLE_FORBIDDEN', 'agents cannot sign', 'unauthenticated', CLOSE.forbidden);
    }
    try {
      this.#plan = await service.beginSession(principal, this.#d.challengeId, hello);
    } catch (e) {
      if (e instanceof SessionRefused) {
        const close = e.deviceReason === 'locked' ? CLOSE.locked : e.deviceReason === 'unavailable' ? CLOSE.unavailable : CLOSE.refused;
        return this.#protocolEnd(e.code, e.message, e.deviceReason, close, e.next);
      }
      throw e;
    }
    this.#clearTimers();
    this.#unregister = service.registerLive(this.#plan.challenge.id, (why) => this.#enqueue(() => this.#fail(why.code, why.message)));
    this.#start();
  }

  #start(): void {
    const plan = this.#plan!;
    const cfg = this.#d.service.config;
    const D = plan.stimulus.durationMs;
    this.#phase = 'streaming';
    this.#t0 = this.#d.monotonic();
    this.#lastArrival = 0;
    this.#send({
      v: 1,
      type: 'start',
      challengeId: plan.challenge.id,
      durationMs: D,
      modalities: plan.modalities,
      chunkMs: cfg.chunkMs,
      aheadToleranceMs: DEFAULT_TIMING.aheadToleranceMs,
      maxArrivalGapMs: DEFAULT_TIMING.maxArrivalGapMs,
      finishWithinMs: cfg.finishWithinMs,
    });
    for (const e of plan.schedule) this.#scheduleReveal(e);
    // Watchdog: a stalled stream or a session that never finishes fails closed.
    const tick = (): void => {
      if (this.#phase !== 'streaming') return;
      const now = this.#d.monotonic() - this.#t0;
      if (now - this.#lastArrival > DEFAULT_TIMING.maxArrivalGapMs + 1000) {
        this.#enqueue(() => this.#fail('STREAM_STALLED', `no chunk for ${Math.round(now - this.#lastArrival)} ms`));
        return;
      }
      if (now > D + cfg.finishWithinMs) {
        this.#enqueue(() => this.#fail('SESSION_TIMEOUT', 'no finish after the sustained duration'));
        return;
      }
      this.#timers.push(setTimeout(tick, 250));
    };
    this.#timers.push(setTimeout(tick, 250));
  }

  /** Sends an element at its revealAt and never earlier (a timer that fires early is re-armed). */
  #scheduleReveal(e: RevealEvent): void {
    const fire = (): void => {
      if (this.#phase !== 'streaming') return;
      const now = this.#d.monotonic() - this.#t0;
      if (now < e.revealAt) {
        this.#timers.push(setTimeout(fire, Math.ceil(e.revealAt - now)));
        return;
      }
      this.#sendReveal(e, now);
    };
    if (e.revealAt <= 0) this.#sendReveal(e, this.#d.monotonic() - this.#t0);
    else this.#timers.push(setTimeout(fire, e.revealAt));
  }

  #sendReveal(e: RevealEvent, now: number): void {
    if (this.#revealed.some((r) => r.event === e)) return;
    const sentAt = Math.max(e.revealAt, Math.round(now * 10) / 10);
    this.#revealed.push({ event: e, sentAt });
    this.#send({ v: 1, type: 'reveal', challengeId: this.#plan!.challenge.id, modality: e.modality, index: e.index, revealAt: e.revealAt, dueAt: e.dueAt, sentAt, payload: e.payload });
  }

  async #onChunk(msg: ChunkMessage, at: number): Promise<void> {
    const plan = this.#plan!;
    const D = plan.stimulus.durationMs;
    const ahead = DEFAULT_TIMING.aheadToleranceMs;
    if (msg.seq !== this.#nextSeq) {
      return this.#fail(msg.seq < this.#nextSeq ? 'SEQ_REPEATED' : 'SEQ_OUT_OF_ORDER', `chunk seq ${msg.seq} where ${this.#nextSeq} was due`);
    }
    if (msg.sentAt > at + ahead) return this.#fail('STREAM_AHEAD', `chunk ${msg.seq} claims to be sent at ${msg.sentAt} ms, received at ${Math.round(at)} ms`);
    const times: Partial<Record<Modality, number[]>> = {};
    let count = 0;
    for (const [m, stream] of Object.entries(msg.samples) as [Modality, Record<string, { t: number }[]>][]) {
      if (!plan.modalities.includes(m)) return this.#fail('MODALITY_NOT_ALLOWED', `samples of ${m}, which this session does not use`);
      for (const [key, arr] of Object.entries(stream)) {
        const k = `${m}.${key}`;
        let last = this.#lastT.get(k) ?? -Infinity;
        for (const s of arr) {
          if (s.t < last) return this.#fail('SAMPLES_OUT_OF_ORDER', `${k} sample at ${s.t} ms after one at ${last} ms`);
          if (s.t > at + ahead) return this.#fail('STREAM_AHEAD', `${k} sample at device time ${s.t} ms arrived at ${Math.round(at)} ms: ahead of real time`);
          if (s.t > D + this.#d.service.config.finishWithinMs) return this.#fail('SAMPLES_AFTER_END', `${k} sample at ${s.t} ms, after the session`);
          last = s.t;
        }
        this.#lastT.set(k, last);
        count += arr.length;
        if (key === PRIMARY[m]) times[m] = arr.map((s) => s.t);
      }
    }
    this.#samples += count;
    if (this.#samples > LIMITS.maxSamplesPerArray * 6 * 4) return this.#fail('SESSION_TOO_LARGE', 'too many samples for one session');
    const receivedAt = Math.round(at * 10) / 10;
    for (const m of plan.modalities) (this.#arrivals[m] ??= []).push({ receivedAt, t: times[m] ?? [] });
    const into = this.#streams as Record<string, Record<string, unknown[]>>;
    for (const [m, stream] of Object.entries(msg.samples as Record<string, Record<string, unknown[]>>)) {
      into[m] ??= {};
      for (const [key, arr] of Object.entries(stream)) (into[m]![key] ??= []).push(...arr);
    }
    this.#chunks.push({ seq: msg.seq, sentAt: msg.sentAt, samples: msg.samples });
    this.#nextSeq++;
    this.#lastArrival = at;
    this.#send({ v: 1, type: 'ack', challengeId: plan.challenge.id, seq: msg.seq, receivedAt: Math.round(at) });
  }

  async #onFinish(msg: FinishMessage, at: number): Promise<void> {
    const plan = this.#plan!;
    const D = plan.stimulus.durationMs;
    if (at < D) return this.#fail('ENDED_EARLY', `finish at ${Math.round(at)} ms, before the sustained ${D} ms`);
    if (msg.lastSeq !== this.#nextSeq - 1) return this.#fail('SEQ_MISMATCH', `finish names chunk ${msg.lastSeq} as last; ${this.#nextSeq - 1} was`);
    // Every element goes out before the transcript closes (a late timer is flushed here).
    for (const e of plan.schedule) this.#sendReveal(e, this.#d.monotonic() - this.#t0);
    const transcript: Transcript = {
      v: 1,
      challengeId: plan.challenge.id,
      digest: plan.challenge.digest,
      person: plan.challenge.person,
      credentialId: plan.device.credentialId,
      modalities: plan.modalities,
      durationMs: D,
      reveals: this.#revealed.map(({ event: e }): TranscriptReveal => ({ modality: e.modality, index: e.index, revealAt: e.revealAt, dueAt: e.dueAt, payload: e.payload })),
      chunks: this.#chunks,
    };
    this.#transcriptHash = transcriptHash(transcript);
    this.#phase = 'signing';
    this.#clearTimers();
    const cfg = this.#d.service.config;
    this.#timers.push(setTimeout(() => this.#enqueue(() => this.#fail('ASSERTION_TIMEOUT', 'no assertion in time')), cfg.signTimeoutMs));
    this.#send({
      v: 1,
      type: 'sign',
      challengeId: plan.challenge.id,
      // The session is over: the nonce may be shown, so the device can recompute the stimulus it saw.
      nonce: Buffer.from(plan.nonce).toString('base64url'),
      digest: plan.challenge.digest,
      transcriptHash: this.#transcriptHash,
      challenge: assertionChallenge(plan.nonce, plan.challenge.digest, this.#transcriptHash),
      rpId: cfg.rpId,
      allowCredentials: [{ id: plan.device.credentialId, type: 'public-key' }],
      userVerification: 'required',
      timeoutMs: cfg.signTimeoutMs,
    });
  }

  async #onAssertion(msg: AssertionMessage): Promise<void> {
    const plan = this.#plan!;
    this.#phase = 'closing';
    this.#clearTimers();
    const reveal: RevealEvent[] = this.#revealed.map(({ event, sentAt }) => ({ ...event, revealAt: sentAt }));
    const r = await this.#d.service.completeSession(plan, {
      transcriptHash: this.#transcriptHash,
      assertion: msg.credential,
      streams: this.#streams,
      arrivals: this.#arrivals,
      reveal,
      chunks: this.#chunks.length,
    });
    this.#settled = true;
    this.#send({
      v: 1,
      type: 'result',
      challengeId: plan.challenge.id,
      outcome: r.accepted ? 'accepted' : 'refused',
      reason: r.accepted ? 'biological signature verified' : DEVICE_REASONS[r.locked === true ? 'locked' : 'refused'],
      ...(r.actionStatus === undefined ? {} : { actionStatus: r.actionStatus }),
      ...(r.accepted && r.logIndex !== undefined ? { logIndex: r.logIndex } : {}),
      ...(r.next === undefined ? {} : { next: { challengeId: r.next } }),
    });
    this.#close(r.accepted ? CLOSE.done : r.locked === true ? CLOSE.locked : CLOSE.refused);
  }
}
