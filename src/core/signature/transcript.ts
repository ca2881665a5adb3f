import { createHash } from 'node:crypto';
import { canonicalJson, sha256Hex } from '../canonical.ts';
import { FirewallError } from '../errors.ts';
import type { Modality } from '../policy/modality.ts';
import type { SessionStreams } from '../liveness/types.ts';
import type { RevealPayload } from '../stimulus/types.ts';

/**
 * The transcript of one biological-signature session and the value the passkey signs
 * (docs/protocol.md §Transcript and §Assertion challenge). Pure: both the gateway and a device
 * compute these from what they sent and received, and must get the same bytes.
 */

/** One stimulus element exactly as the gateway revealed it (its `reveal` message minus envelope and timing). */
export interface TranscriptReveal {
  modality: Modality;
  index: number;
  revealAt: number;
  dueAt: number;
  payload: RevealPayload;
}

/** One sample chunk exactly as the device sent it (its `chunk` message minus envelope). */
export interface TranscriptChunk {
  seq: number;
  sentAt: number;
  samples: SessionStreams;
}

export interface Transcript {
  v: 1;
  challengeId: string;
  /** The action digest (hex), or the enrolment digest for an enrolment session. */
  digest: string;
  person: string;
  credentialId: string;
  modalities: Modality[];
  durationMs: number;
  reveals: TranscriptReveal[];
  chunks: TranscriptChunk[];
}

/** transcriptHash = lower-case hex SHA-256 of the RFC 8785 canonical JSON of the transcript. */
export function transcriptHash(t: Transcript): string {
  return sha256Hex(canonicalJson(t));
}

function bytes32FromHex(hex: string, what: string): Buffer {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new FirewallError('SIGNATURE_INPUT_INVALID', `${what} must be 64 lower-case hex digits`, { status: 400 });
  return Buffer.from(hex, 'hex');
}

/**
 * The WebAuthn challenge of the closing assertion:
 *   base64url( SHA-256( nonce[32] || digest[32] || transcriptHash[32] ) )
 * with digest and transcriptHash as raw bytes (not hex text). The passkey's signature therefore
 * binds this challenge (nonce), this action (digest) and this exact session (transcript).
 */
export function assertionChallenge(nonce: Uint8Array, digestHex: string, transcriptHashHex: string): string {
  if (nonce.length !== 32) throw new FirewallError('SIGNATURE_INPUT_INVALID', 'the nonce must be 32 bytes', { status: 400 });
  return createHash('sha256')
    .update(nonce)
    .update(bytes32FromHex(digestHex, 'digest'))
    .update(bytes32FromHex(transcriptHashHex, 'transcriptHash'))
    .digest('base64url');
}

/** The digest an enrolment session binds (there is no action): hex SHA-256 of canonical {type, person, challengeId}. */
export function enrolmentDigest(person: string, challengeId: string): string {
  return sha256Hex(canonicalJson({ type: 'enrolment', person, challengeId }));
}

/**
 * What an institutional witness attests by signing (the witness's stand-in for a transcript):
 * they met `person` in person and the person authorised the action with this digest.
 */
export interface WitnessStatement {
  v: 1;
  type: 'witness';
  challengeId: string;
  digest: string;
  person: string;
  witness: string;
  credentialId: string;
}

export function witnessStatementHash(s: WitnessStatement): string {
  return sha256Hex(canonicalJson(s));
}
