import { canonicalJson, sha256Hex } from '../../../src/core/canonical.ts';
import { obj, str, type Obj } from './fields.ts';

/**
 * A policy.activated entry `{ policyHash, name, policy }` read defensively: the policy hash is the
 * SHA-256 of the RFC 8785 form of the normalised policy document (docs/policy.md, "Policy hash").
 */
export function readActivation(value: Obj): { hash: string; document: Obj } | string {
  const hash = str(value, 'policyHash');
  const document = obj(value, 'policy');
  if (hash === undefined) return "records no 'policyHash'";
  if (document === undefined) return "records no 'policy' document";
  let digest: string;
  try {
    digest = sha256Hex(canonicalJson(document));
  } catch {
    return 'has a policy document with no canonical JSON form';
  }
  if (digest !== hash) return `has a policy document whose SHA-256 (${digest.slice(0, 16)}…) is not its policyHash (${hash.slice(0, 16)}…)`;
  return { hash, document };
}
