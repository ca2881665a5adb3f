/**
 * The regulator verifier, exactly as the CLI runs it (clients/regulator/browser.ts: one
 * implementation for Node and the browser). The console checks checkpoints, proofs and bundles
 * with these functions only.
 */
import { verifier } from '@regulator-verifier';

export const { verifyBundle, verifyCheckpoint, verifyEntryInclusion, verifyCheckpointConsistency, verifyKeyAttestation, loadRootCertificate, parseCertificate } = verifier;
export type { VerificationReport, Finding, CheckResult, VerifiedCheckpointView as VerifiedCheckpoint } from '../../../../clients/regulator/browser-api.ts';
export type { X509Certificate } from '@peculiar/x509';

/** A failed check's code and message, whatever was thrown. */
export function failure(e: unknown): { code: string; message: string } {
  const code = typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'ERROR';
  return { code, message: e instanceof Error ? e.message : String(e) };
}
