import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from '../canonical-json.ts';
import { FirewallError } from '../errors.ts';
import type { Modality } from '../policy/modality.ts';
import type { SessionStreams } from '../liveness/types.ts';
import type { RevealPayload } from '../stimulus/types.ts';

/**
 * The transcript of one biological-signature session and the value the passkey signs
 * (docs/protocol.md §Transcript and §Assertion challenge). Pure: both the gateway and a device
 * compute these from what they sent and received, and must get the same bytes. No Node built-ins
 * (hashes from @noble/hashes): the approver app's browser code imports this file as it is.
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

const utf8 = new TextEncoder();

function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8.encode(text)));
}

/** base64url without padding (RFC 4648 §5), as WebAuthn challenges are written. */
export function base64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Inverse of base64url (padding optional); throws SIGNATURE_INPUT_INVALID on other characters. */
export function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new FirewallError('SIGNATURE_INPUT_INVALID', 'not base64url', { status: 400 });
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function bytes32FromHex(hex: string, what: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new FirewallError('SIGNATURE_INPUT_INVALID', `${what} must be 64 lower-case hex digits`, { status: 400 });
  return hexToBytes(hex);
}

/**
 * The WebAuthn challenge of the closing assertion:
 *   base64url( SHA-256( nonce[32] || digest[32] || transcriptHash[32] ) )
 * with digest and transcriptHash as raw bytes (not hex text). The passkey's signature therefore
 * binds this challenge (nonce), this action (digest) and this exact session (transcript).
 */
export function assertionChallenge(nonce: Uint8Array, digestHex: string, transcriptHashHex: string): string {
  if (nonce.length !== 32) throw new FirewallError('SIGNATURE_INPUT_INVALID', 'the nonce must be 32 bytes', { status: 400 });
  return base64url(sha256.create().update(nonce).update(bytes32FromHex(digestHex, 'digest')).update(bytes32FromHex(transcriptHashHex, 'transcriptHash')).digest());
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
