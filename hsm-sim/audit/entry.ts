/**
 * One audit log entry and its hash. The chain is plain SHA-256 over RFC 8785 JSON so anyone can
 * re-verify an export without the device: hash = SHA-256(JCS(entry without `hash`)), and each
 * entry's prevHash is its predecessor's hash (64 zeros for the first).
 */
import { canonicalJson, sha256Hex } from '../../src/core/canonical.ts';

export const GENESIS_HASH = '0'.repeat(64);

export type AuditRole = 'public' | 'so' | 'user' | 'device';
export type AuditDetail = Record<string, string | number | boolean | null>;

export interface AuditFields {
  op: string;
  role: AuditRole;
  /** Connection-scoped session number; absent for device-internal events. */
  session?: number;
  key?: { label: string; id: string };
  mechanism?: string;
  purpose?: string;
  /** SHA-256 hex of the input; for a batch, SHA-256 over the concatenated per-item SHA-256 digests. */
  inputDigest?: string;
  /** First operation-counter value this entry consumed (absent when `count` is 0). */
  counter?: number;
  /** How many counter values it consumed: 1 per operation, n for a batch of n signatures. */
  count: number;
  /** "ok" or the device error code. */
  outcome: string;
  detail?: AuditDetail;
}

export interface AuditEntry extends AuditFields {
  v: 1;
  index: number;
  /** ISO-8601 UTC, milliseconds. */
  time: string;
  prevHash: string;
  hash: string;
}

export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  return sha256Hex(canonicalJson(entry));
}

export type ChainCheck = { ok: true } | { ok: false; index: number; reason: string };

/**
 * Check a run of entries: consecutive indexes from `startIndex`, each hash correct, each prevHash
 * equal to the previous hash (`startPrevHash` for the first).
 */
export function verifyChain(entries: readonly AuditEntry[], startIndex = 0, startPrevHash = GENESIS_HASH): ChainCheck {
  let prev = startPrevHash;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const at = startIndex + i;
    if (e.index !== at) return { ok: false, index: at, reason: `index ${String(e.index)} where ${at} was expected` };
    if (e.prevHash !== prev) return { ok: false, index: at, reason: 'prevHash does not match the previous entry' };
    const { hash, ...rest } = e;
    if (entryHash(rest) !== hash) return { ok: false, index: at, reason: 'entry hash does not match its contents' };
    prev = hash;
  }
  return { ok: true };
}
