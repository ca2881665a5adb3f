/**
 * The regulator verifier as a web page loads it: the same modules as the CLI, nothing Node-only in
 * their imports (test/regulator/browser-verifier.test.ts bundles this entry for the browser and
 * runs it in Chromium). SHA-256 comes from `#sha256`, whose "browser" condition selects the
 * pure-JavaScript implementation.
 */
export { verifyBundle, formatReport, type VerifyOptions } from './verify-bundle.ts';
export type { VerificationReport, VerificationRule, RuleContext, RuleRun, EntryView } from './verify-bundle.ts';
export { verifyCheckpoint, verifyEntryInclusion, verifyCheckpointConsistency, verifyKeyAttestation, type VerifiedCheckpoint } from './proofs.ts';
export { loadRootCertificate, X509Certificate } from './attestation.ts';
export { isFirewallError } from '../../src/core/errors.ts';
export { checkEvidence } from './evidence.ts';

import type { BrowserVerifierApi } from './browser-api.ts';
import { X509Certificate as Certificate, loadRootCertificate as loadRoot } from './attestation.ts';
import { verifyBundle as verify } from './verify-bundle.ts';
import * as proofs from './proofs.ts';

/** Everything a page needs, in one object whose type a page can check without Node's types (browser-api.ts). */
export const verifier: BrowserVerifierApi = {
  verifyBundle: verify,
  verifyCheckpoint: proofs.verifyCheckpoint,
  verifyEntryInclusion: proofs.verifyEntryInclusion,
  verifyCheckpointConsistency: proofs.verifyCheckpointConsistency,
  verifyKeyAttestation: proofs.verifyKeyAttestation,
  loadRootCertificate: loadRoot,
  parseCertificate: (der) => new Certificate(der),
};
