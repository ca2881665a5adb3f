/**
 * The Sealer (src/core/sealer.ts) on hsm-sim: an AES-256 key made in the device, never
 * extractable, AES-GCM `encrypt`/`decrypt` there; a blob opens only with the same key and AAD and
 * unchanged bytes; the key survives a device restart; the device audit log never sees the
 * plaintext. Real device processes. And on PKCS#11 (a real SoftHSMv2 token): CKK_AES, CKM_AES_GCM,
 * the same blob rules, a key whose value the token refuses to release.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import pkcs11js from 'pkcs11js';
import { createHsmSimSigner } from '../../src/adapters/signer/hsm-sim-signer.ts';
import { createPkcs11Signer } from '../../src/adapters/signer/pkcs11-signer.ts';
import type { Sealer } from '../../src/core/sealer.ts';
import { SEALED_FORMAT } from '../../src/core/sealer.ts';
import { Cleanup, loggedIn, rejectsWith, startDevice, tempDir } from '../hsm/helpers.ts';
import { SOFTHSM_USER_PIN, initSoftHsmToken } from './softhsm.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const enc = (s: string) => new TextEncoder().encode(s);

async function device(dir?: string) {
  const dev = await startDevice(cleanup, dir ?? (await tempDir(cleanup)));
  const client = createHsmSimSigner({ socketPath: dev.socketPath, userPin: dev.userPin });
  cleanup.add(() => client.close());
  return { dev, client, signer: client.sealer() };
}

describe('hsm-sim sealer', () => {
  it('seals and opens; a blob opens only unchanged, with its AAD, under its key', async () => {
    const { dev, signer } = await device();
    const secret = new Uint8Array(32).map((_, i) => i * 7);
    const aad = enc('["challenge-nonce",1,"chl_a"]');
    const blob = await signer.seal(secret, aad);
    expect(blob[0]).toBe(SEALED_FORMAT.version);
    expect(blob.length).toBe(1 + SEALED_FORMAT.ivBytes + secret.length + SEALED_FORMAT.tagBytes);
    expect(Buffer.from(blob).includes(Buffer.from(secret))).toBe(false);
    expect(await signer.open(blob, aad)).toEqual(secret);
    // Fresh IV each time: the same secret never seals to the same bytes.
    expect(Buffer.from(await signer.seal(secret, aad)).equals(Buffer.from(blob))).toBe(false);

    // Moved to another challenge (other AAD): does not open.
    await rejectsWith(signer.open(blob, enc('["challenge-nonce",1,"chl_b"]')), 'SEAL_INVALID');
    // Any changed byte (IV, ciphertext, tag): does not open.
    for (const at of [1, 1 + SEALED_FORMAT.ivBytes, blob.length - 1]) {
      const bad = Uint8Array.from(blob);
      bad[at]! ^= 0x01;
      await rejectsWith(signer.open(bad, aad), 'SEAL_INVALID');
    }
    await rejectsWith(signer.open(blob.subarray(0, 20), aad), 'SEAL_INVALID');
    await rejectsWith(signer.open(Uint8Array.from([2, ...blob.subarray(1)]), aad), 'SEAL_INVALID');

    // Another device's key (another HSM): does not open.
    const other = await device();
    await rejectsWith(other.signer.open(blob, aad), 'SEAL_INVALID');
    expect(await other.signer.open(await other.signer.seal(secret, aad), aad)).toEqual(secret);

    // The device logged each use, with the AAD's digest, never the plaintext's.
    const audit = await readFile(join(dev.dataDir, 'audit.jsonl'), 'utf8');
    expect(audit).toContain('"op":"encrypt"');
    expect(audit).toContain('"op":"decrypt"');
    expect(audit).toContain('DECRYPT_FAILED');
    const { createHash } = await import('node:crypto');
    expect(audit).not.toContain(createHash('sha256').update(secret).digest('hex'));
    expect(audit).toContain(createHash('sha256').update(aad).digest('hex'));
  });

  it('the seal key is an AES-256 key that never leaves the device, signs nothing, and survives a restart', async () => {
    const dir = await tempDir(cleanup);
    const { dev, client, signer } = await device(dir);
    const aad = enc('x');
    const blob = await signer.seal(enc('persist me'), aad);
    const user = await loggedIn(cleanup, dev.endpoint, 'user');
    const { keys } = await user.request<{ keys: { label: string; algorithm: string; purposes: string[]; mechanisms: string[]; attributes: Record<string, boolean>; jwk: Record<string, unknown> }[] }>('listKeys');
    const k = keys.find((x) => x.label === 'analog-firewall-seal')!;
    expect(k).toMatchObject({ algorithm: 'AES-256', purposes: ['seal'], mechanisms: ['AES-GCM'], attributes: { extractable: false, sensitive: true, neverExtractable: true } });
    expect(k.jwk).toEqual({ kty: 'oct' });
    await rejectsWith(user.request('exportPrivateKey', { key: { label: k.label } }), 'KEY_NOT_EXTRACTABLE');
    // Not a signing key, and a signing key does not encrypt.
    await rejectsWith(user.request('sign', { key: { label: k.label }, purpose: 'seal', mechanism: 'AES-GCM', data: 'AA==' }), 'REQUEST_INVALID');
    await rejectsWith(user.request('sign', { key: { label: k.label }, purpose: 'seal', mechanism: 'EdDSA', data: 'AA==' }), 'MECHANISM_NOT_ALLOWED');
    await client.ensureKeys();
    await rejectsWith(user.request('encrypt', { key: { label: 'analog-firewall-receipt' }, purpose: 'receipt', mechanism: 'AES-GCM', data: 'AA==', aad: '' }), 'MECHANISM_NOT_ALLOWED');
    // The security officer never uses keys.
    const so = await loggedIn(cleanup, dev.endpoint, 'so');
    await rejectsWith(so.request('decrypt', { key: { label: k.label }, purpose: 'seal', mechanism: 'AES-GCM', iv: 'AAAAAAAAAAAAAAAA', data: 'AAAAAAAAAAAAAAAAAAAAAA==', aad: '' }), 'OPERATION_NOT_PERMITTED');

    await dev.stop();
    const back = await startDevice(cleanup, dir);
    const again = createHsmSimSigner({ socketPath: back.socketPath, userPin: back.userPin });
    cleanup.add(() => again.close());
    expect(new TextDecoder().decode(await again.sealer().open(blob, aad))).toBe('persist me');
  });

  it('fails with SIGNER_UNAVAILABLE while the device is down', async () => {
    const { dev, signer } = await device();
    const blob = await signer.seal(enc('s'), enc('a'));
    await dev.stop();
    await rejectsWith(signer.open(blob, enc('a')), 'SIGNER_UNAVAILABLE');
    await rejectsWith(signer.seal(enc('s'), enc('a')), 'SIGNER_UNAVAILABLE');
  });
});

/** What every backend must do with a blob: open it unchanged with its AAD, refuse anything else. */
async function blobRules(sealer: Sealer, other: Sealer): Promise<void> {
  const secret = new Uint8Array(32).map((_, i) => 255 - i);
  const aad = enc('["challenge-nonce",1,"chl_p"]');
  const blob = await sealer.seal(secret, aad);
  expect(blob.length).toBe(1 + SEALED_FORMAT.ivBytes + secret.length + SEALED_FORMAT.tagBytes);
  expect(Buffer.from(blob).includes(Buffer.from(secret))).toBe(false);
  expect(await sealer.open(blob, aad)).toEqual(secret);
  await rejectsWith(sealer.open(blob, enc('["challenge-nonce",1,"chl_q"]')), 'SEAL_INVALID');
  for (const at of [1, 1 + SEALED_FORMAT.ivBytes, blob.length - 1]) {
    const bad = Uint8Array.from(blob);
    bad[at]! ^= 0x80;
    await rejectsWith(sealer.open(bad, aad), 'SEAL_INVALID');
  }
  await rejectsWith(other.open(blob, aad), 'SEAL_INVALID');
}

describe('PKCS#11 sealer (SoftHSMv2)', () => {
  it('seals with a sensitive, never-extractable AES key on the token; blob rules as on hsm-sim; the key persists', async () => {
    const dir = await tempDir(cleanup, 'softhsm-seal-');
    const { library } = await initSoftHsmToken(dir, 'seal-a');
    await initSoftHsmToken(dir, 'seal-b');
    const a = await createPkcs11Signer({ library, pin: SOFTHSM_USER_PIN, tokenLabel: 'seal-a' });
    const b = await createPkcs11Signer({ library, pin: SOFTHSM_USER_PIN, tokenLabel: 'seal-b' });
    cleanup.add(() => b.close());
    await blobRules(a.sealer(), b.sealer());
    const kept = await a.sealer().seal(enc('across a reopen'), enc('k'));
    await a.close();
    await rejectsWith(a.sealer().seal(enc('x'), enc('k')), 'SIGNER_UNAVAILABLE');

    // Reopened: the same key is found by label and opens what it sealed.
    const again = await createPkcs11Signer({ library, pin: SOFTHSM_USER_PIN, tokenLabel: 'seal-a' });
    cleanup.add(() => again.close());
    expect(new TextDecoder().decode(await again.sealer().open(kept, enc('k')))).toBe('across a reopen');

    // The key as the token holds it: one AES key, sensitive, never extractable, its value refused.
    const p11 = new pkcs11js.PKCS11();
    p11.load(library);
    try {
      p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch {
      /* initialised by the signer in this process */
    }
    const slot = p11.C_GetSlotList(true).find((x) => p11.C_GetTokenInfo(x).label.trim() === 'seal-a')!;
    const s = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    try {
      p11.C_FindObjectsInit(s, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY }, { type: pkcs11js.CKA_LABEL, value: 'analog-firewall-seal' }]);
      const keys = p11.C_FindObjects(s, 10);
      p11.C_FindObjectsFinal(s);
      expect(keys).toHaveLength(1);
      const attrs = p11.C_GetAttributeValue(s, keys[0]!, [{ type: pkcs11js.CKA_KEY_TYPE }, { type: pkcs11js.CKA_SENSITIVE }, { type: pkcs11js.CKA_EXTRACTABLE }, { type: pkcs11js.CKA_NEVER_EXTRACTABLE }, { type: pkcs11js.CKA_WRAP }, { type: pkcs11js.CKA_SIGN }]);
      const v = attrs.map((x) => (x.value as Buffer)[0]);
      expect(v).toEqual([pkcs11js.CKK_AES, 1, 0, 1, 0, 0]);
      expect(() => p11.C_GetAttributeValue(s, keys[0]!, [{ type: pkcs11js.CKA_VALUE }])).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
    } finally {
      p11.C_CloseSession(s);
    }
  });
});
