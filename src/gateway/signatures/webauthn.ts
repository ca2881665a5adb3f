import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { cose, decodeCredentialPublicKey } from '@simplewebauthn/server/helpers';
import { FirewallError } from '../../core/errors.ts';
import type { AuthenticationResponse, RegistrationResponse } from '../../core/signature/messages.ts';
import type { SignatureConfig } from './config.ts';
import type { DeviceRow } from '../ports/signatures.ts';

/**
 * The WebAuthn ceremonies, through @simplewebauthn/server (v14). Every check the library makes is
 * kept (type, challenge, origin, RP ID hash, UP and UV flags, signature, counter); this module adds
 * the fixed algorithm list and maps failures to one error code. The library's message says what
 * failed; it goes to the log, never to the device.
 */
export function webauthnFailure(cause: unknown): FirewallError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new FirewallError('WEBAUTHN_INVALID', `WebAuthn verification failed: ${message}`.slice(0, 400), { status: 400, cause });
}

export async function registrationOptions(
  config: SignatureConfig,
  o: { person: string; displayName: string; challenge: Uint8Array; exclude: DeviceRow[]; discoverable?: boolean },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: config.rpName,
    rpID: config.rpId,
    userName: o.person,
    userID: new TextEncoder().encode(o.person),
    userDisplayName: o.displayName,
    challenge: new Uint8Array(o.challenge),
    timeout: config.ceremonyTtlMs,
    // Self ('packed' without x5c) and 'none' attestation are accepted; the format is recorded.
    attestationType: 'direct',
    excludeCredentials: o.exclude.filter((d) => d.revokedAt === null).map((d) => ({ id: d.credentialId, ...(d.transports.length ? { transports: d.transports } : {}) })),
    // The approver app signs people in without a user name: it asks for a discoverable credential.
    authenticatorSelection: { residentKey: o.discoverable === true ? 'required' : 'preferred', userVerification: 'required' },
    supportedAlgorithmIDs: config.algorithms,
  });
}

export interface VerifiedRegistration {
  credentialId: string;
  publicKey: string;
  alg: number;
  counter: number;
  fmt: string;
  aaguid: string;
  transports: string[];
}

export async function verifyRegistration(config: SignatureConfig, response: RegistrationResponse, expectedChallenge: string): Promise<VerifiedRegistration> {
  let out;
  try {
    out = await verifyRegistrationResponse({
      response: response as RegistrationResponseJSON,
      expectedChallenge,
      expectedOrigin: config.origins,
      expectedRPID: config.rpId,
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs: config.algorithms,
    });
  } catch (cause) {
    throw webauthnFailure(cause);
  }
  if (!out.verified) throw webauthnFailure(new Error('the attestation did not verify'));
  const info = out.registrationInfo;
  const alg = coseAlg(info.credential.publicKey);
  if (!config.algorithms.includes(alg)) throw webauthnFailure(new Error(`algorithm ${alg} is not accepted`));
  return {
    credentialId: info.credential.id,
    publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
    alg,
    counter: info.credential.counter,
    fmt: info.fmt,
    aaguid: info.aaguid,
    transports: response.response.transports ?? [],
  };
}

export async function authenticationOptions(config: SignatureConfig, o: { challenge: Uint8Array | string; allow: DeviceRow[] }): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: config.rpId,
    challenge: typeof o.challenge === 'string' ? o.challenge : new Uint8Array(o.challenge),
    timeout: config.ceremonyTtlMs,
    userVerification: 'required',
    allowCredentials: o.allow.map((d) => ({ id: d.credentialId, ...(d.transports.length ? { transports: d.transports } : {}) })),
  });
}

/**
 * Verifies an assertion by the credential `device` (which the caller looked up for THIS person)
 * over `expectedChallenge`. Returns the new signature counter; the caller persists it atomically.
 */
export async function verifyAssertion(config: SignatureConfig, device: DeviceRow, response: AuthenticationResponse, expectedChallenge: string): Promise<{ newCounter: number }> {
  if (response.id !== device.credentialId || response.rawId !== device.credentialId) throw webauthnFailure(new Error('the assertion names another credential'));
  if (!config.algorithms.includes(device.alg)) throw webauthnFailure(new Error(`the stored credential uses algorithm ${device.alg}, which is no longer accepted`));
  let out;
  try {
    out = await verifyAuthenticationResponse({
      response: response as AuthenticationResponseJSON,
      expectedChallenge,
      expectedOrigin: config.origins,
      expectedRPID: config.rpId,
      credential: { id: device.credentialId, publicKey: new Uint8Array(Buffer.from(device.publicKey, 'base64url')), counter: device.counter },
      requireUserVerification: true,
    });
  } catch (cause) {
    throw webauthnFailure(cause);
  }
  if (!out.verified) throw webauthnFailure(new Error('the assertion signature did not verify'));
  return { newCounter: out.authenticationInfo.newCounter };
}

/** The COSE_Key's `alg` (label 3). */
function coseAlg(coseKey: Uint8Array): number {
  const alg = decodeCredentialPublicKey(new Uint8Array(coseKey)).get(cose.COSEKEYS.alg);
  return typeof alg === 'number' ? alg : 0;
}
