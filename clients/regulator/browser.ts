/**
 * The regulator verifier as a web page loads it: the same modules as the CLI, nothing Node-only in
 * their imports (test/regulator/browser-verifier.test.ts bundles this entry for the browser and
 * runs it in Chromium). SHA-256 comes from `#sha256`, whose "browser" condition selects the
 * pure-JavaScript implementation.
 */
export { verifyBundle, formatReport, type VerifyOptions } from './verify-bundle.ts';
export type { VerificationReport, VerificationRule, RuleContext, RuleRun, EntryView } from './verify-bundle.ts';
export { verifyCheckpoint, verifyEntryInclusion, verifyCheckpointConsistency, type VerifiedCheckpoint } from './proofs.ts';
export { isFirewallError } from '../../src/core/errors.ts';
export { checkEvidence } from './evidence.ts';
