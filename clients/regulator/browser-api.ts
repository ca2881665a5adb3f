/**
 * The verifier's API as a web page uses it (the regulator console): types only, so that a page's
 * own type check (which has no Node types) need not read the verifier's sources; browser.ts
 * exports `verifier`, checked against this interface by the project's type check.
 */
import type { X509Certificate } from '@peculiar/x509';
import type { VerificationReport } from './report.ts';

export type { VerificationReport, Finding, CheckResult, CheckStatus } from './report.ts';

export interface VerifiedCheckpointView {
  origin: string;
  size: number;
  /** Base64 of the 32-byte root hash. */
  rootHash: string;
}

export interface BrowserVerifierApi {
  verifyBundle(input: unknown, options: { rootPem: string | Uint8Array; at?: number; origin?: string }): Promise<VerificationReport>;
  verifyCheckpoint(note: string, verifierKey: string, origin?: string): VerifiedCheckpointView;
  verifyEntryInclusion(entry: string, index: number, proof: readonly string[], checkpoint: VerifiedCheckpointView): void;
  verifyCheckpointConsistency(earlier: VerifiedCheckpointView, later: VerifiedCheckpointView, proof: readonly string[]): void;
  verifyKeyAttestation(verifierKey: string, x5c: unknown, rootPem: string | Uint8Array, at: Date): Promise<{ leafSubject: string }>;
  loadRootCertificate(pem: string | Uint8Array): X509Certificate;
  /** Parses a DER certificate (for showing an attestation chain). */
  parseCertificate(der: Uint8Array): X509Certificate;
}
