import { canonicalDigest } from '../canonical.ts';
import type { PolicyDocument } from './types.ts';

/**
 * The policy's identity: SHA-256 over the RFC 8785 form of the normalised document. Comments,
 * key order, quoting, "30s" vs "30000ms" and omitted-vs-explicit defaults do not change it; any
 * change of meaning does. Receipts and log entries bind to it.
 */
export function policyHash(doc: PolicyDocument): string {
  const { version, name, defaults, groups, organisations, notify, actuators, rules, velocity } = doc;
  // Rebuilt field by field so extra properties on a Policy object (hash, file, ...) never leak in.
  return canonicalDigest({ version, name, defaults, groups, organisations, notify, actuators, rules, velocity });
}
