import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { canonicalJson } from '../canonical-json.ts';
import { FirewallError } from '../errors.ts';
import type { SessionStreams } from '../liveness/types.ts';
import type { Modality } from '../policy/modality.ts';
import { deriveStimulus, revealSchedule } from '../stimulus/stimulus.ts';
import type { RevealEvent } from '../stimulus/types.ts';
import type { ChunkMessage, FinishMessage, HelloMessage, RevealMessage, SignMessage, StartMessage } from './messages.ts';
import { assertionChallenge, fromBase64url, transcriptHash, type Transcript, type TranscriptChunk } from './transcript.ts';

/**
 * The device's half of the session protocol (docs/protocol.md §3), pure: it frames hello, chunk
 * and finish, keeps the reveals and the exact chunk texts it put on the wire, and, when `sign`
 * arrives, checks the gateway's stimulus and transcript hash before giving the value the passkey
 * signs. The Node reference device (clients/device/live-session.ts) and the approver app in the
 * browser (web/app/src/signing/) both drive this one class, so their framing cannot drift apart.
 *
 * Error codes (FirewallError.code): DEVICE_PROTOCOL_STATE (a message out of order on the device's
 * side, a programming error); the sign check returns a refusal instead of throwing.
 */

export interface DeviceSessionIdentity {
  challengeId: string;
  person: string;
  /** The passkey that will sign (its credential id, base64url). */
  credentialId: string;
  /** The digest the device shows and signs. */
  digest: string;
  modalities: Modality[];
}

/** What `sign` leads to: the WebAuthn challenge to sign, or why the device refuses to sign. */
export type SignCheck = { ok: true; challenge: string; transcriptHash: string } | { ok: false; refusal: 'stimulus' | 'transcript' | 'digest' };

/**
 * What you see is what you sign: hex SHA-256 of the descriptor's RFC 8785 form, which a device
 * compares with the challenge's `digest` before anything else (docs/protocol.md §2).
 */
export function descriptorDigest(descriptor: unknown): string {
  return bytesToHex(sha256(new TextEncoder().encode(canonicalJson(descriptor))));
}

/** Device times go on the wire with 0.1 ms resolution: enough, and short. */
export function deviceTime(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** Appends every sample array of `chunk` to `into` (per modality, per stream key). */
export function appendStreams(into: SessionStreams, chunk: SessionStreams): void {
  const a = into as Record<string, Record<string, unknown[]>>;
  for (const [m, v] of Object.entries(chunk as Record<string, Record<string, unknown[]>>)) {
    for (const [k, arr] of Object.entries(v)) if (arr.length) ((a[m] ??= {})[k] ??= []).push(...arr);
  }
}

export function streamsEmpty(s: SessionStreams): boolean {
  return Object.values(s as Record<string, Record<string, unknown[]>>).every((v) => Object.values(v).every((arr) => arr.length === 0));
}

export class DeviceProtocol {
  readonly id: DeviceSessionIdentity;
  /** The stimulus elements received so far, in the order the gateway sent them. */
  readonly revealed: RevealEvent[] = [];
  /** The exact chunk frames sent (text), for the transcript. */
  readonly #sent: string[] = [];
  #start: StartMessage | undefined;
  #seq = 0;

  constructor(id: DeviceSessionIdentity) {
    this.id = { ...id, modalities: [...id.modalities] };
  }

  hello(extra: { authorization?: string; device?: HelloMessage['device'] } = {}): HelloMessage {
    const { challengeId, person, credentialId, digest, modalities } = this.id;
    return {
      v: 1,
      type: 'hello',
      challengeId,
      person,
      credentialId,
      digest,
      modalities,
      ...(extra.device === undefined ? {} : { device: extra.device }),
      ...(extra.authorization === undefined ? {} : { authorization: extra.authorization }),
    };
  }

  get started(): StartMessage | undefined {
    return this.#start;
  }

  get durationMs(): number {
    return this.#start?.durationMs ?? 0;
  }

  /** Chunks framed so far (the next seq). */
  get seq(): number {
    return this.#seq;
  }

  onStart(m: StartMessage): void {
    this.#start = m;
  }

  onReveal(m: RevealMessage): RevealEvent {
    const e: RevealEvent = { modality: m.modality, index: m.index, revealAt: m.revealAt, dueAt: m.dueAt, payload: m.payload };
    this.revealed.push(e);
    return e;
  }

  /** Frames the next chunk (seq advances even if the caller then drops it). */
  chunk(samples: SessionStreams, sentAtMs: number): ChunkMessage {
    if (this.#start === undefined) throw new FirewallError('DEVICE_PROTOCOL_STATE', 'a chunk before start');
    return { v: 1, type: 'chunk', challengeId: this.id.challengeId, seq: this.#seq++, sentAt: deviceTime(sentAtMs), samples };
  }

  /** Records a frame exactly as it went on the wire (the transcript is built from these texts). */
  recordSent(text: string): void {
    this.#sent.push(text);
  }

  finish(sentAtMs: number): FinishMessage {
    return { v: 1, type: 'finish', challengeId: this.id.challengeId, lastSeq: this.#seq - 1, sentAt: deviceTime(sentAtMs) };
  }

  transcript(): Transcript {
    const { challengeId, digest, person, credentialId, modalities } = this.id;
    return {
      v: 1,
      challengeId,
      digest,
      person,
      credentialId,
      modalities,
      durationMs: this.durationMs,
      reveals: this.revealed.map((e) => ({ modality: e.modality, index: e.index, revealAt: e.revealAt, dueAt: e.dueAt, payload: e.payload })),
      // Parsed back from the text sent, so number formatting cannot differ from the gateway's view.
      chunks: this.#sent.map((text) => {
        const c = JSON.parse(text) as ChunkMessage;
        return { seq: c.seq, sentAt: c.sentAt, samples: c.samples } satisfies TranscriptChunk;
      }),
    };
  }

  /**
   * docs/protocol.md §Assertion challenge: (1) the stimulus shown is exactly the one the revealed
   * nonce derives (the gateway could not have adapted it), (2) the gateway's transcript hash is the
   * device's own, (3) the digest is the one shown; then the WebAuthn challenge to sign.
   */
  checkSign(m: SignMessage): SignCheck {
    const nonce = fromBase64url(m.nonce);
    const expected = revealSchedule(deriveStimulus(nonce, { durationMs: this.durationMs, modalities: this.id.modalities }));
    const key = (e: Pick<RevealEvent, 'modality' | 'index' | 'revealAt' | 'dueAt' | 'payload'>) => canonicalJson({ m: e.modality, i: e.index, r: e.revealAt, d: e.dueAt, p: e.payload });
    if (expected.length !== this.revealed.length || expected.some((e, i) => key(e) !== key(this.revealed[i]!))) return { ok: false, refusal: 'stimulus' };
    if (m.digest !== this.id.digest) return { ok: false, refusal: 'digest' };
    const th = transcriptHash(this.transcript());
    if (th !== m.transcriptHash) return { ok: false, refusal: 'transcript' };
    const challenge = assertionChallenge(nonce, this.id.digest, th);
    if (challenge !== m.challenge) return { ok: false, refusal: 'transcript' };
    return { ok: true, challenge, transcriptHash: th };
  }
}
