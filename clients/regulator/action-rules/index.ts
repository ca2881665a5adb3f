/**
 * The action and policy rules the verifier runs by default, after the cryptographic checks.
 * docs/regulator.md describes each precisely enough to reimplement.
 */
import type { VerificationRule } from '../rules.ts';
import { approvalsRule } from './approvals-rule.ts';
import { authorisationRule } from './authorisation-rule.ts';
import { coolingRule } from './cooling-rule.ts';
import { finalityRule } from './finality-rule.ts';
import { lifecycleRule } from './lifecycle-rule.ts';
import { policyRule } from './policy-rule.ts';
import { quorumRule } from './quorum-rule.ts';
import { receiptRule } from './receipt-rule.ts';
import { regulatorRule } from './regulator-rule.ts';
import { requirementsRule } from './requirements-rule.ts';
import { signatureRule } from './signature-rule.ts';

export const domainRules: readonly VerificationRule[] = [
  lifecycleRule,
  authorisationRule,
  finalityRule,
  policyRule,
  requirementsRule,
  coolingRule,
  signatureRule,
  quorumRule,
  approvalsRule,
  receiptRule,
  regulatorRule,
];
