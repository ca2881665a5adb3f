/**
 * The log's proofs as a regulator checks them one at a time (the console page, docs/regulator.md):
 * a signed checkpoint against the attested verifier key, an entry's inclusion proof against a
 * checkpoint, and the consistency of a checkpoint seen earlier with a later one. Inputs are the
 * text the gateway serves (notes, base64 hashes); every failure throws a FirewallError whose code
 * says what failed (VKEY_*, NOTE_*, CHECKPOINT_*, MERKLE_*, BASE64_INVALID, ATTESTATION_*).
 */
import { decodeBase64Strict, encodeBase64 } from '../../src/core/checkpoint/base64.ts';
import { parseCheckpoint } from '../../src/core/checkpoint/checkpoint.ts';
import { noteVerifierFromKey, parseSignedNote, verifyNote } from '../../src/core/checkpoint/note.ts';
import { parseVerifierKey } from '../../src/core/checkpoint/verifier-key.ts';
import { FirewallError } from '../../src/core/errors.ts';
import { leafHash } from '../../src/core/merkle/hash.ts';
import { verifyConsistencyProof, verifyInclusionProof } from '../../src/core/merkle/proof.ts';
import { certifiesEd25519, loadRootCertificate, verifyChain } from './attestation.ts';

/** A checkpoint whose signature verified: what later proofs are checked against. */
export interface VerifiedCheckpoint {
  origin: string;
  size: number;
  /** Base64 of the 32-byte root hash. */
  rootHash: string;
}

const hashes = (proof: readonly string[], what: string): Uint8Array[] => proof.map((h, i) => decodeBase64Strict(h, `${what}[${i}]`, 'MERKLE_PROOF_MALFORMED'));

/** Verify a signed checkpoint note with the log's verifier key; `origin` when the caller pins one. */
export function verifyCheckpoint(note: string, verifierKey: string, origin?: string): VerifiedCheckpoint {
  const key = parseVerifierKey(verifierKey);
  const signed = parseSignedNote(note);
  verifyNote(signed, [noteVerifierFromKey(key)]);
  const cp = parseCheckpoint(signed.text);
  if (origin !== undefined && cp.origin !== origin) {
    throw new FirewallError('CHECKPOINT_ORIGIN_MISMATCH', `checkpoint names origin ${JSON.stringify(cp.origin)}, not ${JSON.stringify(origin)}`, { status: 400 });
  }
  return { origin: cp.origin, size: cp.size, rootHash: encodeBase64(cp.rootHash) };
}

/** Throws MERKLE_INCLUSION_INVALID unless `entry` (its exact text) is leaf `index` of the checkpoint's tree. */
export function verifyEntryInclusion(entry: string, index: number, proof: readonly string[], checkpoint: VerifiedCheckpoint): void {
  verifyInclusionProof(index, checkpoint.size, leafHash(entry), hashes(proof, 'inclusion'), decodeBase64Strict(checkpoint.rootHash, 'rootHash', 'MERKLE_PROOF_MALFORMED'));
}

/** Throws MERKLE_CONSISTENCY_INVALID unless the later checkpoint's tree extends the earlier one's. */
export function verifyCheckpointConsistency(earlier: VerifiedCheckpoint, later: VerifiedCheckpoint, proof: readonly string[]): void {
  if (earlier.origin !== later.origin) {
    throw new FirewallError('CHECKPOINT_ORIGIN_MISMATCH', `checkpoints of two logs (${JSON.stringify(earlier.origin)}, ${JSON.stringify(later.origin)})`, { status: 400 });
  }
  verifyConsistencyProof(
    earlier.size,
    later.size,
    decodeBase64Strict(earlier.rootHash, 'earlier rootHash', 'MERKLE_PROOF_MALFORMED'),
    decodeBase64Strict(later.rootHash, 'later rootHash', 'MERKLE_PROOF_MALFORMED'),
    hashes(proof, 'consistency'),
  );
}

/**
 * The log's verifier key is the HSM's: its x5c chain leads to the pinned root (attestation.ts, the
 * rules of `key.attestation`) and the leaf certifies exactly this Ed25519 key. Resolves to the
 * leaf's subject; throws ATTESTATION_* otherwise (ATTESTATION_KEY_MISMATCH for another key).
 */
export async function verifyKeyAttestation(verifierKey: string, x5c: unknown, rootPem: string | Uint8Array, at: Date): Promise<{ leafSubject: string }> {
  const key = parseVerifierKey(verifierKey);
  const leaf = await verifyChain(x5c, loadRootCertificate(rootPem), at);
  if (!(await certifiesEd25519(leaf, key.publicKey))) {
    throw new FirewallError('ATTESTATION_KEY_MISMATCH', 'the attested certificate is for a different key than the checkpoint verifier key', { status: 400 });
  }
  return { leafSubject: leaf.subject };
}
