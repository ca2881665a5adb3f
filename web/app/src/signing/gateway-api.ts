import type { Modality } from '../../../../src/core/policy/modality.ts';
import type { ChallengeRoles } from './plan.ts';

/** A challenge as GET /v1/challenges/{id} shows it (docs/schemas/v1/challenge.json). */
export interface ChallengeView {
  id: string;
  purpose: 'action' | 'enrolment';
  mode: 'biological' | 'witness';
  person: string;
  actionId?: string;
  digest: string;
  descriptor?: Record<string, unknown>;
  summary?: { text: string; [k: string]: unknown };
  state: string;
  expiresAt: string;
  sustainedMs: number;
  modalities: Modality[];
  /** The policy's modality roles as planned for this person (docs/protocol.md §2), when the policy sets them. */
  roles?: ChallengeRoles;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, code: string | undefined) {
    super(`gateway answered ${status}${code ? ` ${code}` : ''}`);
    this.name = 'GatewayError';
    this.status = status;
    this.code = code;
  }
}

/**
 * The few enrolment-API calls signing needs (docs/protocol.md §1), authenticated by the app's
 * session cookie (same origin; the gateway checks the Origin of every POST).
 */
export class GatewayApi {
  readonly origin: string;

  constructor(origin: string) {
    this.origin = origin.replace(/\/+$/, '');
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.origin + path, { method, headers, credentials: 'same-origin', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const json = (await res.json().catch(() => undefined)) as T & { code?: string };
    if (!res.ok) throw new GatewayError(res.status, json?.code);
    return json;
  }

  challenge(id: string): Promise<ChallengeView> {
    return this.#call('GET', `/v1/challenges/${encodeURIComponent(id)}`);
  }

  async openChallenges(person: string): Promise<ChallengeView[]> {
    return (await this.#call<{ challenges: ChallengeView[] }>('GET', `/v1/people/${encodeURIComponent(person)}/challenges`)).challenges;
  }

  /** A fresh challenge for an action that awaits this person (after a failed attempt). */
  requestChallenge(person: string, actionId: string): Promise<ChallengeView> {
    return this.#call('POST', `/v1/people/${encodeURIComponent(person)}/challenges`, { actionId });
  }

  enrolmentSession(person: string, modalities: Modality[], durationMs?: number): Promise<ChallengeView> {
    return this.#call('POST', `/v1/people/${encodeURIComponent(person)}/enrolment-sessions`, { modalities, ...(durationMs === undefined ? {} : { durationMs }) });
  }

  async devices(person: string): Promise<{ id: string; revoked?: boolean; revokedAt?: string }[]> {
    return (await this.#call<{ devices: { id: string; revoked?: boolean; revokedAt?: string }[] }>('GET', `/v1/people/${encodeURIComponent(person)}`)).devices;
  }
}
