/**
 * PKCS#11 specifics against a real SoftHSMv2 token: the start-up refusal of exportable keys, PIN
 * and token errors, the on-token operation counter, and concurrent signing over the session pool.
 */
import { createPublicKey, verify } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { afterEach, describe, expect, it } from 'vitest';
import { createPkcs11Signer } from '../../src/adapters/signer/pkcs11-signer.ts';
import { pkcs11SignerOptionsFromEnv } from '../../src/adapters/signer/pkcs11-options.ts';
import { Cleanup, rejectsWith, tempDir } from '../hsm/helpers.ts';
import { SOFTHSM_USER_PIN, initSoftHsmToken } from './softhsm.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function token(label = 'p11'): Promise<{ library: string }> {
  const dir = await tempDir(cleanup, 'softhsm-test-');
  return initSoftHsmToken(dir, label);
}

/** Put a badly protected key on the token with raw pkcs11js, the way a careless admin might. */
function plantKey(library: string, label: string, how: 'extractable' | 'was-extractable'): void {
  const p11 = new pkcs11js.PKCS11();
  p11.load(library);
  p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  try {
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === label)!;
    const s = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    p11.C_Login(s, pkcs11js.CKU_USER, SOFTHSM_USER_PIN);
    const { privateKey } = p11.C_GenerateKeyPair(
      s,
      { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
      [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from('06082a8648ce3d030107', 'hex') },
      ],
      [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_LABEL, value: 'legacy-key' },
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: how === 'was-extractable' },
        { type: pkcs11js.CKA_EXTRACTABLE, value: true },
      ],
    );
    // Turning CKA_EXTRACTABLE off later does not undo the past: CKA_NEVER_EXTRACTABLE stays false.
    if (how === 'was-extractable') p11.C_SetAttributeValue(s, privateKey, [{ type: pkcs11js.CKA_EXTRACTABLE, value: false }]);
    p11.C_CloseSession(s);
  } finally {
    p11.C_Finalize();
  }
}

describe('PKCS#11 signer (SoftHSMv2)', () => {
  for (const how of ['extractable', 'was-extractable'] as const) {
    it(`refuses to start on a token holding a ${how} private key`, async () => {
      const { library } = await token();
      plantKey(library, 'p11', how);
      const e = await rejectsWith(createPkcs11Signer({ library, pin: SOFTHSM_USER_PIN, tokenLabel: 'p11' }), 'SIGNER_KEY_EXTRACTABLE');
      expect(e.message).toMatch(how === 'extractable' ? /CKA_SENSITIVE is false, CKA_EXTRACTABLE is true/ : /CKA_NEVER_EXTRACTABLE is false/);
      expect(e.detail).toEqual({ label: 'legacy-key' });
    });
  }

  it('reports a wrong PIN and a missing token precisely', async () => {
    const { library } = await token();
    await rejectsWith(createPkcs11Signer({ library, pin: '000000', tokenLabel: 'p11' }), 'PIN_INCORRECT');
    await rejectsWith(createPkcs11Signer({ library, pin: SOFTHSM_USER_PIN, tokenLabel: 'no-such-token' }), 'SIGNER_UNAVAILABLE');
    await rejectsWith(createPkcs11Signer({ library: '/nonexistent/libpkcs11.so', pin: SOFTHSM_USER_PIN }), 'SIGNER_UNAVAILABLE');
  });

  it('keeps kids and a never-repeating counter across reopen', async () => {
    const { library } = await token();
    const a = await createPkcs11Signer({ library, pin: SOFTHSM_USER_PIN, tokenLabel: 'p11' });
    const keysA = await a.ensureKeys();
    const s1 = await a.sign('checkpoint', new Uint8Array([1]));
    await a.close();
    await rejectsWith(a.sign('checkpoint', new Uint8Array([1])), 'SIGNER_UNAVAILABLE');

    const b = await createPkcs11Signer({ library, pin: SOFTHSM_USER_PIN, tokenLabel: 'p11' });
    cleanup.add(() => b.close());
    // No ensureKeys: existing keys are found by label.
    expect((await b.publicKey('checkpoint')).kid).toBe(keysA[1]!.kid);
    const s2 = await b.sign('checkpoint', new Uint8Array([1]));
    expect(s2.counter).toBeGreaterThan(s1.counter);
    expect((await b.ensureKeys()).map((k) => k.kid)).toEqual(keysA.map((k) => k.kid));
  });

  it('signs concurrently over the session pool without corruption', async () => {
    const { library } = await token();
    const signer = await createPkcs11Signer({ library, pin: SOFTHSM_USER_PIN, tokenLabel: 'p11', poolSize: 3 });
    cleanup.add(() => signer.close());
    const keys = await signer.ensureKeys();
    const jobs = Array.from({ length: 300 }, (_, i) => {
      const info = keys[i % keys.length]!;
      const data = new TextEncoder().encode(`concurrent ${i}`);
      return signer.sign(info.purpose, data).then((s) => ({ info, data, s }));
    });
    const results = await Promise.all(jobs);
    for (const { info, data, s } of results) {
      const key = createPublicKey({ key: info.jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
      const ok = info.alg === 'EdDSA' ? verify(null, data, key, s.signature) : verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, s.signature);
      expect(ok).toBe(true);
    }
    expect(new Set(results.map((r) => r.s.counter)).size).toBe(300);
    expect(await signer.health()).toEqual({ ok: true });
  });

  it('reads its configuration from the environment', () => {
    expect(
      pkcs11SignerOptionsFromEnv({ PKCS11_LIBRARY: '/usr/lib/x.so', PKCS11_PIN: '1234', PKCS11_TOKEN_LABEL: 't', PKCS11_POOL_SIZE: '8', PKCS11_EDDSA_PARAMS: 'name', SIGNER_LABEL_PREFIX: 'af' }),
    ).toEqual({ library: '/usr/lib/x.so', pin: '1234', tokenLabel: 't', poolSize: 8, eddsaParams: 'name', labelPrefix: 'af' });
    expect(() => pkcs11SignerOptionsFromEnv({ PKCS11_PIN: '1' })).toThrow(expect.objectContaining({ code: 'SIGNER_CONFIG_INVALID' }));
  });
});
