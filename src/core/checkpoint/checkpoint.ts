/**
 * C2SP tlog-checkpoint: a signed note whose text is
 *
 *   <origin>\n<tree size, decimal, no leading zeros>\n<base64 root hash>\n[<extension line>\n]*
 *
 * signed here with Ed25519 through the Signer seam (purpose 'checkpoint'), key name = origin.
 */
import { Buffer } from 'buffer';
import { FirewallError } from '../errors.ts';
import type { Signature, Signer } from '../signer.ts';
import { HASH_SIZE } from '../merkle/hash.ts';
import { isUint, parseSafeUint } from '../merkle/tree-size.ts';
import { decodeBase64Strict, encodeBase64 } from './base64.ts';
import {
  formatSignedNote,
  noteVerifierFromKey,
  parseSignedNote,
  signatureLine,
  verifyNote,
  type NoteSignature,
  type NoteVerifier,
  type SignedNote,
} from './note.ts';
import { ed25519RawFromJwk, encodeVerifierKey, isValidKeyName, keyId, parseVerifierKey, SIG_TYPE_ED25519 } from './verifier-key.ts';

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
  extensions: string[];
}

function malformed(why: string): never {
  throw new FirewallError('CHECKPOINT_MALFORMED', `malformed checkpoint: ${why}`, { status: 400 });
}

export function formatCheckpoint(c: Checkpoint): string {
  if (typeof c.origin !== 'string' || c.origin.length === 0 || c.origin.includes('\n')) malformed('origin must be a non-empty line');
  if (!isUint(c.size)) malformed('tree size must be a non-negative safe integer');
  if (c.rootHash.length !== HASH_SIZE) malformed(`root hash must be ${HASH_SIZE} bytes`);
  for (const e of c.extensions) if (e.length === 0 || e.includes('\n')) malformed('extension lines must be non-empty single lines');
  return `${c.origin}\n${c.size}\n${encodeBase64(c.rootHash)}\n${c.extensions.map((e) => `${e}\n`).join('')}`;
}

/** Parse checkpoint note text (the signed part, ending in a newline). */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string' || !text.endsWith('\n')) malformed('text must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) malformed('needs origin, tree size and root hash lines');
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) malformed('origin line is empty');
  let size: number;
  try {
    size = parseSafeUint(sizeLine, 'tree size');
  } catch (e) {
    throw new FirewallError('CHECKPOINT_MALFORMED', `malformed checkpoint: ${(e as Error).message}`, { status: 400, cause: e });
  }
  const rootHash = decodeBase64Strict(rootLine, 'root hash', 'CHECKPOINT_MALFORMED');
  if (rootHash.length !== HASH_SIZE) malformed(`root hash decodes to ${rootHash.length} bytes, expected ${HASH_SIZE}`);
  for (const e of extensions) if (e.length === 0) malformed('extension lines must be non-empty');
  return { origin, size, rootHash, extensions };
}

/** The log's signing identity: key name (= origin), key ID and published verifier key. */
export interface CheckpointKey {
  name: string;
  keyId: number;
  publicKey: Buffer;
  vkey: string;
}

export function checkpointKeyFromJwk(name: string, jwk: JsonWebKey): CheckpointKey {
  if (!isValidKeyName(name)) throw new FirewallError('VKEY_INVALID', 'log key name (origin) must contain no spaces or +', { status: 400 });
  const publicKey = ed25519RawFromJwk(jwk);
  return { name, keyId: keyId(name, SIG_TYPE_ED25519, publicKey), publicKey, vkey: encodeVerifierKey(name, SIG_TYPE_ED25519, publicKey) };
}

export interface SignedCheckpointNote {
  note: string;
  signature: Signature;
}

/**
 * Sign checkpoint text with the Signer's 'checkpoint' key (Ed25519 over the note text) and return the
 * signed note. The signature is checked against `key` before it is returned, so a misbehaving signer
 * cannot make the log publish a note that does not verify.
 */
export async function signCheckpoint(signer: Signer, key: CheckpointKey, text: string): Promise<SignedCheckpointNote> {
  const sig = await signer.sign('checkpoint', Buffer.from(text, 'utf8'));
  if (sig.alg !== 'EdDSA' || sig.signature.length !== 64) {
    throw new FirewallError('CHECKPOINT_SIGNER_INVALID', `checkpoint key must sign with Ed25519 (got ${sig.alg}, ${sig.signature.length} bytes)`, { status: 502 });
  }
  const note = formatSignedNote(text, [signatureLine(key.name, key.keyId, sig.signature)]);
  const verifier = noteVerifierFromKey({ name: key.name, keyId: key.keyId, type: SIG_TYPE_ED25519, publicKey: key.publicKey });
  try {
    verifyNote(parseSignedNote(note), [verifier]);
  } catch (e) {
    throw new FirewallError('CHECKPOINT_SIGNER_INVALID', 'signer returned a checkpoint signature that does not verify', { status: 502, cause: e });
  }
  return { note, signature: sig };
}

export interface OpenedCheckpoint {
  checkpoint: Checkpoint;
  note: SignedNote;
  /** Signatures from trusted keys that verified. */
  verified: NoteSignature[];
}

/**
 * Verify a signed checkpoint against the log's verifier key (string or parsed verifiers) and parse
 * its body. The origin must equal `expectedOrigin` when given, else the log key's name.
 */
export function openCheckpoint(
  noteText: string | Uint8Array,
  trusted: string | readonly NoteVerifier[],
  expectedOrigin?: string,
): OpenedCheckpoint {
  const verifiers = typeof trusted === 'string' ? [noteVerifierFromKey(parseVerifierKey(trusted))] : trusted;
  const note = parseSignedNote(noteText);
  const verified = verifyNote(note, verifiers);
  const checkpoint = parseCheckpoint(note.text);
  const origin = expectedOrigin ?? verifiers[0]?.name;
  if (origin !== undefined && checkpoint.origin !== origin) {
    throw new FirewallError('CHECKPOINT_ORIGIN_MISMATCH', `checkpoint origin ${JSON.stringify(checkpoint.origin)} is not ${JSON.stringify(origin)}`, {
      status: 400,
    });
  }
  return { checkpoint, note, verified };
}
