import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { canonicalJson } from '../canonical-json.ts';

/**
 * What an institutional comparator co-signs (docs/protocol.md §9): the action's digest and the
 * hash of the evidence package they read, bound to their passkey. Pure (hashes from
 * @noble/hashes), so the gateway and the approver app's page compute the same values from the
 * same code.
 */
export interface ComparatorStatement {
  v: 1;
  type: 'comparator';
  actionId: string;
  digest: string;
  comparator: string;
  credentialId: string;
  evidenceSha256: string;
}

const utf8 = new TextEncoder();
const canonicalSha256Hex = (value: unknown): string => bytesToHex(sha256(utf8.encode(canonicalJson(value))));

/** statementHash = hex SHA-256(JCS(statement)). */
export function comparatorStatementHash(s: ComparatorStatement): string {
  return canonicalSha256Hex(s);
}

/** evidenceSha256 = hex SHA-256 of the RFC 8785 canonical JSON of an evidence package. */
export function evidenceHash(evidence: unknown): string {
  return canonicalSha256Hex(evidence);
}
