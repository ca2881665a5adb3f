/**
 * SHA-256 in any JavaScript engine (@noble/hashes): the browser build of `#sha256`, so the Merkle
 * proofs, checkpoints and the regulator's bundle verifier run unchanged in a page. WebCrypto's
 * digest is asynchronous and the proof code is synchronous.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}
