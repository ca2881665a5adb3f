/**
 * The checks that need the pinned HSM root (key.attestation, jwks.attestation) and policy.digest.
 * Certificate signatures are checked with WebCrypto (attestation.ts), so these are asynchronous.
 */
import { sha256Hex } from '../../src/core/canonical.ts';
import type { ExportBundle } from '../../src/core/checkpoint/bundle-format.ts';
import type { VerifierKey } from '../../src/core/checkpoint/verifier-key.ts';
import { certifiesEd25519, certifiesJwk, verifyChain, type X509Certificate } from './attestation.ts';
import { isObj } from './bundle-shape.ts';
import { errMessage, type Reporter } from './report.ts';

export async function checkAttestation(b: ExportBundle, key: VerifierKey | null, root: X509Certificate | null, at: Date, r: Reporter): Promise<void> {
  const id = 'key.attestation';
  if (!root) return;
  try {
    const leaf = await verifyChain(b.verifierKey.x5c, root, at);
    if (key && !(await certifiesEd25519(leaf, key.publicKey))) {
      r.fail(id, 'the attested certificate is for a different key than the checkpoint verifier key');
      return;
    }
    r.note(id, `leaf ${leaf.subject}; checked at ${at.toISOString()}`);
  } catch (e) {
    r.fail(id, errMessage(e));
  }
}

export async function checkJwks(b: ExportBundle, root: X509Certificate | null, at: Date, r: Reporter): Promise<void> {
  const id = 'jwks.attestation';
  r.register(id, 'JWKS keys are attested by x5c chains to the pinned root');
  if (b.jwks.keys.length === 0) {
    r.skip(id, 'no keys in bundle');
    return;
  }
  for (const [i, k] of b.jwks.keys.entries()) {
    if (!isObj(k)) {
      r.fail(id, `jwks.keys[${i}] is not an object`);
      continue;
    }
    const name = typeof k['kid'] === 'string' ? `key ${JSON.stringify(k['kid'])}` : `jwks.keys[${i}]`;
    if (k['d'] !== undefined || k['p'] !== undefined || k['k'] !== undefined) r.fail(id, `${name} carries private key material`);
    if (!Array.isArray(k['x5c']) || k['x5c'].length === 0) {
      r.warn(id, `${name} has no x5c attestation chain`);
      continue;
    }
    if (!root) continue;
    try {
      const leaf = await verifyChain(k['x5c'], root, at);
      if (!(await certifiesJwk(leaf, k as JsonWebKey))) r.fail(id, `${name}: the attested certificate is for a different key`);
    } catch (e) {
      r.fail(id, `${name}: ${errMessage(e)}`);
    }
  }
}

export function checkPolicies(b: ExportBundle, r: Reporter): void {
  const id = 'policy.digest';
  r.register(id, 'policy versions match their SHA-256 digests');
  if (b.policyVersions.length === 0) {
    r.skip(id, 'no policy versions in bundle');
    return;
  }
  for (const [i, p] of (b.policyVersions as unknown[]).entries()) {
    if (!isObj(p) || typeof p['version'] !== 'string' || typeof p['digest'] !== 'string' || !/^[0-9a-f]{64}$/.test(p['digest'])) {
      r.fail(id, `policyVersions[${i}] must be {version, digest: 64 lowercase hex, source?}`);
      continue;
    }
    if (typeof p['source'] !== 'string') {
      r.warn(id, `policy ${JSON.stringify(p['version'])}: source not included, digest cannot be checked`);
      continue;
    }
    if (sha256Hex(p['source']) !== p['digest']) r.fail(id, `policy ${JSON.stringify(p['version'])}: source does not match its digest`);
  }
}
