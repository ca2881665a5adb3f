import type { ActionRecord } from '../action-record.ts';
import { summariseAction } from '../../core/signature/summary.ts';
import type { Erasure } from './erasure.ts';
import type { ChallengeRow, DeviceRow, PersonRow } from '../ports/signatures.ts';

/** SSE topic of one person's devices: challenges issued to them, closed, and lock notices. */
export function personTopic(person: string): string {
  return `person:${person}`;
}

export function challengeView(c: ChallengeRow, action?: ActionRecord): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: c.id,
    purpose: c.purpose,
    mode: c.mode,
    person: c.person,
    role: c.role,
    ...(c.actionId === null ? {} : { actionId: c.actionId }),
    digest: c.digest,
    state: c.state,
    issuedAt: new Date(c.issuedAt).toISOString(),
    expiresAt: new Date(c.expiresAt).toISOString(),
    sustainedMs: c.sustainedMs,
    modalities: c.modalities,
    nonceSha256: c.nonceSha256,
    links: {
      self: `/v1/challenges/${c.id}`,
      ...(c.mode === 'biological' ? { session: `/v1/challenges/${c.id}/session` } : { witness: `/v1/challenges/${c.id}/witness` }),
      ...(c.actionId === null ? {} : { action: `/v1/actions/${c.actionId}` }),
    },
  };
  if (action !== undefined) {
    // The descriptor is what the digest is computed from: a device recomputes and compares.
    view['descriptor'] = action.descriptor;
    view['summary'] = summariseAction(action.descriptor, action.classification.tier);
  } else if (c.purpose === 'enrolment') {
    view['summary'] = { text: `Enrolment session for ${c.person}: practice with ${c.modalities.join(', ')}; nothing is authorised.` };
  }
  return view;
}

export function deviceView(d: DeviceRow): Record<string, unknown> {
  return {
    id: d.credentialId,
    person: d.person,
    kind: d.kind,
    name: d.name,
    alg: d.alg === -8 ? 'EdDSA' : d.alg === -7 ? 'ES256' : String(d.alg),
    counter: d.counter,
    attestation: d.fmt,
    aaguid: d.aaguid,
    createdAt: new Date(d.createdAt).toISOString(),
    ...(d.lastUsedAt === null ? {} : { lastUsedAt: new Date(d.lastUsedAt).toISOString() }),
    ...(d.revokedAt === null ? {} : { revokedAt: new Date(d.revokedAt).toISOString() }),
  };
}

export function personView(p: PersonRow, devices: DeviceRow[]): Record<string, unknown> {
  return {
    id: p.id,
    modalities: p.modalities,
    ...(p.displayName === null ? {} : { displayName: p.displayName }),
    locked: p.lockedAt !== null,
    ...(p.lockedAt === null ? {} : { lockedAt: new Date(p.lockedAt).toISOString() }),
    consecutiveFailures: p.failures,
    // Which modalities have a reference profile; the ranges themselves stay server-side.
    profile: p.profile === null ? [] : Object.keys(p.profile),
    devices: devices.map(deviceView),
  };
}

/** What an erasure did, for the administrator who asked: the same facts as its `person.erased` entry. */
export function erasureView(e: Erasure): Record<string, unknown> {
  return {
    person: e.person,
    erased: true,
    alreadyErased: false,
    erasedAt: new Date(e.at).toISOString(),
    basis: e.basis,
    logIndex: e.logIndex,
    rows: e.rows,
    devices: e.devices,
    challengesClosed: e.closed.map((c) => c.id),
  };
}
