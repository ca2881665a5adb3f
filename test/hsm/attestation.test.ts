/**
 * Attestation: every generated key comes with a certificate from the device root, which the real
 * openssl binary verifies, and which states where the key was made and what it may do.
 */
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical.ts';
import { toPem } from '../../hsm-sim/attestation/certificates.ts';
import { readKeyAttestation } from '../../hsm-sim/attestation/key-attestation.ts';
import { KEY_ATTESTATION_OID } from '../../hsm-sim/attestation/oid.ts';
import { verifyStatement } from '../../hsm-sim/attestation/statements.ts';
import { Cleanup, loggedIn, run, startDevice, tempDir } from './helpers.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

interface KeyInfo {
  label: string;
  id: string;
  jwk: JsonWebKey;
  x5c: string[];
}

describe('key attestation certificates', () => {
  it('openssl verifies the chain for Ed25519 and P-256 keys, and rejects an altered certificate', async () => {
    const dir = await tempDir(cleanup);
    const dev = await startDevice(cleanup, join(dir, 'dev'));
    const user = await loggedIn(cleanup, dev.endpoint, 'user');
    const ed = await user.request<KeyInfo>('generateKey', { label: 'att-receipt', algorithm: 'Ed25519', purposes: ['receipt', 'checkpoint'] });
    const ec = await user.request<KeyInfo>('generateKey', { label: 'att_token', algorithm: 'P-256', purposes: ['token'] });

    const rootPem = join(dir, 'root.pem');
    await writeFile(rootPem, toPem(Buffer.from(ed.x5c[1]!, 'base64')));
    for (const [name, k] of [['ed25519', ed], ['p256', ec]] as const) {
      const leafPem = join(dir, `${name}.pem`);
      await writeFile(leafPem, toPem(Buffer.from(k.x5c[0]!, 'base64')));
      const ok = await run('openssl', ['verify', '-x509_strict', '-CAfile', rootPem, leafPem]);
      expect(ok.stdout.trim(), ok.stderr).toBe(`${leafPem}: OK`);
      expect(ok.code).toBe(0);

      // The certificate's key is the key the device reports, so the chain attests this very key.
      const pub = await run('openssl', ['x509', '-in', leafPem, '-noout', '-pubkey']);
      const fromCert = new X509Certificate(Buffer.from(k.x5c[0]!, 'base64')).publicKey.export({ format: 'jwk' });
      expect(fromCert.x).toBe(k.jwk.x);
      expect(pub.stdout).toContain('BEGIN PUBLIC KEY');

      // Flip one bit of the signature: openssl must now refuse the chain.
      const der = Buffer.from(k.x5c[0]!, 'base64');
      der[der.length - 5]! ^= 0x01;
      const badPem = join(dir, `${name}-bad.pem`);
      await writeFile(badPem, toPem(der));
      const bad = await run('openssl', ['verify', '-CAfile', rootPem, badPem]);
      expect(bad.code).not.toBe(0);
    }
  });

  it('states in subject and extension: generated inside, non-extractable, purpose and label', async () => {
    const dir = await tempDir(cleanup);
    const dev = await startDevice(cleanup, join(dir, 'dev'));
    const user = await loggedIn(cleanup, dev.endpoint, 'user');
    const k = await user.request<KeyInfo>('generateKey', { label: 'att-webhook', algorithm: 'Ed25519', purposes: ['webhook'] });
    const leaf = Buffer.from(k.x5c[0]!, 'base64');
    const a = readKeyAttestation(leaf);
    expect(a).toMatchObject({
      version: 1,
      keyId: k.id,
      label: 'att-webhook',
      algorithm: 'Ed25519',
      purposes: ['webhook'],
      mechanisms: ['EdDSA'],
      generatedOnDevice: true,
      extractable: false,
      sensitive: true,
      deviceSerial: dev.deviceSerial,
    });
    const leafPem = join(dir, 'leaf.pem');
    await writeFile(leafPem, toPem(leaf));
    const text = (await run('openssl', ['x509', '-in', leafPem, '-noout', '-text'])).stdout;
    expect(text).toContain(KEY_ATTESTATION_OID);
    expect(text).toMatch(/Subject: .*OU = generated-on-device non-extractable.*OU = purpose=webhook.*CN = att-webhook/);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature/);
    expect(text).toContain('ED25519');
    const rootText = (await run('openssl', ['x509', '-noout', '-text'], { input: toPem(Buffer.from(k.x5c[1]!, 'base64')) })).stdout;
    expect(rootText).toMatch(/CA:TRUE, pathlen:0/);
    expect(rootText).toContain(`serialNumber = ${dev.deviceSerial}`);
    // A key certificate never outlives its root, and starts at most an hour before generation.
    const [l, r] = [new X509Certificate(leaf), new X509Certificate(Buffer.from(k.x5c[1]!, 'base64'))];
    expect(Date.parse(l.validTo)).toBeLessThanOrEqual(Date.parse(r.validTo));
    expect(Date.parse(l.validFrom)).toBeGreaterThanOrEqual(Date.parse(r.validFrom));
    expect(a!.generatedAt.getTime() - Date.parse(l.validFrom)).toBeLessThanOrEqual(3600_000);
    expect(a!.generatedAt.getTime()).toBeGreaterThanOrEqual(Date.parse(l.validFrom));
  });

  it('device statements (audit head) verify with openssl dgst and the root certificate alone', async () => {
    const dir = await tempDir(cleanup);
    const dev = await startDevice(cleanup, join(dir, 'dev'));
    const user = await loggedIn(cleanup, dev.endpoint, 'user');
    const chain = (await user.request<{ chain: string[] }>('attestation')).chain;
    expect(chain).toHaveLength(1);
    const head = await user.request<{ statement: Record<string, unknown>; signature: string }>('auditHead');
    expect(verifyStatement(chain[0]!, head.statement, head.signature)).toBe(true);
    expect(verifyStatement(chain[0]!, { ...head.statement, index: (head.statement.index as number) - 1 }, head.signature)).toBe(false);

    await writeFile(join(dir, 'root.pem'), toPem(Buffer.from(chain[0]!, 'base64')));
    await writeFile(join(dir, 'statement.json'), canonicalJson(head.statement));
    await writeFile(join(dir, 'statement.sig'), Buffer.from(head.signature, 'base64'));
    const pub = await run('openssl', ['x509', '-in', join(dir, 'root.pem'), '-pubkey', '-noout']);
    await writeFile(join(dir, 'device.pub'), pub.stdout);
    const v = await run('openssl', ['dgst', '-sha256', '-verify', join(dir, 'device.pub'), '-signature', join(dir, 'statement.sig'), join(dir, 'statement.json')]);
    expect(v.stdout.trim()).toBe('Verified OK');
  });
});
