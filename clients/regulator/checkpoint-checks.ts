/**
 * The log key and the checkpoints: key.verifier, checkpoint.signature, checkpoint.order,
 * checkpoint.consistency and witness.cosignature (docs/transparency-log.md §7).
 */
import { decodeBase64Strict } from '../../src/core/checkpoint/base64.ts';
import type { ExportBundle } from '../../src/core/checkpoint/bundle-format.ts';
import { parseCheckpoint } from '../../src/core/checkpoint/checkpoint.ts';
import { verifyCosignature, witnessFromVerifierKey } from '../../src/core/checkpoint/cosignature.ts';
import { noteVerifierFromKey, parseSignedNote, verifyNote, type NoteVerifier, type SignedNote } from '../../src/core/checkpoint/note.ts';
import { parseVerifierKey, SIG_TYPE_ED25519, type VerifierKey } from '../../src/core/checkpoint/verifier-key.ts';
import { verifyConsistencyProof } from '../../src/core/merkle/proof.ts';
import { errMessage, type Reporter } from './report.ts';
import type { CheckpointView } from './rules.ts';

export function checkVerifierKey(b: ExportBundle, origin: string, r: Reporter): { key: VerifierKey; verifier: NoteVerifier } | null {
  try {
    const key = parseVerifierKey(b.verifierKey.vkey);
    if (key.type !== SIG_TYPE_ED25519) {
      r.fail('key.verifier', `verifier key type 0x${key.type.toString(16)} is not an Ed25519 note key (0x01)`);
      return null;
    }
    if (key.name !== origin) r.fail('key.verifier', `verifier key is named ${JSON.stringify(key.name)}, not the origin ${JSON.stringify(origin)}`);
    return { key, verifier: noteVerifierFromKey(key) };
  } catch (e) {
    r.fail('key.verifier', errMessage(e));
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// checkpoints
// ---------------------------------------------------------------------------------------------

export interface CheckedCheckpoint extends CheckpointView {
  note: SignedNote;
}

export function checkCheckpoints(b: ExportBundle, origin: string, verifier: NoteVerifier | null, r: Reporter): (CheckedCheckpoint | null)[] {
  const out: (CheckedCheckpoint | null)[] = [];
  for (const [position, c] of b.checkpoints.entries()) {
    const where = { checkpoint: position };
    try {
      const note = parseSignedNote(c.note);
      const cp = parseCheckpoint(note.text);
      if (!verifier) {
        r.skip('checkpoint.signature', 'no usable verifier key');
      } else {
        try {
          verifyNote(note, [verifier]);
        } catch (e) {
          r.fail('checkpoint.signature', `checkpoints[${position}] (size ${cp.size}): ${errMessage(e)}`, where);
          out.push(null);
          continue;
        }
      }
      if (cp.origin !== origin) {
        r.fail('checkpoint.signature', `checkpoints[${position}] (size ${cp.size}) names origin ${JSON.stringify(cp.origin)}, not ${JSON.stringify(origin)}`, where);
        out.push(null);
        continue;
      }
      out.push(verifier ? { position, size: cp.size, rootHash: cp.rootHash, note } : null);
    } catch (e) {
      r.fail('checkpoint.signature', `checkpoints[${position}]: ${errMessage(e)}`, where);
      out.push(null);
    }
  }
  return out;
}

export function checkOrderAndConsistency(b: ExportBundle, cps: (CheckedCheckpoint | null)[], r: Reporter): void {
  const records = b.proofs.checkpointConsistency;
  // Adjacent pairs only: a checkpoint whose signature failed is already reported, and the pairs
  // around it cannot be checked.
  for (let i = 1; i < cps.length; i++) {
    const prev = cps[i - 1] ?? null;
    const cp = cps[i] ?? null;
    if (prev && cp) {
      const where = { checkpoint: cp.position };
      if (cp.size <= prev.size) {
        r.fail('checkpoint.order', `checkpoints[${cp.position}] (size ${cp.size}) follows checkpoints[${prev.position}] (size ${prev.size})`, where);
      } else {
        const rec = records.find((p) => p.from === prev.size && p.to === cp.size);
        if (!rec) {
          r.fail('checkpoint.consistency', `checkpoints[${cp.position}]: no consistency proof from size ${prev.size} to size ${cp.size}`, where);
        } else {
          try {
            const hashes = rec.hashes.map((h, i) => decodeBase64Strict(h, `consistency proof hash ${i}`, 'MERKLE_PROOF_MALFORMED'));
            verifyConsistencyProof(prev.size, cp.size, prev.rootHash, cp.rootHash, hashes);
          } catch (e) {
            r.fail(
              'checkpoint.consistency',
              `checkpoints[${prev.position}] (size ${prev.size}) and checkpoints[${cp.position}] (size ${cp.size}) are not consistent: ${errMessage(e)}`,
              where,
            );
          }
        }
      }
    }
  }
}

/** `witnesses`: pinned witness verifier keys; `quorum` defaults to all of them. */
export function checkWitnesses(latest: CheckedCheckpoint | null, witnesses: readonly string[], quorum: number | undefined, r: Reporter): void {
  if (witnesses.length === 0) return;
  const id = 'witness.cosignature';
  r.register(id, 'the latest checkpoint carries a quorum of witness cosignatures');
  if (!latest) {
    r.fail(id, 'no verified latest checkpoint to check cosignatures on');
    return;
  }
  const needed = quorum ?? witnesses.length;
  let ok = 0;
  for (const vkey of witnesses) {
    try {
      verifyCosignature(latest.note, witnessFromVerifierKey(vkey));
      ok++;
    } catch (e) {
      r.warn(id, errMessage(e), { checkpoint: latest.position });
    }
  }
  if (ok < needed) r.fail(id, `${ok} valid cosignature(s), quorum is ${needed}`, { checkpoint: latest.position });
}
