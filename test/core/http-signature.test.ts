import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signWithSession } from '../../clients/agent/session-signature.ts';
import { FirewallError } from '../../src/core/errors.ts';
import { bodyMatchesDigest, readRequestSignature, signatureBase, signatureVerifies, type SignedRequest } from '../../src/core/http-signature/request-signature.ts';
import { parseDictionary } from '../../src/core/http-signature/structured-fields.ts';

const ROOT = join(import.meta.dirname, '../..');
interface Vector {
  name: string;
  request: { method: string; targetUri: string; body: string; idempotencyKey: string };
  sessionId: string;
  created: number;
  nonce: string;
  expected: { contentDigest: string; signatureInput: string; signatureBase: string; signature: string };
}
const file = JSON.parse(readFileSync(join(ROOT, 'docs/vectors/session-signature.json'), 'utf8')) as { key: string; vectors: Vector[] };
const key = Buffer.from(file.key, 'hex');

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof FirewallError) return e.code;
    throw e;
  }
  return 'accepted';
}

describe('session signature test vectors (docs/vectors/session-signature.json)', () => {
  it('has vectors, and docs/api.md shows the same expected signatures', () => {
    expect(file.vectors.length).toBeGreaterThanOrEqual(2);
    const api = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
    for (const v of file.vectors) {
      expect(api).toContain(v.expected.signature);
      expect(api).toContain(v.expected.signatureInput);
    }
  });

  for (const v of file.vectors) {
    it(`${v.name}: the SDK produces the expected headers and base`, () => {
      const s = signWithSession({ method: v.request.method, url: v.request.targetUri, body: v.request.body, idempotencyKey: v.request.idempotencyKey, sessionId: v.sessionId, key, created: v.created, nonce: v.nonce });
      expect(s.base).toBe(v.expected.signatureBase);
      expect(s.headers).toEqual({ 'content-digest': v.expected.contentDigest, 'signature-input': v.expected.signatureInput, signature: v.expected.signature });
    });

    it(`${v.name}: the gateway rebuilds the base, verifies the signature and the body`, () => {
      const req: SignedRequest = {
        method: v.request.method,
        targetUri: v.request.targetUri,
        signatureInput: v.expected.signatureInput,
        signature: v.expected.signature,
        contentDigest: v.expected.contentDigest,
        idempotencyKey: v.request.idempotencyKey,
      };
      const s = readRequestSignature(req, { nowMs: v.created * 1000, windowSec: 30 });
      expect(s.base).toBe(v.expected.signatureBase);
      expect(s.keyid).toBe(v.sessionId);
      expect(signatureVerifies(key, s)).toBe(true);
      expect(bodyMatchesDigest(s.contentSha256, Buffer.from(v.request.body))).toBe(true);
      expect(bodyMatchesDigest(s.contentSha256, Buffer.from(v.request.body + ' '))).toBe(false);
      const wrongKey = Buffer.from(key);
      wrongKey[0]! ^= 1;
      expect(signatureVerifies(wrongKey, s)).toBe(false);
      expect(signatureVerifies(key, readRequestSignature({ ...req, targetUri: req.targetUri + '?x=1' }, { nowMs: v.created * 1000, windowSec: 30 }))).toBe(false);
      expect(signatureVerifies(key, readRequestSignature({ ...req, method: 'DELETE' }, { nowMs: v.created * 1000, windowSec: 30 }))).toBe(false);
    });
  }
});

describe('RFC 9421 signature base', () => {
  it('reproduces the RFC 9421 Appendix B.2.5 HMAC-SHA256 example', () => {
    const params = parseDictionary('sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"', 'Signature-Input').get('sig-b25');
    if (params === undefined || params instanceof Uint8Array) throw new Error('no inner list');
    const base = signatureBase(
      [
        ['date', 'Tue, 20 Apr 2021 02:07:55 GMT'],
        ['@authority', 'example.com'],
        ['content-type', 'application/json'],
      ],
      params,
    );
    const secret = Buffer.from('uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==', 'base64');
    expect(createHmac('sha256', secret).update(base).digest('base64')).toBe('pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=');
  });
});

describe('strict reading of Signature-Input', () => {
  const v = file.vectors[0]!;
  const base: SignedRequest = {
    method: v.request.method,
    targetUri: v.request.targetUri,
    signatureInput: v.expected.signatureInput,
    signature: v.expected.signature,
    contentDigest: v.expected.contentDigest,
    idempotencyKey: v.request.idempotencyKey,
  };
  const read = (r: Partial<SignedRequest>, nowSec = v.created) => codeOf(() => readRequestSignature({ ...base, ...r }, { nowMs: nowSec * 1000, windowSec: 30 }));
  const si = v.expected.signatureInput;

  it('accepts the vector inside the window, in any component order', () => {
    expect(read({})).toBe('accepted');
    expect(read({}, v.created + 30)).toBe('accepted');
    expect(read({ signatureInput: si.replace('("@method" "@target-uri"', '("@target-uri" "@method"') })).toBe('accepted');
  });

  it('refuses each deviation with its code', () => {
    expect(read({}, v.created + 31)).toBe('SIGNATURE_STALE');
    expect(read({}, v.created - 31)).toBe('SIGNATURE_STALE');
    expect(read({ signatureInput: si.replace(' "idempotency-key"', '') })).toBe('SIGNATURE_COMPONENTS_INVALID');
    expect(read({ signatureInput: si.replace('"idempotency-key"', '"idempotency-key" "content-type"') })).toBe('SIGNATURE_COMPONENTS_INVALID');
    expect(read({ signatureInput: si.replace('"idempotency-key"', '"@method"') })).toBe('SIGNATURE_COMPONENTS_INVALID');
    expect(read({ signatureInput: si.replace('"content-digest"', '"content-digest";sf') })).toBe('SIGNATURE_INPUT_INVALID');
    expect(read({ signatureInput: si.replace('alg="hmac-sha256"', 'alg="ed25519"') })).toBe('SIGNATURE_INPUT_INVALID');
    expect(read({ signatureInput: si.replace(';alg="hmac-sha256"', ';tag="x"') })).toBe('SIGNATURE_INPUT_INVALID');
    expect(read({ signatureInput: si.replace(/;nonce="[^"]*"/, '') })).toBe('SIGNATURE_INPUT_INVALID');
    expect(read({ signatureInput: si.replace(/;created=\d+/, '') })).toBe('SIGNATURE_INPUT_INVALID');
    expect(read({ signatureInput: si.replace(/;created=\d+/, ';created=1767225600;created=1767225600') })).toBe('SIGNATURE_INPUT_INVALID');
    expect(read({ signatureInput: `${si}, sig2=${si.slice(5)}` })).toBe('SIGNATURE_INPUT_INVALID');
    expect(read({ signature: v.expected.signature.replace('sig1', 'sig2') })).toBe('SIGNATURE_INPUT_INVALID');
    expect(read({ signature: undefined })).toBe('SIGNATURE_INPUT_INVALID');
    expect(read({ signature: 'sig1=:AAAA:' })).toBe('SIGNATURE_INVALID');
    expect(read({ idempotencyKey: undefined })).toBe('SIGNATURE_COMPONENT_MISSING');
    expect(read({ contentDigest: undefined })).toBe('SIGNATURE_COMPONENT_MISSING');
    expect(read({ contentDigest: 'sha-512=:AAAA:' })).toBe('CONTENT_DIGEST_INVALID');
    expect(read({ contentDigest: 'sha-256=AAAA' })).toBe('CONTENT_DIGEST_INVALID');
    expect(read({ signatureInput: 'sig1=("@method" "@target-uri" "content-digest" "idempotency-key";created=1' })).toBe('SIGNATURE_INPUT_INVALID');
    expect(read({ signatureInput: 'garbage' })).toBe('SIGNATURE_INPUT_INVALID');
  });
});
