/**
 * C2SP tlog-cosignature, Ed25519 flavour (signature type 0x04):
 *
 *   key ID    = SHA-256(name || "\n" || 0x04 || 32-byte public key)[:4]
 *   signature = key ID || uint64 timestamp (big-endian, POSIX seconds) || Ed25519 signature (64 bytes)
 *   message   = "cosignature/v1\n" || "time <timestamp>\n" || checkpoint note text
 */
import { Buffer } from 'buffer';
import { FirewallError } from '../errors.ts';
import { ed25519PublicKey, ed25519Verify, encodeVerifierKey, keyId, parseVerifierKey, SIG_TYPE_COSIGNATURE_V1 } from './verifier-key.ts';
import { EM_DASH, type SignedNote } from './note.ts';
import { encodeBase64 } from './base64.ts';

const MAX_TIMESTAMP = (1n << 63n) - 1n;

export interface Witness {
  name: string;
  publicKey: Buffer;
  keyId: number;
}

export function witnessFromVerifierKey(vkey: string): Witness {
  const vk = parseVerifierKey(vkey);
  if (vk.type !== SIG_TYPE_COSIGNATURE_V1) {
    throw new FirewallError('VKEY_UNSUPPORTED', 'witness verifier key must have type 0x04 (cosignature/v1)', { status: 400 });
  }
  return { name: vk.name, publicKey: vk.publicKey, keyId: vk.keyId };
}

export function witnessVerifierKey(name: string, publicKey: Uint8Array): string {
  return encodeVerifierKey(name, SIG_TYPE_COSIGNATURE_V1, publicKey);
}

export function cosignedMessage(noteText: string, timestamp: number): Buffer {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new FirewallError('COSIGNATURE_INVALID', 'timestamp must be a non-negative integer', { status: 400 });
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${noteText}`, 'utf8');
}

/** Produce a cosignature line; `sign` is the witness's raw Ed25519 signing function. */
export function cosignatureLine(name: string, publicKey: Uint8Array, noteText: string, timestamp: number, sign: (msg: Buffer) => Uint8Array): string {
  const sig = sign(cosignedMessage(noteText, timestamp));
  if (sig.length !== 64) throw new FirewallError('COSIGNATURE_INVALID', 'Ed25519 signature must be 64 bytes', { status: 400 });
  const raw = Buffer.allocUnsafe(4 + 8 + 64);
  raw.writeUInt32BE(keyId(name, SIG_TYPE_COSIGNATURE_V1, publicKey), 0);
  raw.writeBigUInt64BE(BigInt(timestamp), 4);
  raw.set(sig, 12);
  return `${EM_DASH} ${name} ${encodeBase64(raw)}\n`;
}

export interface VerifiedCosignature {
  witness: string;
  /** POSIX seconds. */
  timestamp: number;
}

/**
 * Find and verify the witness's cosignature on a parsed checkpoint note. COSIGNATURE_MISSING when the
 * note carries no line with the witness's name and key ID; COSIGNATURE_INVALID when it does not verify.
 */
export function verifyCosignature(note: SignedNote, witness: Witness, options?: { maxTimestamp?: number }): VerifiedCosignature {
  const sig = note.signatures.find((s) => s.name === witness.name && s.keyId === witness.keyId);
  if (!sig) throw new FirewallError('COSIGNATURE_MISSING', `no cosignature by ${witness.name}`, { status: 400 });
  if (sig.signature.length !== 8 + 64) throw new FirewallError('COSIGNATURE_INVALID', `cosignature by ${witness.name} has the wrong length`, { status: 400 });
  const ts = sig.signature.readBigUInt64BE(0);
  if (ts > MAX_TIMESTAMP || ts > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FirewallError('COSIGNATURE_INVALID', `cosignature by ${witness.name} has an out-of-range timestamp`, { status: 400 });
  }
  const timestamp = Number(ts);
  if (options?.maxTimestamp !== undefined && timestamp > options.maxTimestamp) {
    throw new FirewallError('COSIGNATURE_INVALID', `cosignature by ${witness.name} is dated in the future`, { status: 400 });
  }
  const ok = ed25519Verify(ed25519PublicKey(witness.publicKey), cosignedMessage(note.text, timestamp), sig.signature.subarray(8));
  if (!ok) throw new FirewallError('COSIGNATURE_INVALID', `cosignature by ${witness.name} does not verify`, { status: 400 });
  return { witness: witness.name, timestamp };
}
