import type { ActionDescriptor } from '../../../src/core/action/descriptor.ts';

/** A refusal from the gateway: RFC 9457 problem+json with the firewall's stable `code`. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  /** The problem's extension members (e.g. `field`, `expiredAt`). */
  readonly extra: Record<string, unknown>;
  constructor(code: string, status: number, detail: string, extra: Record<string, unknown> = {}) {
    super(detail);
    this.code = code;
    this.status = status;
    this.extra = extra;
  }
}

/**
 * JSON over the app's own API (same origin; the session cookie goes along by itself). Every
 * state-changing call carries the page's Origin, which the gateway checks.
 */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...init.headers, 'content-type': 'application/json' };
  }
  const res = await fetch(`/app/api${path}`, init);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown;
  try {
    data = text === '' ? undefined : JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const p = (data ?? {}) as { code?: string; detail?: string };
    throw new ApiError(p.code ?? 'HTTP_' + res.status, res.status, p.detail ?? `the gateway answered ${res.status}`, typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {});
  }
  return data as T;
}

// The gateway's own types, type-only (erased by the build): the page and the server agree by construction.
export type { InboxItem } from '../../../src/gateway/approver/inbox-item.ts';

export interface Me {
  id: string;
  roles: string[];
  modalities: string[];
  profile: string[];
  devices: { id: string; kind: string; name?: string | null; createdAt: string; lastUsedAt?: string; revokedAt?: string }[];
  /** The passkey that opened this session (sign-in or enrolment on this phone), or null. */
  sessionDevice: string | null;
}

export interface ActionDetail {
  action: {
    id: string;
    status: string;
    tier: string;
    digest: string;
    rule: string;
    reasons: string[];
    createdAt: string;
    notBefore?: string;
    expiresAt?: string;
    vetoedBy?: string;
    descriptor: ActionDescriptor;
  };
  summary: { text: string };
  agent: { id: string; owner?: string; organisation?: string };
  velocity: { rule: string; count: number; amount: number }[];
  branchCard: { supplied: boolean; sha256?: string; gates: string[] };
  fingerprint: string;
  can: { sign: string | null; decline: boolean; veto: boolean; report: boolean; review: boolean; witness: string | null };
}

export type { TrailItem } from '../../../src/gateway/approver/trail-item.ts';
export type { EvidencePackage, EvidenceReport, LogVerifierKey } from '../../../src/core/signature/evidence.ts';

/** The passkey this person's co-signature or witness statement names: the active one used last (the one they signed in with). */
export function signingDevice(me: Me): string | undefined {
  const active = me.devices.filter((d) => d.revokedAt === undefined);
  // The passkey this phone signed in with is the one it holds: a person with several signs with each on its own device.
  if (me.sessionDevice !== null && active.some((d) => d.id === me.sessionDevice)) return me.sessionDevice;
  active.sort((a, b) => (b.lastUsedAt ?? b.createdAt).localeCompare(a.lastUsedAt ?? a.createdAt));
  return active[0]?.id;
}

/** Money as the gateway's summary writes it (fixed, locale-free: the same text on every device). */
export function money(amount: number, currency: string): string {
  const [int, frac] = amount.toFixed(2).split('.') as [string, string];
  return `${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac} ${currency}`;
}
