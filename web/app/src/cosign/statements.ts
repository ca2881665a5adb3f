import { canonicalJson } from '../../../../src/core/canonical-json.ts';
import { comparatorStatementHash, evidenceHash, type ComparatorStatement } from '../../../../src/core/signature/comparator-statement.ts';
import { DeviceRefusal } from './device-refusal.ts';
import { descriptorDigest } from '../../../../src/core/signature/device-protocol.ts';
import { assertionChallenge, fromBase64url, witnessStatementHash, type WitnessStatement } from '../../../../src/core/signature/transcript.ts';

/**
 * What the phone checks before its passkey signs a co-signature or a witness statement
 * (docs/protocol.md §7, §9): it recomputes, from what it showed, every value the gateway hands it,
 * with the gateway's own code (src/core), and refuses to sign on any difference. The gateway could
 * otherwise have the passkey sign a statement about another action or another package.
 */

export { DeviceRefusal } from './device-refusal.ts';

const refuse = (why: string): never => {
  throw new DeviceRefusal(why);
};

interface Signed<S> {
  nonce: string;
  digest: string;
  statement: S;
  statementHash: string;
  options: { challenge: string; allowCredentials?: { id: string }[] };
}

function checkChallenge(o: Signed<unknown>, statementHash: string, credentialId: string): void {
  if (o.statementHash !== statementHash) refuse('the statement hash is not the statement’s');
  if (o.options.challenge !== assertionChallenge(fromBase64url(o.nonce), o.digest, statementHash)) refuse('the passkey challenge does not bind this statement');
  if (!(o.options.allowCredentials ?? []).every((c) => c.id === credentialId)) refuse('the gateway asks another passkey to sign');
}

const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

/**
 * Comparator: the options must bind the action digest shown, this comparator and passkey, and the
 * hash of the evidence package they carry; `evidence` is that package, already checked in the page.
 */
export function checkComparatorOptions(
  o: Signed<ComparatorStatement> & { actionId: string; evidence: unknown; evidenceSha256: string },
  shown: { actionId: string; digest: string; comparator: string; credentialId: string },
): void {
  if (o.digest !== shown.digest || o.actionId !== shown.actionId) refuse('the gateway asks to sign another action');
  if (evidenceHash(o.evidence) !== o.evidenceSha256) refuse('the evidence hash is not the package’s');
  const expected: ComparatorStatement = { v: 1, type: 'comparator', actionId: shown.actionId, digest: shown.digest, comparator: shown.comparator, credentialId: shown.credentialId, evidenceSha256: o.evidenceSha256 };
  if (!same(o.statement, expected)) refuse('the statement is not about what you reviewed');
  checkChallenge(o, comparatorStatementHash(expected), shown.credentialId);
}

/** Witness: the options must bind the challenge and digest shown, the person and this witness's passkey. */
export function checkWitnessOptions(
  o: Signed<WitnessStatement> & { challengeId: string; descriptor: unknown },
  shown: { challengeId: string; digest: string; person: string; witness: string; credentialId: string },
): void {
  if (o.challengeId !== shown.challengeId || o.digest !== shown.digest) refuse('the gateway asks to witness another action');
  if (descriptorDigest(o.descriptor) !== o.digest) refuse('the action shown does not hash to its digest');
  const expected: WitnessStatement = { v: 1, type: 'witness', challengeId: shown.challengeId, digest: shown.digest, person: shown.person, witness: shown.witness, credentialId: shown.credentialId };
  if (!same(o.statement, expected)) refuse('the statement is not about the person and action shown');
  checkChallenge(o, witnessStatementHash(expected), shown.credentialId);
}
