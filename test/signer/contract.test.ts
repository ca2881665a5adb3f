/**
 * One contract, every Signer backend: hsm-sim (a real child process over its Unix socket) and
 * PKCS#11 (pkcs11js against a real SoftHSMv2 token). Signatures are checked with node:crypto and
 * jose against the exported JWK, never with the signer itself.
 */
import { X509Certificate, createPublicKey, randomBytes, verify as cryptoVerify } from 'node:crypto';
import { compactVerify, importJWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeyPurpose, PublicKeyInfo, Signer } from '../../src/core/signer.ts';
import { createHsmSimSigner, type KeyAttributeReport } from '../../src/adapters/signer/hsm-sim-signer.ts';
import { createPkcs11Signer } from '../../src/adapters/signer/pkcs11-signer.ts';
import { Cleanup, rejectsWith, run, startDevice, tempDir } from '../hsm/helpers.ts';
import { initSoftHsmToken, SOFTHSM_USER_PIN } from './softhsm.ts';
import { checkDeterministic, deriveSessionKey } from '../../src/gateway/sessions/session-keys.ts';

interface ContractSigner extends Signer {
  ensureKeys(): Promise<PublicKeyInfo[]>;
  assertNonExtractable(purpose: KeyPurpose): Promise<KeyAttributeReport>;
}

interface Backend {
  name: string;
  attests: boolean;
  setup(cleanup: Cleanup): Promise<{ signer: ContractSigner; afterExportAttempt(): Promise<void> }>;
}

const PURPOSES: KeyPurpose[] = ['receipt', 'checkpoint', 'challenge', 'token', 'webhook', 'session'];

const backends: Backend[] = [
  {
    name: 'hsm-sim',
    attests: true,
    async setup(cleanup) {
      const dir = await tempDir(cleanup);
      const dev = await startDevice(cleanup, dir);
      const signer = createHsmSimSigner({ socketPath: dev.socketPath, userPin: dev.userPin });
      cleanup.add(() => signer.close());
      return {
        signer,
        // The refusal is recorded in the device's own audit log.
        async afterExportAttempt() {
          const ex = await signer.auditExport(0, 5000);
          const refusals = ex.entries.filter((e) => e.op === 'exportPrivateKey');
          expect(refusals.length).toBeGreaterThanOrEqual(PURPOSES.length);
          for (const r of refusals) expect(r.outcome).toBe('KEY_NOT_EXTRACTABLE');
          expect(new Set(refusals.map((r) => (r.key as { label: string }).label))).toEqual(new Set(PURPOSES.map((p) => `analog-firewall-${p}`)));
        },
      };
    },
  },
  {
    name: 'pkcs11 (SoftHSMv2)',
    attests: false,
    async setup(cleanup) {
      const dir = await tempDir(cleanup, 'softhsm-test-');
      const token = await initSoftHsmToken(dir, 'contract');
      const signer = await createPkcs11Signer({ library: token.library, pin: SOFTHSM_USER_PIN, tokenLabel: 'contract' });
      cleanup.add(() => signer.close());
      return {
        signer,
        // An independent observer (OpenSC's pkcs11-tool) reads the same attributes from the token.
        async afterExportAttempt() {
          const r = await run('pkcs11-tool', ['--module', token.library, '--token-label', 'contract', '--login', '--pin', SOFTHSM_USER_PIN, '--list-objects', '--type', 'privkey'], {
            env: { ...process.env, SOFTHSM2_CONF: token.conf },
          });
          expect(r.code).toBe(0);
          const blocks = r.stdout.split('Private Key Object').slice(1);
          expect(blocks).toHaveLength(PURPOSES.length);
          for (const b of blocks) {
            expect(b).toMatch(/Access:\s+sensitive, always sensitive, never extractable, local/);
            expect(b).toMatch(/Usage:\s+sign\s*$/m);
          }
        },
      };
    },
  },
];

function b64url(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64url');
}

function verifyRaw(info: PublicKeyInfo, data: Uint8Array, signature: Uint8Array): boolean {
  const key = createPublicKey({ key: info.jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  return info.alg === 'EdDSA' ? cryptoVerify(null, data, key, signature) : cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

describe('session key derivation', () => {
  it('refuses a backend whose session signatures are randomised', async () => {
    const randomised = { sign: async () => ({ kid: 'k', alg: 'EdDSA' as const, signature: new Uint8Array(randomBytes(64)), counter: 0 }) } as unknown as Signer;
    await expect(checkDeterministic(randomised)).rejects.toMatchObject({ code: 'SESSIONS_UNAVAILABLE' });
  });
});

describe.each(backends)('Signer contract: $name', (backend) => {
  const cleanup = new Cleanup();
  let signer: ContractSigner;
  let afterExportAttempt: () => Promise<void>;
  let keys: PublicKeyInfo[];

  beforeEach(async () => {
    ({ signer, afterExportAttempt } = await backend.setup(cleanup));
    keys = await signer.ensureKeys();
  });
  afterEach(() => cleanup.run());

  it('ensureKeys makes one key per purpose, with the right algorithm, once', async () => {
    expect(keys.map((k) => k.purpose)).toEqual(PURPOSES);
    for (const k of keys) {
      expect(k.alg).toBe(k.purpose === 'token' ? 'ES256' : 'EdDSA');
      expect(k.jwk).toMatchObject(k.alg === 'EdDSA' ? { kty: 'OKP', crv: 'Ed25519' } : { kty: 'EC', crv: 'P-256' });
      expect(k.jwk).not.toHaveProperty('d');
      expect(k.jwk.kid).toBe(k.kid);
    }
    expect(new Set(keys.map((k) => k.kid)).size).toBe(PURPOSES.length);
    const again = await signer.ensureKeys();
    expect(again.map((k) => k.kid)).toEqual(keys.map((k) => k.kid));
    expect(await signer.publicKey('token')).toEqual(keys[3]);
    await expect(signer.health()).resolves.toEqual({ ok: true });
  });

  it('session keys derive deterministically from the agent and session id (the same on every replica and after a restart)', async () => {
    await expect(checkDeterministic(signer)).resolves.toBeUndefined();
    const a = await deriveSessionKey(signer, 'agent-1', 'ses_one');
    expect(a).toHaveLength(32);
    expect(await deriveSessionKey(signer, 'agent-1', 'ses_one')).toEqual(a);
    expect(await deriveSessionKey(signer, 'agent-1', 'ses_two')).not.toEqual(a);
    expect(await deriveSessionKey(signer, 'agent-2', 'ses_one')).not.toEqual(a);
  });

  it('signs for every purpose; node:crypto and jose verify against the exported JWK', async () => {
    for (const info of keys) {
      const message = new TextEncoder().encode(`a ${info.purpose} to sign`);
      const sig = await signer.sign(info.purpose, message);
      expect(sig.kid).toBe(info.kid);
      expect(sig.alg).toBe(info.alg);
      expect(sig.signature).toHaveLength(64);
      expect(verifyRaw(info, message, sig.signature)).toBe(true);
      expect(verifyRaw(info, new TextEncoder().encode(`a ${info.purpose} to sign!`), sig.signature)).toBe(false);

      // A compact JWS whose signature came from the device: jose checks ES256 is raw r||s (JOSE form).
      const header = b64url(JSON.stringify({ alg: info.alg, kid: info.kid }));
      const payload = b64url(`payload for ${info.purpose}`);
      const jwsSig = await signer.sign(info.purpose, new TextEncoder().encode(`${header}.${payload}`));
      const { payload: verified, protectedHeader } = await compactVerify(`${header}.${payload}.${b64url(jwsSig.signature)}`, await importJWK(info.jwk, info.alg));
      expect(new TextDecoder().decode(verified)).toBe(`payload for ${info.purpose}`);
      expect(protectedHeader.kid).toBe(info.kid);
    }
  });

  it('ES256 signatures are 64-byte r||s that verify as IEEE P1363 and not as DER', async () => {
    const info = await signer.publicKey('token');
    const data = new TextEncoder().encode('es256 framing');
    const { signature } = await signer.sign('token', data);
    const key = createPublicKey({ key: info.jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    expect(cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
    expect(cryptoVerify('sha256', data, { key, dsaEncoding: 'der' }, signature)).toBe(false);
  });

  it('every signature carries a strictly increasing operation counter', async () => {
    const counters: number[] = [];
    for (let i = 0; i < 5; i++) counters.push((await signer.sign('receipt', new Uint8Array([i]))).counter);
    counters.push((await signer.sign('token', new Uint8Array([9]))).counter);
    for (let i = 1; i < counters.length; i++) expect(counters[i]).toBeGreaterThan(counters[i - 1]!);
  });

  it('signs a batch in order: each signature verifies for its own message only', async () => {
    for (const purpose of ['receipt', 'token'] as const) {
      const info = await signer.publicKey(purpose);
      const messages = Array.from({ length: purpose === 'receipt' ? 300 : 40 }, (_, i) => new TextEncoder().encode(`${purpose} message ${i}`));
      const sigs = await signer.signBatch(purpose, messages);
      expect(sigs).toHaveLength(messages.length);
      sigs.forEach((s, i) => {
        expect(s.kid).toBe(info.kid);
        expect(verifyRaw(info, messages[i]!, s.signature)).toBe(true);
        if (i > 0) {
          expect(verifyRaw(info, messages[i - 1]!, s.signature)).toBe(false);
          expect(s.counter).toBeGreaterThan(sigs[i - 1]!.counter);
        }
      });
    }
    await expect(signer.signBatch('receipt', [])).resolves.toEqual([]);
  });

  it('returns random bytes of the requested length from the device', async () => {
    const a = await signer.random(32);
    const b = await signer.random(32);
    expect(a).toHaveLength(32);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(await signer.random(100_000)).toHaveLength(100_000);
    expect(await signer.random(0)).toHaveLength(0);
  });

  it('private keys are non-extractable: export is refused, attributes say so', async () => {
    for (const purpose of PURPOSES) {
      const report = await signer.assertNonExtractable(purpose);
      expect(report).toEqual({ label: `analog-firewall-${purpose}`, sensitive: true, extractable: false, neverExtractable: true, alwaysSensitive: true, local: true });
    }
    await afterExportAttempt();
  });

  it(`x5c: ${backend.attests ? 'leaf attestation certificate then device root' : 'empty (no attestation on generic PKCS#11)'}`, async () => {
    for (const info of keys) {
      if (!backend.attests) {
        expect(info.x5c).toEqual([]);
        continue;
      }
      expect(info.x5c).toHaveLength(2);
      const leaf = new X509Certificate(Buffer.from(info.x5c[0]!, 'base64'));
      const root = new X509Certificate(Buffer.from(info.x5c[1]!, 'base64'));
      expect(leaf.verify(root.publicKey)).toBe(true);
      expect(leaf.checkIssued(root)).toBe(true);
      expect(leaf.publicKey.export({ format: 'jwk' })).toMatchObject({ x: info.jwk.x });
    }
  });

  it('refuses an unknown purpose', async () => {
    await rejectsWith(signer.sign('nonsense' as KeyPurpose, new Uint8Array(1)), 'SIGNER_PURPOSE_UNKNOWN');
  });
});
