import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalDigest } from '../../src/core/canonical.ts';
import { comparatorStatementHash, evidenceHash, type ComparatorStatement } from '../../src/core/signature/comparator-statement.ts';
import { assertionChallenge, witnessStatementHash, type WitnessStatement } from '../../src/core/signature/transcript.ts';
import { checkComparatorOptions, checkWitnessOptions, DeviceRefusal } from '../../web/app/src/cosign/statements.ts';

/**
 * What the approver app's page checks before its passkey co-signs an evidence package or
 * witnesses a person (web/app/src/cosign/statements.ts): options built as the gateway builds them
 * pass; any value the page did not show (another action, another package, another statement,
 * another passkey, a challenge over something else) makes the phone refuse to sign.
 */
const descriptor = { actuator: 'infra', operation: 'delete_cluster', target: '<script>alert(1)</script>', agent: 'agent-ops' };
const digest = canonicalDigest(descriptor);
const nonce = randomBytes(32).toString('base64url');
const credentialId = 'cred-erin';

function comparatorOptions() {
  const evidence = { v: 1, type: 'comparator-evidence', digest, approvals: [{ who: 'carol' }, { who: 'dave' }] };
  const evidenceSha256 = evidenceHash(evidence);
  const statement: ComparatorStatement = { v: 1, type: 'comparator', actionId: 'act_1', digest, comparator: 'erin', credentialId, evidenceSha256 };
  const statementHash = comparatorStatementHash(statement);
  return { actionId: 'act_1', nonce, digest, evidence, evidenceSha256, statement, statementHash, options: { challenge: assertionChallenge(Buffer.from(nonce, 'base64url'), digest, statementHash), allowCredentials: [{ id: credentialId }] } };
}
const shownComparator = { actionId: 'act_1', digest, comparator: 'erin', credentialId };

function witnessOptions() {
  const statement: WitnessStatement = { v: 1, type: 'witness', challengeId: 'chl_1', digest, person: 'wendy', witness: 'erin', credentialId };
  const statementHash = witnessStatementHash(statement);
  return { challengeId: 'chl_1', nonce, digest, descriptor, statement, statementHash, options: { challenge: assertionChallenge(Buffer.from(nonce, 'base64url'), digest, statementHash), allowCredentials: [{ id: credentialId }] } };
}
const shownWitness = { challengeId: 'chl_1', digest, person: 'wendy', witness: 'erin', credentialId };

const refused = (f: () => void, why: RegExp) => {
  let e: unknown;
  try {
    f();
  } catch (x) {
    e = x;
  }
  expect(e).toBeInstanceOf(DeviceRefusal);
  expect((e as Error).message).toMatch(why);
};

describe('the phone checks what it co-signs', () => {
  it('accepts comparator options that bind what was shown', () => {
    expect(() => checkComparatorOptions(comparatorOptions(), shownComparator)).not.toThrow();
  });

  it('refuses another action, another package, another statement, another passkey or a challenge over something else', () => {
    refused(() => checkComparatorOptions({ ...comparatorOptions(), digest: '0'.repeat(64) }, shownComparator), /another action/);
    const o = comparatorOptions();
    refused(() => checkComparatorOptions({ ...o, evidence: { ...o.evidence, approvals: [] } }, shownComparator), /evidence hash/);
    refused(() => checkComparatorOptions({ ...o, statement: { ...o.statement, comparator: 'mallory' } }, shownComparator), /statement is not/);
    refused(() => checkComparatorOptions(o, { ...shownComparator, credentialId: 'cred-other' }), /statement is not/);
    refused(() => checkComparatorOptions({ ...o, options: { ...o.options, challenge: assertionChallenge(randomBytes(32), digest, o.statementHash) } }, shownComparator), /challenge/);
    refused(() => checkComparatorOptions({ ...o, statementHash: '1'.repeat(64) }, shownComparator), /statement hash/);
    refused(() => checkComparatorOptions({ ...o, options: { ...o.options, allowCredentials: [{ id: 'cred-other' }] } }, shownComparator), /another passkey/);
  });

  it('accepts witness options that bind the person and action shown, and refuses any other', () => {
    expect(() => checkWitnessOptions(witnessOptions(), shownWitness)).not.toThrow();
    const o = witnessOptions();
    refused(() => checkWitnessOptions({ ...o, descriptor: { ...descriptor, target: 'prod' } }, shownWitness), /does not hash/);
    refused(() => checkWitnessOptions(o, { ...shownWitness, person: 'someone-else' }), /statement is not/);
    refused(() => checkWitnessOptions({ ...o, challengeId: 'chl_2' }, shownWitness), /another action/);
    refused(() => checkWitnessOptions({ ...o, options: { ...o.options, challenge: o.options.challenge.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) } }, shownWitness), /challenge/);
  });
});
