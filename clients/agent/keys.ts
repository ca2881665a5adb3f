import type { KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { AgentClientError } from './agent-client-error.ts';

/** JWS algorithms an agent key may use. */
export type AgentKeyAlgorithm = 'EdDSA' | 'ES256';

export interface AgentKeyPair {
  /** Keep this secret: it is the agent's credential. */
  privateJwk: JWK;
  /** Register this with the gateway. */
  publicJwk: JWK;
  /** RFC 7638 thumbprint, also set as `kid` on both JWKs. */
  kid: string;
}

/** A fresh Ed25519 key pair for registering an agent with the gateway. */
export async function generateAgentKeyPair(): Promise<AgentKeyPair> {
  const { publicKey, privateKey } = await generateKeyPair('Ed25519', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  const common = { kid, alg: 'EdDSA', use: 'sig' };
  return { privateJwk: { ...privateJwk, ...common }, publicJwk: { ...publicJwk, ...common }, kid };
}

export interface AgentSigningKey {
  key: KeyObject | CryptoKey;
  alg: AgentKeyAlgorithm;
  kid: string | undefined;
}

function invalid(message: string, cause?: unknown): never {
  throw new AgentClientError('INVALID_ARGUMENT', message, { cause });
}

/** Check the agent's private key and pick its algorithm: Ed25519 → EdDSA, P-256 → ES256. */
export async function loadAgentSigningKey(privateKey: KeyObject | JWK): Promise<AgentSigningKey> {
  if (isKeyObject(privateKey)) {
    if (privateKey.type !== 'private') invalid('agent privateKey must be a private key');
    if (privateKey.asymmetricKeyType === 'ed25519') return { key: privateKey, alg: 'EdDSA', kid: undefined };
    if (privateKey.asymmetricKeyType === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
      return { key: privateKey, alg: 'ES256', kid: undefined };
    }
    invalid('agent privateKey must be Ed25519 or P-256');
  }
  const jwk = privateKey;
  if (typeof jwk !== 'object' || jwk === null || typeof jwk.d !== 'string') invalid('agent privateKey JWK must be a private key (with "d")');
  let alg: AgentKeyAlgorithm;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') alg = 'EdDSA';
  else if (jwk.kty === 'EC' && jwk.crv === 'P-256') alg = 'ES256';
  else invalid('agent privateKey JWK must be OKP/Ed25519 or EC/P-256');
  try {
    const key = await importJWK({ ...jwk, alg: undefined }, alg);
    return { key: key as CryptoKey, alg, kid: typeof jwk.kid === 'string' ? jwk.kid : undefined };
  } catch (e) {
    invalid('agent privateKey JWK could not be imported', e);
  }
}

function isKeyObject(k: unknown): k is KeyObject {
  return typeof k === 'object' && k !== null && 'asymmetricKeyType' in k && typeof (k as KeyObject).export === 'function';
}
