import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type { AuthenticationResponse, RegistrationResponse } from '../../../src/core/signature/messages.ts';

/**
 * A software WebAuthn authenticator (W3C WebAuthn Level 3 §6), for the device simulator and tests:
 * it creates credentials (EdDSA or ES256 key pairs, 'packed' self attestation or 'none') and
 * produces assertions with real authenticatorData, clientDataJSON and signatures, with a signature
 * counter. It also plays the client (browser) part: it writes clientDataJSON with the origin.
 *
 * It is NOT a secure authenticator: the private key is a JWK in a file (cred.json, mode 0600).
 * User presence and verification are asserted by flag, as a platform authenticator does after the
 * person unlocked the phone.
 */

export const COSE_ALG = { EdDSA: -8, ES256: -7 } as const;
export type CoseAlg = -8 | -7;

/** What the authenticator keeps per credential (the file cred.json). */
export interface StoredCredential {
  v: 1;
  /** Credential id, base64url. */
  id: string;
  rpId: string;
  person: string;
  kind: 'phone' | 'wearable';
  alg: CoseAlg;
  /** Private key, JWK. Keep this file private. */
  privateJwk: JsonWebKey;
  /** Signature counter: strictly increases with every assertion. */
  counter: number;
  /** Software authenticators have no certified model: all-zero AAGUID. */
  aaguid: string;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

const b64u = (b: Uint8Array | Buffer): string => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string): Buffer => createHash('sha256').update(b).digest();

function coseKey(pub: KeyObject, alg: CoseAlg): Uint8Array {
  const jwk = pub.export({ format: 'jwk' });
  const m = new Map<number, number | Uint8Array>();
  if (alg === COSE_ALG.EdDSA) {
    m.set(1, 1); // kty OKP
    m.set(3, -8); // alg EdDSA
    m.set(-1, 6); // crv Ed25519
    m.set(-2, Buffer.from(jwk.x!, 'base64url'));
  } else {
    m.set(1, 2); // kty EC2
    m.set(3, -7); // alg ES256
    m.set(-1, 1); // crv P-256
    m.set(-2, Buffer.from(jwk.x!, 'base64url'));
    m.set(-3, Buffer.from(jwk.y!, 'base64url'));
  }
  return isoCBOR.encode(m as never);
}

function authenticatorData(rpId: string, flags: number, counter: number, attested?: Uint8Array): Buffer {
  const head = Buffer.alloc(37);
  sha256(rpId).copy(head, 0);
  head[32] = flags;
  head.writeUInt32BE(counter >>> 0, 33);
  return attested === undefined ? head : Buffer.concat([head, attested]);
}

function signWith(key: KeyObject, alg: CoseAlg, data: Buffer): Buffer {
  // WebAuthn signatures: Ed25519 raw (64 bytes); ECDSA P-256 in ASN.1 DER (not JOSE r||s).
  return alg === COSE_ALG.EdDSA ? cryptoSign(null, data, key) : cryptoSign('sha256', data, { key, dsaEncoding: 'der' });
}

function clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
}

/** navigator.credentials.create(): a new credential and its RegistrationResponseJSON. */
export function createCredential(o: {
  rpId: string;
  origin: string;
  /** options.challenge from the gateway, base64url. */
  challenge: string;
  person: string;
  kind?: 'phone' | 'wearable';
  alg?: CoseAlg;
  attestation?: 'packed' | 'none';
  /** Register an existing credential again (same id and key): the gateway must refuse a second owner. */
  reuse?: StoredCredential;
}): { credential: RegistrationResponse; stored: StoredCredential } {
  const alg = o.reuse?.alg ?? o.alg ?? COSE_ALG.EdDSA;
  const { privateKey, publicKey } =
    o.reuse !== undefined
      ? { privateKey: createPrivateKey({ key: o.reuse.privateJwk as never, format: 'jwk' }), publicKey: publicKeyOf(o.reuse) }
      : alg === COSE_ALG.EdDSA
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const id = o.reuse !== undefined ? Buffer.from(o.reuse.id, 'base64url') : randomBytes(32);
  const aaguid = Buffer.alloc(16);
  const cose = coseKey(publicKey, alg);
  const idLen = Buffer.alloc(2);
  idLen.writeUInt16BE(id.length);
  const authData = authenticatorData(o.rpId, FLAG_UP | FLAG_UV | FLAG_AT, 0, Buffer.concat([aaguid, idLen, id, cose]));
  const cdj = clientData('webauthn.create', o.challenge, o.origin);
  const fmt = o.attestation ?? 'packed';
  const attStmt = new Map<string, number | Uint8Array>();
  if (fmt === 'packed') {
    // Self attestation: signed by the credential's own key (no x5c).
    attStmt.set('alg', alg);
    attStmt.set('sig', signWith(privateKey, alg, Buffer.concat([authData, sha256(cdj)])));
  }
  const attObj = new Map<string, unknown>([
    ['fmt', fmt],
    ['attStmt', attStmt],
    ['authData', new Uint8Array(authData)],
  ]);
  const credential: RegistrationResponse = {
    id: b64u(id),
    rawId: b64u(id),
    type: 'public-key',
    authenticatorAttachment: 'platform',
    clientExtensionResults: {},
    response: {
      clientDataJSON: b64u(cdj),
      attestationObject: b64u(isoCBOR.encode(attObj as never)),
      transports: ['internal'],
      publicKeyAlgorithm: alg,
    },
  };
  const stored: StoredCredential = {
    v: 1,
    id: b64u(id),
    rpId: o.rpId,
    person: o.person,
    kind: o.kind ?? 'phone',
    alg,
    privateJwk: privateKey.export({ format: 'jwk' }) as JsonWebKey,
    counter: 0,
    aaguid: '00000000-0000-0000-0000-000000000000',
  };
  return { credential, stored };
}

/**
 * navigator.credentials.get(): an assertion over `challenge` (base64url). Increments and returns
 * the credential's counter (persist `stored` afterwards: see saveCredential).
 */
export function getAssertion(stored: StoredCredential, o: { challenge: string; origin: string; rpId?: string }): AuthenticationResponse {
  stored.counter += 1;
  const authData = authenticatorData(o.rpId ?? stored.rpId, FLAG_UP | FLAG_UV, stored.counter);
  const cdj = clientData('webauthn.get', o.challenge, o.origin);
  const key = createPrivateKey({ key: stored.privateJwk as never, format: 'jwk' });
  const signature = signWith(key, stored.alg, Buffer.concat([authData, sha256(cdj)]));
  return {
    id: stored.id,
    rawId: stored.id,
    type: 'public-key',
    authenticatorAttachment: 'platform',
    clientExtensionResults: {},
    response: { clientDataJSON: b64u(cdj), authenticatorData: b64u(authData), signature: b64u(signature), userHandle: b64u(Buffer.from(stored.person, 'utf8')) },
  };
}

/** The public key of a stored credential (for checks and tests). */
export function publicKeyOf(stored: StoredCredential): KeyObject {
  return createPublicKey({ key: stored.privateJwk as never, format: 'jwk' });
}

export function loadCredential(path: string): StoredCredential {
  const c = JSON.parse(readFileSync(path, 'utf8')) as StoredCredential;
  if (c.v !== 1 || typeof c.id !== 'string' || (c.alg !== -8 && c.alg !== -7) || typeof c.counter !== 'number') throw new Error(`${path} is not a credential file`);
  return c;
}

export function saveCredential(path: string, c: StoredCredential): void {
  writeFileSync(path, JSON.stringify(c, null, 2) + '\n', { mode: 0o600 });
}
