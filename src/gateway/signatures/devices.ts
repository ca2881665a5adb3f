import { randomUUID } from 'node:crypto';
import { FirewallError } from '../../core/errors.ts';
import type { AuthenticationResponse, RegistrationResponse } from '../../core/signature/messages.ts';
import type { PrincipalRecord } from '../ports/principals.ts';
import { assertSelf, catchUp, isPerson, type SignatureState } from './signature-state.ts';
import { DEVICE_KINDS, type DeviceKind, type DeviceRow, type SignatureReads, type SignaturesTx } from '../ports/signatures.ts';
import { deviceView } from './views.ts';
import { authenticationOptions as webauthnAuthenticationOptions, registrationOptions as webauthnRegistrationOptions, verifyAssertion, verifyRegistration } from './webauthn.ts';

/**
 * A person's devices (passkeys): registration and authentication ceremonies (single use, WebAuthn),
 * enrolment, revocation. A credential belongs to one person, once.
 */

export async function registrationOptions(s: SignatureState, principal: PrincipalRecord, personId: string, body: { kind: DeviceKind; name?: string }, opts: { discoverable?: boolean } = {}): Promise<Record<string, unknown>> {
  assertSelf(principal, personId);
  if (!(DEVICE_KINDS as readonly string[]).includes(body.kind)) throw new FirewallError('BODY_INVALID', 'kind must be phone or wearable', { status: 400 });
  const challenge = await s.ctx.signer.random(32);
  const now = s.ctx.clock.now();
  const options = await webauthnRegistrationOptions(s.config, {
    person: personId,
    displayName: (await s.store.getPerson(personId))?.displayName ?? personId,
    challenge,
    exclude: await s.store.devicesOf(personId),
    ...(opts.discoverable === undefined ? {} : { discoverable: opts.discoverable }),
  });
  const id = `cer_${randomUUID()}`;
  await s.ctx.store.tx(async (tx) => {
    await tx.signatures.ensurePerson(personId, now);
    await tx.signatures.insertCeremony({
      id,
      kind: 'registration',
      person: personId,
      challenge: options.challenge,
      deviceKind: body.kind,
      deviceName: body.name ?? null,
      credentialId: null,
      expiresAt: now + s.config.ceremonyTtlMs,
      usedAt: null,
      payload: null,
    });
  });
  return { ceremonyId: id, expiresAt: new Date(now + s.config.ceremonyTtlMs).toISOString(), options };
}

/** Consumes a ceremony (single use, even when what follows fails). */
async function useCeremony(s: SignatureState, id: string, kind: 'registration' | 'authentication', personId: string, credentialId?: string) {
  const now = s.ctx.clock.now();
  const c = await s.ctx.store.tx(async (tx) => tx.signatures.useCeremony(id, now));
  if (c === undefined || c.kind !== kind || c.person !== personId || (credentialId !== undefined && c.credentialId !== credentialId)) {
    throw new FirewallError('CEREMONY_INVALID', 'unknown, used or foreign ceremony', { status: 409 });
  }
  if (c.expiresAt < now) throw new FirewallError('CEREMONY_EXPIRED', 'the ceremony expired; ask for new options', { status: 409 });
  return c;
}

export async function registerDevice(s: SignatureState, principal: PrincipalRecord, personId: string, body: { ceremonyId: string; credential: RegistrationResponse }): Promise<Record<string, unknown>> {
  assertSelf(principal, personId);
  const cer = await useCeremony(s, body.ceremonyId, 'registration', personId);
  const v = await verifyRegistration(s.config, body.credential, cer.challenge);
  const now = s.ctx.clock.now();
  const row = {
    credentialId: v.credentialId,
    person: personId,
    kind: (cer.deviceKind ?? 'phone') as DeviceKind,
    name: cer.deviceName,
    publicKey: v.publicKey,
    alg: v.alg,
    counter: v.counter,
    transports: v.transports,
    fmt: v.fmt,
    aaguid: v.aaguid,
    createdAt: now,
  };
  await s.ctx.store.tx(async (tx) => {
    if (await tx.signatures.device(v.credentialId) !== undefined) {
      // A device (credential) belongs to exactly one person, once.
      throw new FirewallError('DEVICE_ALREADY_ENROLLED', 'this credential is already enrolled', { status: 409 });
    }
    await tx.signatures.insertDevice(row);
    await tx.audit([
      { v: 1, type: 'device.enrolled', ts: now, who: personId, device: v.credentialId, kind: row.kind, alg: v.alg, attestation: v.fmt, aaguid: v.aaguid, publicKey: v.publicKey },
    ]);
  });
  // Enrolled after an action started to wait on them: they are asked now, not never.
  await catchUp(s, personId);
  return deviceAfter(s, v.credentialId);
}

/**
 * A device read back after its own commit. An erasure committed in the same store batch, just
 * after, may have deleted it: answer 404 rather than fail on the missing row.
 */
async function deviceAfter(s: SignatureState, credentialId: string): Promise<Record<string, unknown>> {
  const d = await s.store.getDevice(credentialId);
  if (d === undefined) throw new FirewallError('DEVICE_NOT_FOUND', 'the device was erased meanwhile', { status: 404 });
  return deviceView(d);
}

/** `read`: committed data, or the transaction's view (`tx.signatures`) when the check must hold for a write. */
async function ownDevice(read: Pick<SignatureReads, 'getDevice'> | Pick<SignaturesTx, 'device'>, principal: PrincipalRecord, credentialId: string): Promise<DeviceRow> {
  if (!isPerson(principal)) throw new FirewallError('ROLE_FORBIDDEN', 'only people hold devices', { status: 403 });
  const d = 'device' in read ? await read.device(credentialId) : await read.getDevice(credentialId);
  if (d === undefined || d.person !== principal.id) throw new FirewallError('DEVICE_NOT_FOUND', 'no such device of yours', { status: 404 });
  return d;
}

export async function deviceOf(s: SignatureState, principal: PrincipalRecord, credentialId: string): Promise<Record<string, unknown>> {
  return deviceView(await ownDevice(s.store, principal, credentialId));
}

export async function revokeDevice(s: SignatureState, principal: PrincipalRecord, credentialId: string): Promise<Record<string, unknown>> {
  if (!isPerson(principal)) throw new FirewallError('ROLE_FORBIDDEN', 'only people hold devices', { status: 403 });
  const now = s.ctx.clock.now();
  await s.ctx.store.tx(async (tx) => {
    // Checked in the transaction that revokes: the device is the principal's at the moment of the write.
    await ownDevice(tx.signatures, principal, credentialId);
    if (await tx.signatures.revokeDevice(credentialId, now)) await tx.audit([{ v: 1, type: 'device.revoked', ts: now, who: principal.id, device: credentialId }]);
  });
  return deviceAfter(s, credentialId);
}

export async function authenticationOptions(s: SignatureState, principal: PrincipalRecord, credentialId: string): Promise<Record<string, unknown>> {
  const d = await ownDevice(s.store, principal, credentialId);
  if (d.revokedAt !== null) throw new FirewallError('DEVICE_REVOKED', 'this device was revoked', { status: 409 });
  const challenge = await s.ctx.signer.random(32);
  const now = s.ctx.clock.now();
  const options = await webauthnAuthenticationOptions(s.config, { challenge, allow: [d] });
  const id = `cer_${randomUUID()}`;
  await s.ctx.store.tx(async (tx) => {
    await tx.signatures.insertCeremony({ id, kind: 'authentication', person: d.person, challenge: options.challenge, deviceKind: null, deviceName: null, credentialId, expiresAt: now + s.config.ceremonyTtlMs, usedAt: null, payload: null });
  });
  return { ceremonyId: id, expiresAt: new Date(now + s.config.ceremonyTtlMs).toISOString(), options };
}

export async function authenticateDevice(s: SignatureState, principal: PrincipalRecord, credentialId: string, body: { ceremonyId: string; credential: AuthenticationResponse }): Promise<Record<string, unknown>> {
  const d = await ownDevice(s.store, principal, credentialId);
  const cer = await useCeremony(s, body.ceremonyId, 'authentication', d.person, credentialId);
  if (d.revokedAt !== null) throw new FirewallError('DEVICE_REVOKED', 'this device was revoked', { status: 409 });
  const { newCounter } = await verifyAssertion(s.config, d, body.credential, cer.challenge);
  const now = s.ctx.clock.now();
  await s.ctx.store.tx(async (tx) => {
    if (!(await tx.signatures.advanceCounter(credentialId, newCounter, now))) {
      throw new FirewallError('COUNTER_REGRESSION', 'the signature counter did not advance: a cloned authenticator?', { status: 409 });
    }
    await tx.audit([{ v: 1, type: 'device.authenticated', ts: now, who: d.person, device: credentialId, counter: newCounter }]);
  });
  return { verified: true, device: await deviceAfter(s, credentialId) };
}
