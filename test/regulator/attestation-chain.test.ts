/**
 * clients/regulator/attestation.ts on chains built here: what OpenSSL's X509_check_issued refused
 * (the verifier used node:crypto's X509Certificate before it ran in browsers) is still refused.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isFirewallError } from '../../src/core/errors.ts';
import { certifiesJwk, loadRootCertificate, verifyChain } from '../../clients/regulator/attestation.ts';
import { createTestPki } from '../log/helpers/pki.ts';

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return isFirewallError(e) ? `${e.code}: ${e.message}` : String(e);
  }
}

describe('x5c chains to the pinned root', () => {
  it('accepts a leaf issued by the root and certifying the key; refuses one from a CA whose key usage forbids issuing', async () => {
    const key = generateKeyPairSync('ed25519').publicKey;
    const good = createTestPki('Issuing Root');
    const leaf = await verifyChain([good.issue(key, 'log key')], loadRootCertificate(good.rootPem), new Date());
    expect(await certifiesJwk(leaf, key.export({ format: 'jwk' }))).toBe(true);
    expect(await certifiesJwk(leaf, generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }))).toBe(false);

    const mute = createTestPki('Mute Root', { caCannotSign: true });
    const root = loadRootCertificate(mute.rootPem);
    expect(await outcome(verifyChain([mute.issue(key, 'log key')], root, new Date()))).toBe('ATTESTATION_CHAIN_INVALID: x5c[0] is not issued by the pinned root');
    expect(await outcome(verifyChain([mute.rootB64], root, new Date()))).toBe('ATTESTATION_CHAIN_INVALID: the pinned root is not self-signed');
    good.dispose();
    mute.dispose();
  });
});
