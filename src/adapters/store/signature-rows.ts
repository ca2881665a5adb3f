import type { PersonProfile } from '../../core/liveness/types.ts';
import type { Modality } from '../../core/policy/modality.ts';
import type { CeremonyRow, ChallengeRow, ChallengeState, DeviceKind, DeviceRow, PersonRow } from '../../gateway/ports/signatures.ts';

/** Rows of the sig_ tables as the signature port's records (JSON columns parsed, NULLs kept), for both stores. */
export type Row = Record<string, unknown>;
const s = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function personRow(r: Row): PersonRow {
  return {
    id: String(r['id']),
    modalities: JSON.parse(String(r['modalities'])) as Modality[],
    displayName: s(r['display_name']),
    failures: Number(r['failures']),
    lockedAt: n(r['locked_at']),
    profile: r['profile'] === null ? null : (JSON.parse(String(r['profile'])) as PersonProfile),
    createdAt: Number(r['created_at']),
    updatedAt: Number(r['updated_at']),
  };
}
export function deviceRow(r: Row): DeviceRow {
  return {
    credentialId: String(r['credential_id']),
    person: String(r['person']),
    kind: String(r['kind']) as DeviceKind,
    name: s(r['name']),
    publicKey: String(r['public_key']),
    alg: Number(r['alg']),
    counter: Number(r['counter']),
    transports: r['transports'] === null ? [] : (JSON.parse(String(r['transports'])) as string[]),
    fmt: s(r['fmt']),
    aaguid: s(r['aaguid']),
    createdAt: Number(r['created_at']),
    lastUsedAt: n(r['last_used_at']),
    revokedAt: n(r['revoked_at']),
  };
}
export function ceremonyRow(r: Row): CeremonyRow {
  return {
    id: String(r['id']),
    kind: String(r['kind']) as CeremonyRow['kind'],
    person: String(r['person']),
    challenge: String(r['challenge']),
    deviceKind: s(r['device_kind']),
    deviceName: s(r['device_name']),
    credentialId: s(r['credential_id']),
    expiresAt: Number(r['expires_at']),
    usedAt: n(r['used_at']),
    payload: s(r['payload']),
  };
}
export function challengeRow(r: Row): ChallengeRow {
  return {
    id: String(r['id']),
    purpose: String(r['purpose']) as ChallengeRow['purpose'],
    mode: String(r['mode']) as ChallengeRow['mode'],
    actionId: s(r['action_id']),
    digest: String(r['digest']),
    person: String(r['person']),
    role: String(r['role']) as ChallengeRow['role'],
    modalities: JSON.parse(String(r['modalities'])) as Modality[],
    sustainedMs: Number(r['sustained_ms']),
    nonceSha256: String(r['nonce_sha256']),
    state: String(r['state']) as ChallengeState,
    issuedAt: Number(r['issued_at']),
    expiresAt: Number(r['expires_at']),
    startedAt: n(r['started_at']),
    endedAt: n(r['ended_at']),
    outcome: s(r['outcome']),
    device: s(r['device']),
  };
}

/** One open challenge per (action, person), one open enrolment per person: the UNIQUE `open_key`, NULL once closed. */
export function openKeyOf(c: Pick<ChallengeRow, 'purpose' | 'actionId' | 'person'>): string {
  return c.purpose === 'action' ? `action|${c.actionId}|${c.person}` : `enrolment|${c.person}`;
}
