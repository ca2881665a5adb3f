import { combineQuorum, combineSignature } from '../policy/requirements.ts';
import type { PolicyDocument, QuorumRequirement, QuorumSpec, SignatureSpec } from '../policy/types.ts';

/**
 * The requirements a relaxation of this policy must meet (seed §III.1, self-permissioning guard:
 * "any proposed relaxation … must itself pass through the full pipeline"): a CRITICAL action whose
 * quorum combines EVERY quorum the policy defines (defaults.quorum and each CRITICAL rule's), the
 * same way classification combines the quorums of the rules that match one action; and whose
 * signature combines the default signature with every CRITICAL rule's (falling back to the default
 * signature if the rules' modalities have nothing in common). Undefined when the policy defines no
 * quorum at all: such a policy cannot be relaxed through the gateway (see docs/governance.md).
 */
export function governanceRequirements(doc: PolicyDocument): { signature: SignatureSpec; quorum: QuorumRequirement } | undefined {
  const critical = doc.rules.filter((r) => r.tier === 'CRITICAL');
  const specs: QuorumSpec[] = [...(doc.defaults.quorum === undefined ? [] : [doc.defaults.quorum]), ...critical.flatMap((r) => (r.quorum === undefined ? [] : [r.quorum]))];
  if (specs.length === 0) return undefined;
  let signature = combineSignature(doc.defaults.signature, critical);
  if (signature.modalities.length === 0) signature = { ...doc.defaults.signature, modalities: [...doc.defaults.signature.modalities] };
  return { signature, quorum: combineQuorum(doc, specs) };
}
