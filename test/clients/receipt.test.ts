import { compactVerify, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/canonical.ts';
import { isFirewallError } from '../../src/core/errors.ts';
import { buildReceiptClaims, type ReceiptInput } from '../../src/core/receipt/build-receipt-claims.ts';
import { parseReceiptClaims } from '../../src/core/receipt/parse-receipt-claims.ts';
import { RECEIPT_TYP, type ReceiptClaims } from '../../src/core/receipt/receipt.ts';
import { signReceipt } from '../../src/core/receipt/sign-receipt.ts';
import { verifyReceiptClaims } from '../../src/core/receipt/verify-receipt-claims.ts';
import { TestSigner } from './helpers/test-signer.ts';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const body = Buffer.from('{"amount":12.5}');

function input(over: Partial<ReceiptInput> = {}): ReceiptInput {
  return {
    issuer: 'gw-test',
    actionId: 'act_123',
    actuator: 'payments',
    actionDigest: sha256Hex('descriptor'),
    request: { method: 'post', path: '/v1/transfers?dry=0', bodySha256: sha256Hex(body) },
    tier: 'LOW',
    policyHash: sha256Hex('policy'),
    logIndex: 7,
    ...over,
  };
}

function claims(over: Partial<ReceiptInput> = {}): ReceiptClaims {
  return buildReceiptClaims(input(over), { now: NOW, jti: 'rcpt_1' });
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (isFirewallError(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('signReceipt', () => {
  it('produces a compact JWS that jose compactVerify and jwtVerify accept (EdDSA)', async () => {
    const signer = new TestSigner();
    const c = claims();
    const jws = await signReceipt(signer, c);
    const keys = createLocalJWKSet(signer.jwks() as never);
    const { payload, protectedHeader } = await compactVerify(jws, keys);
    const key = signer.keys.get('receipt')!;
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid: key.kid, typ: RECEIPT_TYP });
    expect(JSON.parse(Buffer.from(payload).toString())).toEqual(c);
    const jwt = await jwtVerify(jws, keys, { issuer: 'gw-test', audience: 'payments', typ: RECEIPT_TYP, currentDate: new Date(NOW) });
    expect(jwt.payload.sub).toBe('act_123');
    expect(jwt.payload.req).toEqual({ m: 'POST', p: '/v1/transfers?dry=0', b: sha256Hex(body) });
  });

  it('works with an ES256 receipt key too (JOSE r||s form)', async () => {
    const signer = new TestSigner({ receipt: 'ES256' });
    const jws = await signReceipt(signer, claims());
    expect(decodeProtectedHeader(jws).alg).toBe('ES256');
    await expect(compactVerify(jws, createLocalJWKSet(signer.jwks() as never))).resolves.toBeTruthy();
  });

  it('is deterministic for equal inputs (canonical JSON)', async () => {
    const signer = new TestSigner();
    const key = await signer.publicKey('receipt');
    const a = await signReceipt(signer, claims(), { key });
    const b = await signReceipt(signer, { ...claims() }, { key });
    expect(a.split('.').slice(0, 2)).toEqual(b.split('.').slice(0, 2));
  });

  it('refuses to sign malformed claims', async () => {
    const signer = new TestSigner();
    const bad = { ...claims(), act: 'not-hex' };
    await expect(signReceipt(signer, bad)).rejects.toMatchObject({ code: 'RECEIPT_MALFORMED' });
  });

  it('refuses when the signer key rotated between publicKey() and sign()', async () => {
    const signer = new TestSigner();
    const key = await signer.publicKey('receipt');
    signer.rotate('receipt');
    await expect(signReceipt(signer, claims(), { key })).rejects.toMatchObject({ code: 'RECEIPT_SIGNING_FAILED' });
  });

  it('a tampered payload does not verify', async () => {
    const signer = new TestSigner();
    const jws = await signReceipt(signer, claims());
    const [h, , s] = jws.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims(), aud: 'other' })).toString('base64url');
    await expect(compactVerify(`${h}.${forged}.${s}`, createLocalJWKSet(signer.jwks() as never))).rejects.toThrow();
  });
});

describe('buildReceiptClaims / parseReceiptClaims', () => {
  it('fills iat, exp (60 s default), upper-cases the method, empty apv', () => {
    const c = claims();
    expect(c.iat).toBe(NOW / 1000);
    expect(c.exp).toBe(NOW / 1000 + 60);
    expect(c.req.m).toBe('POST');
    expect(c.apv).toEqual([]);
    expect(c.dec).toBe('ALLOW');
    expect(c.nbf).toBeUndefined();
    expect(buildReceiptClaims(input(), { now: NOW, jti: 'x', ttlSec: 10, notBefore: true })).toMatchObject({ exp: NOW / 1000 + 10, nbf: NOW / 1000 });
  });

  it('drops unknown members and rejects bad ones with the claim named', () => {
    const c = parseReceiptClaims({ ...claims(), extra: 1 });
    expect('extra' in c).toBe(false);
    const bad: Array<[string, Record<string, unknown>]> = [
      ['req.b', { req: { m: 'POST', p: '/x', b: 'ABC' } }],
      ['req.p', { req: { m: 'POST', p: 'http://evil/x', b: sha256Hex('') } }],
      ['req.m', { req: { m: 'post', p: '/x', b: sha256Hex('') } }],
      ['exp', { exp: NOW / 1000 - 1 }],
      ['dec', { dec: 'DENY' }],
      ['tier', { tier: 'EXTREME' }],
      ['apv', { apv: {} }],
      ['apv[0].who', { apv: [{ device: 'd', at: 1 }] }],
      ['log', { log: -1 }],
      ['quorum.all_of', { quorum: { all_of: [] } }],
      ['quorum.all_of[0].min', { quorum: { all_of: [{ group: 'ops', min: 0 }] } }],
    ];
    for (const [claim, over] of bad) {
      try {
        parseReceiptClaims({ ...claims(), ...over });
        expect.fail(`accepted bad ${claim}`);
      } catch (e) {
        expect(e).toMatchObject({ code: 'RECEIPT_MALFORMED', status: 401, detail: { claim } });
      }
    }
  });
});

describe('verifyReceiptClaims', () => {
  const req = { method: 'POST', path: '/v1/transfers?dry=0', bodySha256: sha256Hex(body) };
  const opts = { issuer: 'gw-test', audience: 'payments' };

  it('accepts the bound request within its lifetime', () => {
    expect(code(() => verifyReceiptClaims(claims(), req, NOW + 30_000, opts))).toBeUndefined();
    expect(code(() => verifyReceiptClaims(claims(), { ...req, method: 'post' }, NOW, opts))).toBeUndefined();
  });

  it('refuses each kind of mismatch with its own code', () => {
    expect(code(() => verifyReceiptClaims(claims(), { ...req, method: 'PUT' }, NOW, opts))).toBe('RECEIPT_METHOD_MISMATCH');
    expect(code(() => verifyReceiptClaims(claims(), { ...req, path: '/v1/transfers?dry=1' }, NOW, opts))).toBe('RECEIPT_PATH_MISMATCH');
    expect(code(() => verifyReceiptClaims(claims(), { ...req, bodySha256: sha256Hex('{}') }, NOW, opts))).toBe('RECEIPT_BODY_MISMATCH');
    expect(code(() => verifyReceiptClaims(claims(), req, NOW, { ...opts, issuer: 'other' }))).toBe('RECEIPT_ISSUER_MISMATCH');
    expect(code(() => verifyReceiptClaims(claims(), req, NOW, { ...opts, audience: 'dns' }))).toBe('RECEIPT_AUDIENCE_MISMATCH');
    expect(code(() => verifyReceiptClaims(claims(), req, NOW + 66_000, opts))).toBe('RECEIPT_EXPIRED');
    expect(code(() => verifyReceiptClaims(claims(), req, NOW - 10_000, opts))).toBe('RECEIPT_NOT_YET_VALID');
    const long = buildReceiptClaims(input(), { now: NOW, jti: 'j', ttlSec: 3600 });
    expect(code(() => verifyReceiptClaims(long, req, NOW, opts))).toBe('RECEIPT_LIFETIME_TOO_LONG');
  });

  it('honours the clock tolerance at expiry', () => {
    expect(code(() => verifyReceiptClaims(claims(), req, NOW + 64_000, opts))).toBeUndefined();
    expect(code(() => verifyReceiptClaims(claims(), req, NOW + 64_000, { ...opts, clockToleranceSec: 0 }))).toBe('RECEIPT_EXPIRED');
  });

  it('needs approvals for HIGH and CRITICAL, and a satisfied quorum when one is carried', () => {
    expect(code(() => verifyReceiptClaims(claims({ tier: 'HIGH' }), req, NOW, opts))).toBe('RECEIPT_APPROVALS_MISSING');
    const apv = [{ who: 'alice', device: 'phone-1', at: NOW / 1000 - 5, group: 'finance' }];
    expect(code(() => verifyReceiptClaims(claims({ tier: 'HIGH', approvals: apv }), req, NOW, opts))).toBeUndefined();
    const quorum = { all_of: [{ group: 'finance', min: 2 }] };
    expect(code(() => verifyReceiptClaims(claims({ tier: 'CRITICAL', approvals: apv, quorum }), req, NOW, opts))).toBe('RECEIPT_QUORUM_UNSATISFIED');
    expect(code(() => verifyReceiptClaims(claims({ tier: 'CRITICAL', approvals: apv }), req, NOW, { ...opts, requireQuorum: true }))).toBe(
      'RECEIPT_QUORUM_MISSING',
    );
  });
});
