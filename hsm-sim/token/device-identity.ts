/**
 * The device's own identity: an RSA-3072 key made at "manufacture" (first power-on) and its
 * self-signed root certificate. RSA because node-forge, which lays out our certificates, only knows
 * RSA subject keys; the keys the device makes for users are Ed25519 and P-256.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { Clock } from '../../src/core/clock.ts';
import { createDeviceRootCertificate } from '../attestation/certificates.ts';
import { seal, unseal, type Sealed } from '../store/sealing.ts';
import { deviceSealAad } from '../store/schema.ts';

export interface DeviceIdentity {
  serial: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  certificateDer: Buffer;
}

const ROOT_LIFETIME_MS = 20 * 365 * 24 * 3600 * 1000;
/** Root validity starts a little in the past so a verifier with a slightly slow clock accepts it. */
const BACKDATE_MS = 3600 * 1000;

export function manufactureIdentity(clock: Clock): DeviceIdentity {
  const serial = randomBytes(8).toString('hex');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
  const now = clock.now();
  const certificateDer = createDeviceRootCertificate({
    deviceSerial: serial,
    privateKey,
    publicKey,
    notBefore: new Date(Math.floor((now - BACKDATE_MS) / 1000) * 1000),
    notAfter: new Date(Math.floor((now + ROOT_LIFETIME_MS) / 1000) * 1000),
  });
  return { serial, privateKey, publicKey, certificateDer };
}

export function sealIdentity(sealKey: Buffer, identity: DeviceIdentity): Sealed {
  return seal(sealKey, identity.privateKey.export({ type: 'pkcs8', format: 'der' }), deviceSealAad(identity.serial));
}

export function unsealIdentity(sealKey: Buffer, serial: string, sealed: Sealed, certificateB64: string): DeviceIdentity | undefined {
  const der = unseal(sealKey, sealed, deviceSealAad(serial));
  if (der === undefined) return undefined;
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  der.fill(0);
  return { serial, privateKey, publicKey: createPublicKey(privateKey), certificateDer: Buffer.from(certificateB64, 'base64') };
}
